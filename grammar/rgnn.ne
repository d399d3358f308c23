# The .rgnn language. Statements are keyword-led; newlines are blanks. Every construct has
# exactly one parse (test/syntax/grammar.test.ts holds us to it).
@preprocessor typescript
@{%
import { lexer } from "./lexer.js";
import * as A from "../src/syntax/ast.js";
type Tok = any;
const last = (xs: any[]): any => xs[xs.length - 1];
%}
@lexer lexer

spec      -> items                                            {% id %}
items     -> null                                             {% () => [] %}
           | items item                                       {% ([xs, x]) => xs.concat([x]) %}

item      -> constant {% id %} | manifold {% id %} | map {% id %} | network {% id %}
           | metric {% id %} | bundle {% id %} | action {% id %} | request {% id %}

# --- declarations ------------------------------------------------------------------------------
constant  -> "constant" %ident                                {% ([k, n]) => ({ kind: "constant", name: A.name(n), span: A.join(k, n) }) %}
           | "constant" %ident "=" expr                       {% ([k, n, , e]) => ({ kind: "constant", name: A.name(n), value: e, span: A.join(k, e) }) %}

manifold  -> "manifold" %ident dim:? coords:? chartBox:? embedding:?
                                                              {% ([k, n, dim, coords, box, emb]) => ({ kind: "manifold", name: A.name(n), dim: dim ?? undefined,
                                                                   coords: coords?.names, domain: box?.items, embedding: emb ?? undefined,
                                                                   span: A.join(k, emb?.end ?? box?.end ?? coords?.end ?? dim ?? n) }) %}
chartBox  -> "on" box                                         {% ([, b]) => b %}
dim       -> "=" %ident "^" %number                           {% ([, r, , n]) => ({ ...A.int(n), base: A.name(r) }) %}
coords    -> "(" names ")"                                    {% ([, names, close]) => ({ names, end: close }) %}
embedding -> "embedded" "in" %ident "{" assigns "}"           {% ([, , t, , cs, close]) => ({ target: A.name(t), components: cs, end: close }) %}

map       -> "map" %ident ":" space %arrow space "{" assigns "}"
                                                              {% ([k, n, , s, , t, , cs, close]) => ({ kind: "map", name: A.name(n), source: s, target: t, components: cs, span: A.join(k, close) }) %}
           | "map" %ident "=" %ident "then" %ident            {% ([k, n, , a, , b]) => ({ kind: "compose", name: A.name(n), first: A.name(a), second: A.name(b), span: A.join(k, b) }) %}

network   -> "network" %ident ":" space output:? weights:? "{" layers "}"
                                                              {% ([k, n, , input, output, w, , layers, close]) => ({ kind: "network", name: A.name(n), input,
                                                                   output: output ?? undefined, weights: w ?? undefined, layers, span: A.join(k, close) }) %}
output    -> %arrow space                                     {% ([, s]) => s %}
weights   -> "weights" %string                                {% ([k, s]) => ({ path: s.value, span: A.tokSpan(s) }) %}
layers    -> layer                                            {% ([l]) => [l] %}
           | layers layer                                     {% ([ls, l]) => ls.concat([l]) %}
# one rule for every layer kind: the word (a `kind` token, from LAYER_WORDS) resolves the kind; syntax/parse.ts holds
# the number, activation and parameters to what the kind's syntax allows
layer     -> %kind %number:? %ident:? params                  {% ([k, n, act, ps]) => A.layer(k, n, act, ps) %}
           | "repeat" %number "{" layers "}"                  {% ([k, n, , body, close]) => ({ kind: "repeat", count: A.int(n), body, span: A.join(k, close) }) %}
           | "skip" "{" layers "}"                            {% ([k, , body, close]) => ({ kind: "skip", body, span: A.join(k, close) }) %}
params    -> null                                             {% () => [] %}
           | "with" paramlist                                 {% ([, ps]) => ps %}
paramlist -> param                                            {% ([p]) => [p] %}
           | paramlist "," param                              {% ([ps, , p]) => ps.concat([p]) %}
param     -> %ident "=" expr                                  {% ([n, , e]) => ({ name: A.name(n), value: e, span: A.join(n, e) }) %}
           | %ident "=" %string                               {% ([n, , s]) => ({ name: A.name(n), value: { kind: "key", key: s.value, span: A.tokSpan(s) }, span: A.join(n, s) }) %}

metric    -> "metric" %ident "on" space "=" "euclidean"       {% ([k, n, , s, , e]) => ({ kind: "metric", name: A.name(n), on: s, def: { kind: "euclidean", span: A.tokSpan(e) }, span: A.join(k, e) }) %}
           | "metric" %ident "on" space "=" expr              {% ([k, n, , s, , e]) => ({ kind: "metric", name: A.name(n), on: s, def: { kind: "components", value: e, span: e.span }, span: A.join(k, e) }) %}
           | "metric" %ident "=" "pullback" pbsource:? "along" %ident layerrange:? tolayer:?
                                                              {% ([k, n, , p, of, , along, range, layer]) => ({ kind: "metric", name: A.name(n),
                                                                   def: { kind: "pullback", of: of ?? undefined, along: A.name(along), layers: range ?? undefined,
                                                                          layer: layer ?? undefined, span: A.join(p, layer ?? range ?? along) },
                                                                   span: A.join(k, layer ?? range ?? along) }) %}
pbsource  -> "of" %ident                                      {% ([, n]) => A.name(n) %}
           | "of" "euclidean"                                 {% ([, n]) => A.name(n) %}
tolayer   -> "to" "layer" %number                             {% ([, , n]) => A.int(n) %}

bundle    -> "principal" "bundle" %ident "over" %ident "with" "group" group
                                                              {% ([k, , n, , base, , , g]) => ({ kind: "principal", name: A.name(n), base: A.name(base), group: g, span: A.join(k, g) }) %}
           | "associated" "bundle" %ident "to" %ident "with" "fibre" %ident
                                                              {% ([k, , n, , p, , , f]) => ({ kind: "associated", name: A.name(n), principal: A.name(p), fibre: A.name(f), span: A.join(k, f) }) %}
group     -> %ident "(" %number ")"                           {% ([g, , n, close]) => ({ name: A.name(g), n: A.int(n), span: A.join(g, close) }) %}
action    -> "action" "of" %ident layerrange:? "on" %ident ingroup:?
                                                              {% ([k, , of, range, , on, g]) => ({ kind: "action", of: A.name(of), layers: range ?? undefined, on: A.name(on), group: g ?? undefined, span: A.join(k, g ?? on) }) %}
# `layers A to B` / `layer A`: the layers an action acts by, or the sub-network a metric is pulled back along
layerrange -> "layers" %number "to" %number                   {% ([k, a, , b]) => ({ from: A.int(a), to: A.int(b), span: A.join(k, b) }) %}
           | "layer" %number                                  {% ([k, a]) => ({ from: A.int(a), to: A.int(a), span: A.join(k, a) }) %}
ingroup   -> "in" group                                       {% ([, g]) => g %}

# --- requests ----------------------------------------------------------------------------------
request   -> "show" words subject:? clauses                   {% ([k, ws, of, cl]) => ({ kind: "show", verb: "show", words: ws, of: of ?? undefined, clauses: cl.clauses, span: A.join(k, cl.end ?? of ?? last(ws)) }) %}
           | "evaluate" words subject:? clauses               {% ([k, ws, of, cl]) => ({ kind: "show", verb: "evaluate", words: ws, of: of ?? undefined, clauses: cl.clauses, span: A.join(k, cl.end ?? of ?? last(ws)) }) %}
           | "check" expr "equals" expr clauses               {% ([k, l, , r, cl]) => ({ kind: "check_equals", left: l, right: r, clauses: cl.clauses, span: A.join(k, cl.end ?? r) }) %}
           | "check" expr "is" words                          {% ([k, s, , ws]) => ({ kind: "check_property", subject: s, words: ws, span: A.join(k, last(ws)) }) %}
           | "check" expr "has" "rank" %number                {% ([k, s, , , n]) => ({ kind: "check_rank", subject: s, rank: A.int(n), span: A.join(k, n) }) %}
           | "check" expr "is" words "on" box                 {% ([k, s, , ws, , b]) => ({ kind: "check_domain", subject: s, words: ws, domain: b.items, span: A.join(k, b.end) }) %}
box       -> interval                                         {% ([i]) => ({ items: [i], end: i.end }) %}
           | box "x" interval                                 {% ([b, , i]) => ({ items: b.items.concat([i]), end: i.end }) %}
interval  -> "[" expr "," expr "]"                            {% ([open, lo, , hi, close]) => ({ lo, hi, span: A.join(open, close), end: close }) %}
subject   -> "of" %ident                                      {% ([, n]) => A.name(n) %}
words     -> %ident                                           {% ([w]) => [A.name(w)] %}
           | words %ident                                     {% ([ws, w]) => ws.concat([A.name(w)]) %}
clauses   -> null                                             {% () => ({ clauses: {} }) %}
           | clauses clause                                   {% ([cl, [key, pt, end]]) => ({ clauses: { ...cl.clauses, [key]: pt }, end }) %}
clause    -> "at" point                                       {% ([, p]) => ["at", p.items, p.end] %}
           | "from" point                                     {% ([, p]) => ["from", p.items, p.end] %}
           | "to" point                                       {% ([, p]) => ["to", p.items, p.end] %}
           | "with" "velocity" point                          {% ([, , p]) => ["velocity", p.items, p.end] %}
point     -> "(" exprlist ")"                                 {% ([, items, close]) => ({ items, end: close }) %}

# --- shared pieces -----------------------------------------------------------------------------
space     -> %ident                                           {% ([n]) => ({ kind: "named", name: n.value, span: A.tokSpan(n) }) %}
           | %ident "^" %number                               {% ([r, , n]) => ({ kind: "euclidean", base: r.value, dim: A.int(n), span: A.join(r, n) }) %}
names     -> %ident                                           {% ([n]) => [A.name(n)] %}
           | names "," %ident                                 {% ([ns, , n]) => ns.concat([A.name(n)]) %}
assigns   -> assign                                           {% ([a]) => [a] %}
           | assigns assign                                   {% ([as, a]) => as.concat([a]) %}
assign    -> %ident "=" expr                                  {% ([n, , e]) => ({ target: A.name(n), value: e, span: A.join(n, e) }) %}

# --- expressions: usual precedence, ^ binds right and tighter than unary minus (-x^2 = -(x^2))
expr      -> sum                                              {% id %}
sum       -> sum "+" product                                  {% ([l, , r]) => ({ kind: "binary", op: "+", left: l, right: r, span: A.join(l, r) }) %}
           | sum "-" product                                  {% ([l, , r]) => ({ kind: "binary", op: "-", left: l, right: r, span: A.join(l, r) }) %}
           | product                                          {% id %}
product   -> product "*" unary                                {% ([l, , r]) => ({ kind: "binary", op: "*", left: l, right: r, span: A.join(l, r) }) %}
           | product "/" unary                                {% ([l, , r]) => ({ kind: "binary", op: "/", left: l, right: r, span: A.join(l, r) }) %}
           | unary                                            {% id %}
unary     -> "-" unary                                        {% ([m, a]) => ({ kind: "neg", arg: a, span: A.join(m, a) }) %}
           | "+" unary                                        {% ([, a]) => a %}
           | power                                            {% id %}
power     -> atom "^" unary                                   {% ([l, , r]) => ({ kind: "binary", op: "^", left: l, right: r, span: A.join(l, r) }) %}
           | atom                                             {% id %}
atom      -> %number                                          {% ([t]) => ({ kind: "num", value: Number(t.value), text: t.text, span: A.tokSpan(t) }) %}
           | %ident                                           {% ([t]) => ({ kind: "ident", name: t.value, span: A.tokSpan(t) }) %}
           | %ident "(" exprlist ")"                          {% ([f, , args, close]) => ({ kind: "call", fn: f.value, args, span: A.join(f, close) }) %}
           | "(" expr ")"                                     {% ([open, e, close]) => ({ ...e, span: A.join(open, close) }) %}
           | "[" exprlist "]"                                 {% ([open, items, close]) => ({ kind: "list", items, span: A.join(open, close) }) %}
exprlist  -> expr                                             {% ([e]) => [e] %}
           | exprlist "," expr                                {% ([es, , e]) => es.concat([e]) %}
