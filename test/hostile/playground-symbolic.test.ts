// The playground on a valid spec whose weights are symbols (examples/symbolic-resnet.rgnn) and on a point outside a
// declared chart. Before, the page threw an uncaught error while its status said "ok" and the previous spec's formula
// and figures stayed. Now every piece the page shows is an answer or a note, never a throw: the closed form (the
// layered form, with W^{(1)}_{11}…), no ellipses and a note naming the symbols without values, the grid's note, and
// the value at a clicked point as an error message; a point outside the chart is refused with the chart's message.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkText, gridFigure, metricView, valueAt } from "../../src/web/playground.js";

const SYMBOLS = /has symbols without values: .*\(13 in all\); give them with --set NAME=VALUE \(or use numeric weights\)$/;

describe("the playground with symbolic weights", () => {
  const r = checkText(readFileSync("examples/symbolic-resnet.rgnn", "utf8"));
  if (!r.ok) throw new Error(r.diagnostics[0].message);
  const model = r.model;

  it("shows the closed form, and says why there is no figure and no value, throwing nothing", () => {
    const view = metricView(model, "g");
    expect(view.tex).toContain("W^{(1)}_{11}");
    expect(view.ellipses).toBeNull(); // the previous spec's figure is replaced by nothing, not kept
    expect(view.figureNote).toMatch(SYMBOLS);
    const grid = gridFigure(model, "g");
    expect("note" in grid && grid.note).toMatch(SYMBOLS);
    const v = valueAt(model, "g", [0.1, 0.2]);
    expect("error" in v && v.error).toMatch(SYMBOLS);
  });
});

describe("the playground at a point outside a declared chart", () => {
  it("gives the chart's message as the value's error", () => {
    const r = checkText("constant rs = 1\nmanifold S (t, r) on [-1, 1] x [2, 10]\nmetric g on S = [[-(1 - rs/r), 0], [0, 1/(1 - rs/r)]]\n");
    if (!r.ok) throw new Error(r.diagnostics[0].message);
    const v = valueAt(r.model, "g", [0, 0.5]);
    expect("error" in v && v.error).toBe(
      "point (0, 0.5) is outside the chart S: r = 0.5 is not in [2, 10] (S is declared on [-1, 1] x [2, 10]); " +
        "give a point inside the chart, or widen the chart's 'on' intervals if the metric holds there",
    );
    const inside = valueAt(r.model, "g", [0, 4]);
    expect("tex" in inside && inside.tex).toContain("-0.75"); // −(1 − 1/4)
  });
});
