// Requests (show / evaluate / check) and the typed tensor expressions of claims.
import type { MathNode } from "mathjs";
import { LAYER_KINDS } from "../core/layers/index.js";
import { ConstantNode } from "./mathnodes.js";
import type { Expr, Interval, Item, Name, Span } from "../syntax/ast.js";
import { asMapping, lookup } from "./resolve.js";
import type { Context } from "./context.js";
import { constantValue, listLeaves, listShape, toNode, type Scope } from "./expressions.js";
import {
  CLAIM_FUNCTIONS,
  type ClaimFunction,
  QUANTITY_PHRASES,
  quantity as quantityEntry,
  quantityOfPhrase,
  restriction,
  insteadOf,
} from "../core/quantities.js";
import { QUANTITIES, type Manifold, type Quantity, type Request, type Subject, type TensorExpr } from "./model.js";
import { listOf, suggestion } from "./names.js";
import { chartAdvice, outsideChart, pointText } from "./chart-domain.js";

const METRIC_QUANTITIES: readonly Quantity[] = ["metric", ...QUANTITY_PHRASES, "geodesic", "rank"];
const isClaimFunction = (f: string): f is ClaimFunction => (CLAIM_FUNCTIONS as readonly string[]).includes(f);
const PROPERTIES = ["symmetric", "positive definite", "positive semidefinite"] as const;

/** A point `(a, b, …)`: numbers or expressions of valued constants, as many as the chart has. */
function point(ctx: Context, exprs: Expr[] | undefined, chart: Manifold, what: string): number[] | undefined | null {
  if (!exprs) return undefined;
  const span: Span = { ...exprs[0].span, end: exprs[exprs.length - 1].span.end };
  if (exprs.length !== chart.dim) {
    ctx.error(
      span,
      `${what} has ${exprs.length} coordinate${exprs.length === 1 ? "" : "s"}, but ${chart.name} has dimension ` +
        `${chart.dim} (${chart.coords.join(", ")})`,
    );
    return null;
  }
  const out: number[] = [];
  for (const e of exprs) {
    const v = constantValue(ctx, e);
    if (v === undefined || !Number.isFinite(v)) {
      ctx.error(
        e.span,
        v === undefined ? `a point's coordinates must be numbers (or constants with values)` : `a point's coordinate is not finite (${v})`,
      );
      return null;
    }
    out.push(v);
  }
  const outside = what === "the velocity" ? null : outsideChart(chart, out);
  if (outside) {
    ctx.error(span, `${what} ${pointText(out)} is outside the chart ${chart.name}: ${outside} ${chartAdvice(chart)}`);
    return null;
  }
  return out;
}

function subjectChart(s: Subject): Manifold | null {
  return s.kind === "metric" ? s.metric.manifold : s.kind === "mapping" ? s.mapping.source : null;
}

function show(ctx: Context, item: Extract<Item, { kind: "show" }>): Request | null {
  let quantity: Quantity;
  let subjectName: Name;
  if (item.of) {
    const q = item.words.map((w) => w.name).join(" ");
    const wordsSpan = { ...item.words[0].span, end: item.words[item.words.length - 1].span.end };
    if (!(QUANTITIES as readonly string[]).includes(q)) {
      ctx.error(wordsSpan, `unknown quantity '${q}'`, [...suggestion(q, QUANTITIES), `quantities: ${QUANTITIES.join(", ")}`]);
      return null;
    }
    quantity = q as Quantity;
    subjectName = item.of;
  } else {
    if (item.words.length > 1) {
      ctx.error(item.words[1].span, `expected a single name after '${item.verb}', or 'QUANTITY of NAME'`);
      return null;
    }
    subjectName = item.words[0];
    quantity = "metric";
  }
  const ent = lookup(ctx, subjectName, ["metric", "mapping", "manifold", "constant"], `what to ${item.verb}`);
  if (!ent) return null;
  let subject: Subject;
  if ("def" in ent) subject = { kind: "metric", metric: ent };
  else if ("kind" in ent || "coords" in ent) {
    // biome-ignore lint/suspicious/noExplicitAny: a manifold or a mapping here; asMapping tells them apart
    const m = asMapping(ctx, ent as any, subjectName);
    if (!m) return null;
    subject = { kind: "mapping", mapping: m };
    if (!item.of) quantity = "coordinates";
  } else subject = { kind: "constant", constant: ent };
  if (subject.kind === "constant") {
    if (item.of || item.clauses.at) {
      ctx.error(subjectName.span, `'${subjectName.name}' is a constant: it has no ${quantity}`);
      return null;
    }
  } else if (item.of) {
    const want = METRIC_QUANTITIES.includes(quantity) ? "metric" : "mapping";
    if (subject.kind !== want) {
      ctx.error(
        subjectName.span,
        `${quantity} is a quantity of ${want === "metric" ? "a metric" : "a map or network"}, and '${subjectName.name}' ` +
          `is ${subject.kind === "metric" ? "a metric" : "a map or network"}`,
      );
      return null;
    }
    const q = quantityOfPhrase(quantity);
    const why = q && subject.kind === "metric" && restriction(q, subject.metric.manifold.dim, subject.metric.manifold.name);
    if (why) {
      const alt = q && insteadOf(q);
      ctx.error(item.words[0].span, why, alt ? [`use '${alt.phrase}' instead`] : []);
      return null;
    }
    if ((quantity === "ode" || quantity === "flow") && subject.kind === "mapping") {
      const m = subject.mapping;
      if (m.kind !== "network" || !m.layers.some((l) => LAYER_KINDS[l.kind].ode !== null)) {
        ctx.error(
          subjectName.span,
          `'${m.name}' has no residual or second-order layers: a dense network is a static map with no ODE limit`,
        );
        return null;
      }
    }
  }
  const chart = subjectChart(subject);
  const at = chart ? point(ctx, item.clauses.at, chart, "the point") : undefined;
  const from = chart ? point(ctx, item.clauses.from, chart, "the start point") : undefined;
  const to = chart ? point(ctx, item.clauses.to, chart, "the end point") : undefined;
  const velocity = chart ? point(ctx, item.clauses.velocity, chart, "the velocity") : undefined;
  if (at === null || from === null || to === null || velocity === null) return null;
  if (quantity === "geodesic") {
    if (!from || (!to && !velocity) || (to && velocity)) {
      ctx.error(item.span, "a geodesic needs 'from (…)' and either 'to (…)' or 'with velocity (…)'");
      return null;
    }
  } else if (from || to || velocity) {
    ctx.error(item.span, "'from', 'to' and 'with velocity' belong to geodesic requests");
    return null;
  }
  if (item.verb === "evaluate" && !at) {
    ctx.error(item.span, "'evaluate' needs a point: evaluate NAME at (…)");
    return null;
  }
  return { kind: "show", quantity, subject, at, from, to, velocity, span: item.span };
}

/** The chart of the first metric or Jacobian in a claim: literal entries are read in it. */
function findChart(ctx: Context, e: Expr): Manifold | null {
  if (e.kind === "ident") {
    const ent = ctx.names.get(e.name);
    return ent?.kind === "metric" ? ent.value.manifold : null;
  }
  if (e.kind === "call" && isClaimFunction(e.fn) && e.args[0]?.kind === "ident") {
    const ent = ctx.names.get(e.args[0].name);
    if (ent?.kind === "metric") return ent.value.manifold;
  }
  if (e.kind === "call" && e.fn === "jacobian" && e.args[0]?.kind === "ident") {
    const ent = ctx.names.get(e.args[0].name);
    return ent?.kind === "mapping" ? ent.value.source : ent?.kind === "manifold" ? ent.value : null;
  }
  const kids =
    e.kind === "binary"
      ? [e.left, e.right]
      : e.kind === "neg"
        ? [e.arg]
        : e.kind === "call" || e.kind === "list"
          ? "args" in e
            ? e.args
            : e.items
          : [];
  for (const k of kids) {
    const c = findChart(ctx, k);
    if (c) return c;
  }
  return null;
}

const isScalar = (t: TensorExpr) => t.shape.length === 0;
const shapeText = (s: number[]) => (s.length === 0 ? "a scalar" : s.join("×"));

function tensor(ctx: Context, e: Expr, chart: Manifold | null, scope: Scope): TensorExpr | null {
  const scalar = (): TensorExpr | null => {
    const node = toNode(ctx, e, scope);
    return node && { kind: "literal", entries: [node], shape: [], chart };
  };
  switch (e.kind) {
    case "ident": {
      const ent = ctx.names.get(e.name);
      if (ent?.kind === "metric") {
        if (chart && ent.value.manifold !== chart) {
          ctx.error(e.span, `'${e.name}' lives on ${ent.value.manifold.name}, but this claim is about ${chart.name}`);
          return null;
        }
        const n = ent.value.manifold.dim;
        return { kind: "metric", metric: ent.value, shape: [n, n], chart: ent.value.manifold };
      }
      if (ent?.kind === "mapping") {
        ctx.error(e.span, `'${e.name}' is a map; a claim compares tensors: write jacobian(${e.name})`);
        return null;
      }
      return scalar();
    }
    case "call": {
      if (isClaimFunction(e.fn)) {
        const arg = e.args[0];
        if (e.args.length !== 1 || arg.kind !== "ident") {
          ctx.error(e.span, `${e.fn}(…) takes the name of a metric`);
          return null;
        }
        const m = lookup(ctx, { name: arg.name, span: arg.span }, ["metric"], `the argument of ${e.fn}`);
        if (!m) return null;
        if (chart && m.manifold !== chart) {
          ctx.error(arg.span, `'${m.name}' lives on ${m.manifold.name}, but this claim is about ${chart.name}`);
          return null;
        }
        const n = m.manifold.dim;
        const why = restriction(e.fn, n, m.manifold.name);
        if (why) {
          ctx.error(e.span, why);
          return null;
        }
        return { kind: "geometry", quantity: e.fn, metric: m, shape: quantityEntry(e.fn).shape(n), chart: m.manifold };
      }
      if (e.fn === "jacobian" || e.fn === "transpose") {
        if (e.args.length !== 1) {
          ctx.error(e.span, `'${e.fn}' takes one argument`);
          return null;
        }
        if (e.fn === "transpose") {
          const a = tensor(ctx, e.args[0], chart, scope);
          return a && { kind: "transpose", arg: a, shape: [...a.shape].reverse(), chart: a.chart };
        }
        const arg = e.args[0];
        if (arg.kind !== "ident") {
          ctx.error(arg.span, "jacobian(…) takes the name of a map or network");
          return null;
        }
        const ent = lookup(ctx, { name: arg.name, span: arg.span }, ["mapping", "manifold"], "the argument of jacobian");
        const map = ent && asMapping(ctx, ent, { name: arg.name, span: arg.span });
        if (!map) return null;
        if (chart && map.source !== chart) {
          ctx.error(arg.span, `'${map.name}' starts in ${map.source.name}, but this claim is about ${chart.name}`);
          return null;
        }
        return { kind: "jacobian", map, shape: [map.target.dim, map.source.dim], chart: map.source };
      }
      return scalar();
    }
    case "list": {
      const shape = listShape(e);
      if (!shape) {
        ctx.error(e.span, "not a rectangular array");
        return null;
      }
      if (shape.length > 2) {
        ctx.error(e.span, "claims compare scalars, vectors and matrices");
        return null;
      }
      const nodes = listLeaves(e).map((l) => toNode(ctx, l, scope));
      return nodes.every((n) => n) ? { kind: "literal", entries: nodes as MathNode[], shape, chart } : null;
    }
    case "neg": {
      const a = tensor(ctx, e.arg, chart, scope);
      return a && (isScalar(a) ? scalar() : { kind: "scale", factor: new ConstantNode(-1), arg: a, shape: a.shape, chart: a.chart });
    }
    case "binary": {
      if (e.op === "^" && e.right.kind === "ident" && e.right.name === "T") {
        const a = tensor(ctx, e.left, chart, scope);
        return a && { kind: "transpose", arg: a, shape: [...a.shape].reverse(), chart: a.chart };
      }
      const l = tensor(ctx, e.left, chart, scope),
        r = tensor(ctx, e.right, chart, scope);
      if (!l || !r) return null;
      if (isScalar(l) && isScalar(r)) return scalar();
      if (e.op === "*" && (isScalar(l) || isScalar(r))) {
        const [s, t] = isScalar(l) ? [l, r] : [r, l];
        return {
          kind: "scale",
          factor: (s as Extract<TensorExpr, { kind: "literal" }>).entries[0],
          arg: t,
          shape: t.shape,
          chart: t.chart ?? s.chart,
        };
      }
      if (e.op === "*") {
        if (l.shape.length !== 2 || r.shape.length < 1 || l.shape[1] !== r.shape[0]) {
          ctx.error(e.span, `cannot multiply ${shapeText(l.shape)} by ${shapeText(r.shape)}`);
          return null;
        }
        return { kind: "binary", op: "*", left: l, right: r, shape: [l.shape[0], ...r.shape.slice(1)], chart: l.chart ?? r.chart };
      }
      if (e.op === "+" || e.op === "-") {
        if (l.shape.join() !== r.shape.join()) {
          ctx.error(e.span, `cannot add ${shapeText(l.shape)} and ${shapeText(r.shape)}`);
          return null;
        }
        return { kind: "binary", op: e.op, left: l, right: r, shape: l.shape, chart: l.chart ?? r.chart };
      }
      ctx.error(e.span, `'${e.op}' is not defined between ${shapeText(l.shape)} and ${shapeText(r.shape)}`);
      return null;
    }
    case "num":
      return scalar();
  }
}

function claimScope(chart: Manifold | null): Scope {
  return chart
    ? { coords: new Set(chart.coords), where: `the coordinates of ${chart.name} (${chart.coords.join(", ")})` }
    : { coords: new Set(), where: "no coordinates" };
}

/** `check NET is a diffeomorphism on [a,b]x[c,d]`: a network, and a box with one interval per input coordinate. */
function diffeomorphismClaim(ctx: Context, item: Extract<Item, { kind: "check_domain" }>): Request | null {
  const p = item.words.map((w) => w.name).join(" ");
  const wordSpan = { ...item.words[0].span, end: item.words[item.words.length - 1].span.end };
  if (p !== "a diffeomorphism") {
    ctx.error(wordSpan, `unknown property on a domain '${p}'`, ["on a domain: check NET is a diffeomorphism on [a,b]x[c,d]"]);
    return null;
  }
  if (item.subject.kind !== "ident") {
    ctx.error(item.subject.span, "expected the name of a network");
    return null;
  }
  const name: Name = { name: item.subject.name, span: item.subject.span };
  const m = lookup(ctx, name, ["mapping"], "the subject of 'is a diffeomorphism'");
  if (!m) return null;
  if (m.kind !== "network") {
    ctx.error(name.span, `'${name.name}' is a ${m.kind} mapping; 'is a diffeomorphism' checks a network layer by layer`);
    return null;
  }
  const domain = boxValues(ctx, item.domain, m.source.name, m.source.coords);
  return domain && { kind: "check_diffeomorphism", network: m, domain, span: item.span };
}

/** A box `[a,b] x [c,d] …` as numbers: one interval per coordinate of `space`, each with a < b; null after an error. */
export function boxValues(ctx: Context, box: Interval[], space: string, coords: string[]): [number, number][] | null {
  if (box.length !== coords.length) {
    ctx.error(
      { ...box[0].span, end: box[box.length - 1].span.end },
      `the domain has ${box.length} interval${box.length === 1 ? "" : "s"}, but ${space} has dimension ` +
        `${coords.length} (${coords.join(", ")})`,
    );
    return null;
  }
  const domain: [number, number][] = [];
  for (const iv of box) {
    const lo = constantValue(ctx, iv.lo),
      hi = constantValue(ctx, iv.hi);
    if (lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      ctx.error(iv.span, "an interval [a,b] needs numbers (or constants with values) with a < b");
      return null;
    }
    domain.push([lo, hi]);
  }
  return domain;
}

export function analyzeRequest(
  ctx: Context,
  item: Extract<Item, { kind: "show" | "check_equals" | "check_property" | "check_rank" | "check_domain" }>,
): Request | null {
  switch (item.kind) {
    case "check_domain":
      return diffeomorphismClaim(ctx, item);
    case "show":
      return show(ctx, item);
    case "check_equals": {
      const chart = findChart(ctx, item.left) ?? findChart(ctx, item.right);
      const scope = claimScope(chart);
      const left = tensor(ctx, item.left, chart, scope),
        right = tensor(ctx, item.right, chart, scope);
      if (!left || !right) return null;
      if (left.shape.join() !== right.shape.join()) {
        ctx.error(item.right.span, `the two sides differ in shape: ${shapeText(left.shape)} and ${shapeText(right.shape)}`);
        return null;
      }
      const at = chart ? point(ctx, item.clauses.at, chart, "the point") : undefined;
      if (at === null) return null;
      return { kind: "check_equals", left, right, at, span: item.span };
    }
    case "check_property":
    case "check_rank": {
      const chart = findChart(ctx, item.subject);
      const subject = tensor(ctx, item.subject, chart, claimScope(chart));
      if (!subject) return null;
      if (subject.shape.length !== 2 || subject.shape[0] !== subject.shape[1]) {
        ctx.error(item.subject.span, `expected a square matrix, found ${shapeText(subject.shape)}`);
        return null;
      }
      if (item.kind === "check_rank") return { kind: "check_rank", subject, rank: item.rank.value, span: item.span };
      const p = item.words.map((w) => w.name).join(" ");
      if (!(PROPERTIES as readonly string[]).includes(p)) {
        ctx.error({ ...item.words[0].span, end: item.words[item.words.length - 1].span.end }, `unknown property '${p}'`, [
          ...suggestion(p, PROPERTIES),
          `properties: ${listOf(PROPERTIES)}`,
        ]);
        return null;
      }
      return { kind: "check_property", property: p as (typeof PROPERTIES)[number], subject, span: item.span };
    }
  }
}
