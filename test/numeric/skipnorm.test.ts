// Skip blocks (`skip { … }`), layer_norm and log_softmax through every route, against torch: the committed fixtures
// (test/fixtures/skipnorm/make.py, float64 torch models: a ResNet block x + W₂tanh(W₁x + b₁) + b₂ between two dense
// layers; the same with softplus, then LayerNorm(eps = 1e-3) and a log-softmax head) hold torch's outputs,
// torch.autograd Jacobians and JᵀJ; rgnn's symbolic route, matrix engine (jets and reverse mode), forward-mode oracle and
// `rgnn eval` must give them to 1e-10. Then training's gradient through a skip block and a layer normalisation against
// central differences, and the located errors of a skip block that does not fit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { metricAt } from "../../src/api/metric.js";
import { checkSpec } from "../../src/api/spec.js";
import { evaluateAt, geometryAt } from "../../src/index.js";
import { prepareNetwork, propagate, reverseJacobian } from "../../src/numeric/engine/network.js";
import { forwardNetwork } from "../../src/numeric/forward.js";
import { initialParameters, sampleLoss, trainable } from "../../src/numeric/train.js";
import type { Model, Network } from "../../src/semantics/model.js";
import { cli, diagnostics, expectClose, model, rng } from "../helpers.js";

const DIR = join(import.meta.dirname, "../fixtures/skipnorm");
const TOL = 1e-10;

interface Reference {
  points: number[][];
  outputs: number[][];
  jacobians: number[][][];
  metrics: number[][][];
}

const load = (name: string): { m: Model; ref: Reference; file: string } => {
  const file = join(DIR, `${name}.rgnn`);
  const r = checkSpec(readFileSync(file, "utf8"), file, { baseDir: DIR });
  if (!r.ok) throw new Error(r.message);
  return { m: r.model, ref: JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")), file };
};
const netOf = (m: Model) => m.mappings.get("net") as Network;
const rows = (flat: ArrayLike<number>, r: number, c: number) =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => flat[i * c + j]));

afterEach(() => {
  delete process.env.RGNN_ROUTE;
});

describe.each(["resblock", "resnorm"])("%s against torch.autograd", (name) => {
  const { m, ref, file } = load(name);
  const net = netOf(m),
    g = m.metrics.get("g")!,
    env = new Map<string, number>();

  it("the spec's layers: the block's end adds the state it started from", () => {
    expect(net.layers.map((l) => l.kind)).toEqual(
      name === "resblock" ? ["dense", "dense", "skip_2", "dense"] : ["dense", "dense", "skip_2", "layer_norm", "dense", "log_softmax"],
    );
    expect(net.layers[2]).toMatchObject({ inWidth: name === "resblock" ? 8 : 6, outWidth: 4 });
  });

  for (const route of ["symbolic", "matrix"] as const) {
    it(`${route} route: output, Jacobian and metric to ${TOL}`, () => {
      process.env.RGNN_ROUTE = route;
      const values = evaluateAt(net, ref.points, env);
      const metrics = metricAt(g, ref.points, env);
      ref.points.forEach((_, k) => {
        expectClose([values[k].output], [ref.outputs[k]], TOL, "output");
        expectClose(values[k].jacobian, ref.jacobians[k], TOL, "Jacobian");
        expectClose(metrics[k].metric, ref.metrics[k], TOL, "metric");
      });
    });
  }

  it("matrix engine: first-order jets and reverse mode give torch's Jacobian; forward mode too", () => {
    const prepared = prepareNetwork(net);
    ref.points.forEach((p, k) => {
      const J = ref.jacobians[k],
        [mOut, n] = [J.length, p.length];
      const pass = propagate(prepared, p, 1);
      expectClose([Array.from(pass.out.subarray(0, mOut))], [ref.outputs[k]], TOL, "jets' value");
      // component-major: derivative a of output i at (1 + a)·m + i
      expectClose(
        rows(
          Array.from({ length: mOut * n }, (_, t) => pass.out[(1 + (t % n)) * mOut + Math.floor(t / n)]),
          mOut,
          n,
        ),
        J,
        TOL,
        "jets",
      );
      expectClose(rows(reverseJacobian(prepared, p).J, mOut, n), J, TOL, "reverse mode");
      const states = forwardNetwork(net, p, env);
      expectClose(states[states.length - 1].J, J, TOL, "forward mode");
    });
  });

  it("Christoffel symbols and curvature: both routes agree (third-order jets through the block and the norm)", () => {
    const p = [ref.points[1]];
    const both = (q: "christoffel" | "scalar") => {
      process.env.RGNN_ROUTE = "symbolic";
      const s = geometryAt(g, q, p, env)[0].values;
      process.env.RGNN_ROUTE = "matrix";
      const x = geometryAt(g, q, p, env)[0].values;
      return [s, x];
    };
    const [cs, cm] = both("christoffel");
    expectClose([cm], [cs], 1e-10, "Christoffel symbols");
    const [ss, sm] = both("scalar");
    expectClose([sm], [ss], 1e-7, "scalar curvature");
  });

  it(`rgnn eval --at prints torch's numbers to ${TOL}`, async () => {
    const r = await cli(["eval", file, "--at", ref.points[2].join(","), "-f", "json"]);
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out).points[0];
    expectClose([got.output], [ref.outputs[2]], TOL, "output");
    expectClose(got.metric, ref.metrics[2], TOL, "metric");
  });
});

describe("a three-layer block, its inner states of other widths: every route agrees", () => {
  const r = rng(5),
    mat = (rows: number, cols: number) =>
      `[${Array.from({ length: rows }, () => `[${Array.from({ length: cols }, () => (2 * r() - 1) / Math.sqrt(cols)).join(", ")}]`).join(", ")}]`;
  const vec = (n: number) => `[${Array.from({ length: n }, () => 0.4 * r() - 0.2).join(", ")}]`;
  const m = model(`manifold P (u, v)
network net : P {
  dense 3 tanh with W = ${mat(3, 2)}, b = ${vec(3)}
  skip {
    dense 5 softplus with W = ${mat(5, 3)}, b = ${vec(5)}
    dense 2 tanh with W = ${mat(2, 5)}, b = ${vec(2)}
    dense 3 linear with W = ${mat(3, 2)}, b = ${vec(3)}
  }
  dense 2 sigmoid with W = ${mat(2, 3)}, b = ${vec(2)}
}
metric g = pullback along net`);
  const net = netOf(m),
    g = m.metrics.get("g")!,
    env = new Map<string, number>(),
    p = [0.35, -0.6];

  it("x_5 = W_5 x_4 + b_5 + x_1; symbolic and matrix routes, forward mode and reverse mode to 1e-12", () => {
    expect(net.layers[3].kind).toBe("skip_3");
    const at = (route: string) => {
      process.env.RGNN_ROUTE = route;
      return [metricAt(g, [p], env)[0].metric, geometryAt(g, "christoffel", [p], env)[0].values] as const;
    };
    const [gs, cs] = at("symbolic"),
      [gm, cm] = at("matrix");
    expectClose(gm, gs, 1e-12, "metric");
    expectClose([cm], [cs], 1e-12, "Christoffel symbols");
    const states = forwardNetwork(net, p, env),
      J = states[states.length - 1].J;
    expectClose(rows(reverseJacobian(prepareNetwork(net), p).J, 2, 2), J, 1e-12, "reverse mode");
    const JtJ = [0, 1].map((a) => [0, 1].map((b) => J[0][a] * J[0][b] + J[1][a] * J[1][b]));
    expectClose(gs, JtJ, 1e-12, "JᵀJ of forward mode");
  });
});

describe("training through a skip block and a layer normalisation", () => {
  const m = model(`manifold P (u, v)
network net : P {
  dense 3 tanh
  skip {
    dense 4 tanh
    dense 3 linear
  }
  layer_norm
  dense 3 linear
}`);
  const net = netOf(m);
  const t = trainable(net, new Map());

  it("starts the norm at γ = 1, β = 0 and trains W and b of every layer, γ and β included", () => {
    expect(t.tensors.map((x) => x.name)).toEqual(["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4", "W5", "b5"]);
    const theta = initialParameters(t, 3),
      gamma = t.tensors.find((x) => x.name === "W4")!;
    expect(Array.from(theta.subarray(gamma.offset, gamma.offset + 3))).toEqual([1, 1, 1]);
  });

  it("∂loss/∂θ by reverse mode equals central differences", () => {
    const r = rng(11),
      theta = Float64Array.from({ length: t.size }, () => 2 * r() - 1);
    const x0 = [0.4, -0.6],
      label = 2;
    const grad = new Float64Array(t.size);
    sampleLoss(t, theta, x0, label, grad);
    const e = 1e-6;
    for (let i = 0; i < t.size; i++) {
      const p = Float64Array.from(theta),
        q = Float64Array.from(theta);
      p[i] += e;
      q[i] -= e;
      const fd = (sampleLoss(t, p, x0, label).loss - sampleLoss(t, q, x0, label).loss) / (2 * e);
      expect(Math.abs(grad[i] - fd), `∂loss/∂θ[${i}]`).toBeLessThan(1e-8);
    }
  });
});

describe("skip blocks that do not fit", () => {
  const spec = (block: string) => `manifold P (u, v)\nnetwork net : P {\n  dense 3 tanh\n  ${block}\n}\n`;
  const errors = (text: string) => diagnostics(text).filter((d) => d.severity !== "warning");

  it("a branch of another width: located at the block's last layer", () => {
    const [d, ...rest] = errors(spec("skip {\n    dense 5 tanh\n    dense 4 linear\n  }"));
    expect(rest).toEqual([]);
    expect(d.message).toBe("layer 3 ends a skip block that adds x_1 (width 3), so its width must be 3, not 4");
    expect([d.span.line, d.span.col]).toEqual([6, 5]);
  });

  it("a last layer that is not dense, and a block that ends in another block", () => {
    const [d] = errors(spec("skip {\n    dense 5 tanh\n    softmax\n  }"));
    expect(d.message).toBe("layer 3 ends a skip block, so it must be a dense layer or a convolution, not softmax");
    expect([d.span.line, d.span.col]).toEqual([6, 5]);
    const [n] = errors(spec("skip {\n    dense 5 tanh\n    skip { dense 5 tanh }\n  }"));
    expect(n.message).toContain("layer 3 ends a skip block, so it must be a dense layer");
    expect(n.notes).toContain("it ends in another skip block: add a layer after the inner block");
  });

  it("the last layer's width defaults to the state it adds; blocks repeat and nest", () => {
    const net = netOf(model(spec("repeat 2 {\n skip {\n dense 6 tanh\n skip { dense 6 tanh\n dense 6 linear }\n dense linear }\n }")));
    expect(net.layers.map((l) => `${l.kind} ${l.inWidth}→${l.outWidth}`)).toEqual([
      "dense 2→3",
      "dense 3→6",
      "dense 6→6",
      "skip_2 6→6",
      "skip_4 6→3",
      "dense 3→6",
      "dense 6→6",
      "skip_2 6→6",
      "skip_4 6→3",
    ]);
  });

  it("a metric on a layer inside a block is refused: the block's end reads the state before it", () => {
    const text = `${spec("skip {\n    dense 5 tanh\n    dense 3 linear\n  }")}metric g = pullback along net to layer 2\n`;
    expect(errors(text)[0].message).toContain("layer 3 is the end of a skip block of 2 layers: it depends on layers 1 and 2");
  });
});
