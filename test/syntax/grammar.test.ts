import { readdirSync, readFileSync } from "node:fs";
import nearley from "nearley";
import { describe, expect, it } from "vitest";
import grammar from "../../grammar/rgnn.generated.js";
import type { Item } from "../../src/syntax/ast.js";
import { parse } from "../../src/syntax/parse.js";

/** All parses of a text: the grammar must give exactly one for every valid input. */
function parses(text: string): unknown[] {
  const p = new nearley.Parser(nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules));
  p.feed(text);
  return p.results;
}

const CONSTRUCTS: Record<string, string> = {
  "constant without value": "constant R",
  "constant with value": "constant R = 2 * pi / 3",
  "manifold by coordinates": "manifold Polar (r, theta)",
  "manifold by dimension": "manifold E = R^3",
  "manifold by dimension and coordinates": "manifold E = R^2 (u, v)",
  "embedded manifold": "manifold S (t, p) embedded in E { x1 = cos(t) x2 = sin(t) * p x3 = -p^2 }",
  map: "map f : A -> B { u = x + y  v = x * y }",
  "map into R^n": "map f : A -> R^2 { x1 = a  x2 = -b }",
  "composed map": "map c = f then g",
  "network, inline weights": "network n : I -> R^2 { dense 2 tanh with W = [[1, -2], [3, 4]], b = [0.5, -0.5] }",
  "network, symbolic defaults": "network n : I { residual tanh  residual sigmoid }",
  "network, symbolic names": "network n : I -> O { residual tanh with h = h, W = W1, b = b1 }",
  "network, weights file": 'network n : I -> R^2 weights "w.json" { repeat 4 { residual tanh } }',
  "network, every layer kind":
    "network n : I { dense tanh  dense 3 relu  residual sin with h = 0.1  second_order softplus with h = 0.2  softmax }",
  "nested repeat": "network n : I { repeat 2 { dense tanh repeat 3 { residual tanh } } }",
  "euclidean metric": "metric e on Plane = euclidean",
  "metric by components": "metric g on H (x, y) = [[1/y^2, 0], [0, 1/y^2]]".replace(" (x, y)", ""),
  "pullback, default metric": "metric g = pullback along f",
  "pullback of a metric": "metric g = pullback of e along f",
  "pullback of euclidean to a layer": "metric g = pullback of euclidean along n to layer 3",
  "pullback along a range of layers": "metric g = pullback of euclidean along n layers 1 to 2",
  "pullback along one layer": "metric g = pullback of e along n layer 2",
  "principal bundle": "principal bundle F over M with group GL(2)",
  "associated bundle": "associated bundle V to F with fibre vectors",
  action: "action of n on F",
  "action on layers in a group": "action of n layers 2 to 4 on F in SO(2)",
  "action on one layer": "action of n layer 2 on F",
  show: "show g",
  "show quantity": "show scalar curvature of g at (1, 2)",
  "geodesic to": "show geodesic of g from (0, 1) to (1, 1)",
  "geodesic with velocity": "show geodesic of g from (0, 1) with velocity (1, 0)",
  evaluate: "evaluate g at (0.3, -0.7)",
  "check equals": "check g equals jacobian(f)^T * jacobian(f)",
  "check equals at": "check g equals [[1, 0], [0, r^2]] at (1, 2)",
  "check property": "check g is positive definite",
  "check rank": "check g has rank 2",
  "comments and blank lines": "# a comment\n\n  manifold M (x)   # trailing\n",
  expressions: "constant c = -2^-3 + 4*5/6 - (7 - 8) * sin(-x)^2",
};

describe("grammar", () => {
  for (const [name, text] of Object.entries(CONSTRUCTS)) {
    it(`parses ${name} in exactly one way`, () => {
      expect(parses(text)).toHaveLength(1);
    });
  }

  it("gives precedence to ^ over unary minus and is right-associative", () => {
    const spec = parse("constant c = -a^b^c", "t.rgnn");
    const c = spec.items[0] as Extract<Item, { kind: "constant" }>;
    expect(c.value).toMatchObject({ kind: "neg", arg: { op: "^", right: { op: "^" } } });
  });

  it("keeps source spans", () => {
    const spec = parse("manifold P (r, theta)\nmap f : P -> P {\n  r = theta\n}", "t.rgnn");
    const map = spec.items[1] as Extract<Item, { kind: "map" }>;
    expect(map.components[0].value.span).toMatchObject({ line: 3, col: 7 });
  });

  it("reads a pullback's range of layers with its span, apart from 'to layer'", () => {
    const [m] = parse("metric g = pullback along n layers 2 to 3", "t.rgnn").items as Extract<Item, { kind: "metric" }>[];
    expect(m.def).toMatchObject({ kind: "pullback", layers: { from: { value: 2 }, to: { value: 3 }, span: { col: 29 } } });
    expect(m.def.kind === "pullback" && m.def.layer).toBeUndefined();
    expect(m.span.end).toBe("metric g = pullback along n layers 2 to 3".length);
    const [one] = parse("metric g = pullback along n layer 4", "t.rgnn").items as Extract<Item, { kind: "metric" }>[];
    expect(one.def).toMatchObject({ layers: { from: { value: 4 }, to: { value: 4 } } });
  });

  it("parses every example in exactly one way", () => {
    const dir = new URL("../../examples/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".rgnn"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(parses(readFileSync(new URL(f, dir), "utf8")), f).toHaveLength(1);
  });
});
