// The batched, typed-array entry points against the per-point functions they must agree with, on the engine's route
// (deep-resnet, the decoder) and the symbolic one (the paper's toy net, polar coordinates), and at a bad point.
import { describe, expect, it } from "vitest";
import { EvaluationError, evaluateAt, evaluateBatch, metricAt, metricBatch, pickMapping, pickMetric, valuesOf } from "../../src/index.js";
import { exampleModel, relErr } from "../helpers.js";

const points = (n: number, count: number) =>
  Array.from({ length: count }, (_, k) => Array.from({ length: n }, (_, a) => 0.6 * Math.sin(1.3 * k + 0.7 * a + 0.2)));

describe("evaluateBatch and metricBatch", () => {
  for (const name of ["deep-resnet", "decoder", "paper-toy"]) {
    it(`${name}: output, Jacobian and metric equal evaluateAt's at every point to 1e-13`, () => {
      const model = exampleModel(name),
        mapping = pickMapping(model),
        env = valuesOf(model);
      const n = mapping.source.dim,
        m = mapping.target.dim;
      // 300 points: more than one block of the engine's pass
      const pts = points(n, 300);
      const batch = evaluateBatch(mapping, pts, env);
      expect(batch.output.shape).toEqual([300, m]);
      expect(batch.jacobian.shape).toEqual([300, m, n]);
      expect(batch.metric.shape).toEqual([300, n, n]);
      const each = evaluateAt(mapping, pts, env);
      each.forEach((r, k) => {
        expect(relErr(batch.output.data.subarray(k * m, (k + 1) * m), r.output)).toBeLessThan(1e-13);
        expect(relErr(batch.jacobian.data.subarray(k * m * n, (k + 1) * m * n), r.jacobian.flat())).toBeLessThan(1e-13);
        expect(relErr(batch.metric.data.subarray(k * n * n, (k + 1) * n * n), r.metric.flat())).toBeLessThan(1e-13);
      });
      // a flat Float64Array of the same points gives the same arrays
      expect(evaluateBatch(mapping, Float64Array.from(pts.flat()), env).metric.data).toEqual(batch.metric.data);
    });

    it(`${name}: metricBatch equals metricAt at every point to 1e-13`, () => {
      const model = exampleModel(name),
        metric = pickMetric(model),
        env = valuesOf(model);
      const n = metric.manifold.dim;
      const pts = points(n, 150);
      const g = metricBatch(metric, pts, env);
      expect(g.shape).toEqual([150, n, n]);
      metricAt(metric, pts, env).forEach((v, k) => {
        expect(relErr(g.data.subarray(k * n * n, (k + 1) * n * n), v.metric.flat())).toBeLessThan(1e-13);
      });
    });
  }

  it("polar coordinates: g = diag(1, r²), by hand", () => {
    const model = exampleModel("polar");
    const g = metricBatch(pickMetric(model), Float64Array.of(3, 0.4, 0.5, 2), valuesOf(model));
    expect(Array.from(g.data)).toEqual([1, 0, 0, 9, 1, 0, 0, 0.25]);
  });

  it("throws at the first point that is not finite with evaluateAt's message, and names a point of the wrong size", () => {
    const model = exampleModel("decoder"),
      mapping = pickMapping(model),
      env = valuesOf(model);
    const bad = [Number.NaN, 0.5];
    let message = "no error";
    try {
      evaluateAt(mapping, [bad], env);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not finite/);
    expect(() => evaluateBatch(mapping, [[0.1, 0.2], bad, [0.3, 0.4]], env)).toThrow(message);
    expect(() => metricBatch(pickMetric(model), [[0.1, 0.2], bad], env)).toThrow(EvaluationError);
    expect(() => evaluateBatch(mapping, [[0.1, 0.2], [0.3]], env)).toThrow(/point 2 has 1 coordinates; the input has dimension 2/);
    expect(() => evaluateBatch(mapping, Float64Array.of(1, 2, 3), env)).toThrow(/not a whole number of points/);
  });
});
