// Functions in expressions are the registry's: the identity `linear` included, which an expression may call like any
// other function and which the DAG folds to its argument (docs/language.md, "Functions").
import { describe, expect, it } from "vitest";
import { checkSpec, pickMetric } from "../../src/api/spec.js";
import { FUNCTIONS } from "../../src/semantics/expressions.js";
import { metricComponents } from "../../src/symbolic/metric.js";

const metricOf = (components: string, extra = "") => {
  const r = checkSpec(`manifold P (r, theta)\n${extra}metric g on P = ${components}\n`, "p.rgnn");
  if (!r.ok) throw new Error(r.message);
  return { g: metricComponents(pickMetric(r.model)), model: r.model };
};

describe("linear in expressions", () => {
  it("is a known function, as every registry function is", () => {
    expect(FUNCTIONS).toContain("linear");
    expect(FUNCTIONS).toContain("tanh");
  });
  it("folds to its argument: the same DAG nodes as the expression without it", () => {
    const a = metricOf("[[1, 0], [0, linear(r)^2 * linear(sin(theta) + 1)]]").g,
      b = metricOf("[[1, 0], [0, r^2 * (sin(theta) + 1)]]").g;
    expect(a[1][1]).toBe(b[1][1]);
  });
  it("evaluates in constants", () => {
    const { model } = metricOf("[[1, 0], [0, c]]", "constant c = linear(2.5) * 2\n");
    const c = model.constants.get("c");
    expect(c?.value).toBe(5);
  });
  it("takes one argument, like the other functions", () => {
    const r = checkSpec("manifold P (r, theta)\nmetric g on P = [[linear(r, theta), 0], [0, 1]]\n", "p.rgnn");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain("'linear' takes one argument, not 2");
  });
});
