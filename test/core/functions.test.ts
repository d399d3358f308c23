// The function registry, entry by entry: every rule checked against the value it belongs to, so a new entry is
// covered by adding it. Reference values are from Python's math module (math.erf, math.erfc, math.atan, …).
import katex from "katex";
import { FunctionNode, SymbolNode } from "mathjs";
import { describe, expect, it } from "vitest";
import {
  ACTIVATION_FUNCTIONS,
  erf,
  erfc,
  type FunctionName,
  FUNCTIONS,
  JS_RUNTIME,
  REAL,
  REGISTRY,
  valueAndSlope,
} from "../../src/core/functions.js";
import { ACTIVATION } from "../../src/numeric/activations.js";
import { compile } from "../../src/numeric/codegen.js";
import { Dual, dualEval } from "../../src/numeric/forward.js";
import { ACTIVATIONS } from "../../src/semantics/model.js";
import { diff } from "../../src/symbolic/diff.js";
import { evaluate, fn, sym } from "../../src/symbolic/expr.js";
import { print } from "../../src/symbolic/print.js";
import { latex } from "../../src/render/latex-expr.js";
import { close, def, fd, samples } from "./function-samples.js";

describe.each(FUNCTIONS.map((f) => [f]))("%s", (f) => {
  const d = def(f);
  it("derivative agrees with central differences of the value", () => {
    for (const x of samples(f)) {
      const slope = d.derivative(REAL, x, d.value(x));
      expect(close(slope, fd(d.value, x), 1e-8), `${f}'(${x}) = ${slope}, differences ${fd(d.value, x)}`).toBe(true);
    }
  });
  it("the symbolic derivative evaluates to the numeric one", () => {
    const [df] = diff([fn(f, sym("x"))], "x");
    for (const x of samples(f)) expect(evaluate([df], { x })[0]).toBeCloseTo(valueAndSlope(f, x)[1], 13);
  });
  it("the JavaScript spelling evaluates to the value, inline and compiled", () => {
    const g = new Function(...Object.keys(JS_RUNTIME), "x", `return ${d.js("x")};`);
    const c = compile([fn(f, sym("x"))], ["x"]);
    for (const x of samples(f)) {
      expect(g(...Object.values(JS_RUNTIME), x)).toBe(d.value(x));
      expect(c.at([x])[0]).toBe(d.value(x));
    }
    // a negative literal as the argument, as the code generator writes it
    const x = samples(f)[1];
    if (x < 0) expect(new Function(...Object.keys(JS_RUNTIME), `return ${d.js(`(${x})`)};`)(...Object.values(JS_RUNTIME))).toBe(d.value(x));
  });
  it("the dual rule: f of a dual number carries f'(x) in the right slot", () => {
    const node = new FunctionNode(new SymbolNode(f), [new SymbolNode("x")]);
    for (const x of samples(f)) {
      const r = dualEval(node, new Map([["x", Dual.variable(x, 0, 2)]]), 2);
      expect(r.v).toBe(d.value(x));
      expect(close(r.d[0], fd(d.value, x), 1e-8)).toBe(true);
      expect(r.d[1]).toBe(0);
    }
  });
  it("the TeX spellings render in KaTeX, and the printers use the registry's spellings", () => {
    for (const tex of [`${d.tex}(x)`, `${d.tex}^{2}\\left(x + 1\\right)`, d.slopeTex]) {
      expect(() => katex.renderToString(tex, { throwOnError: true })).not.toThrow();
    }
    // the identity is folded away by the DAG: its closed forms print the argument
    expect(latex(fn(f, sym("x")))).toBe(d.identity ? "x" : `${d.tex}(x)`);
    expect(print(fn(f, sym("x")))).toBe(d.identity ? "x" : `${d.text}(x)`);
  });
  it("Python spellings are torch/numpy callables, or a NumPy helper defining _<name>", () => {
    const callable = (s: string, mod: string) =>
      new RegExp(`^${mod}(\\.[a-z_]+)+$`).test(s) || (s.startsWith(`${mod}.`) && s.includes("{x}")) || (d.identity && s === "{x}");
    expect(callable(d.python.torch, "torch")).toBe(true);
    const numpy = d.python.numpy;
    if (typeof numpy === "string") expect(callable(numpy, "numpy")).toBe(true);
    else expect(numpy.helper).toMatch(new RegExp(`^def _${f}\\(x\\):$`, "m"));
  });
});

describe("activations", () => {
  it("are exactly the flagged functions, the identity first", () => {
    expect([...ACTIVATIONS]).toEqual(FUNCTIONS.filter((f) => def(f).activation));
    expect(ACTIVATIONS[0]).toBe("linear");
    expect(ACTIVATION_FUNCTIONS).toEqual(expect.arrayContaining(["tanh", "sigmoid", "softplus", "relu", "sin", "elu", "gelu"]));
    expect(ACTIVATION.linear(0.7)).toEqual([0.7, 1]);
    for (const a of ACTIVATION_FUNCTIONS) expect(ACTIVATION[a](0.7)).toEqual(valueAndSlope(a, 0.7));
  });
});

describe("erf (Cody's rational approximations)", () => {
  const ERF: [number, number][] = [
    [-3, -0.9999779095030014],
    [-1.5, -0.9661051464753108],
    [-0.5, -0.5204998778130465],
    [-0.1, -0.1124629160182849],
    [0, 0],
    [0.2, 0.22270258921047847],
    [0.46875, 0.49261347321793797],
    [0.7, 0.6778011938374184],
    [1, 0.8427007929497149],
    [2.5, 0.999593047982555],
    [4, 0.9999999845827421],
    [5.5, 0.9999999999999927],
    [-6, -1],
  ];
  const ERFC: [number, number][] = [
    [-1, 1.842700792949715],
    [0.3, 0.6713732405408726],
    [1.2, 0.08968602177036465],
    [3, 2.2090496998585438e-5],
    [5, 1.5374597944280351e-12],
    [10, 2.088487583762545e-45],
    [26, 5.663192408856143e-296],
  ];
  it("agrees with math.erf to a relative 2e-15, in all three intervals and for negative arguments", () => {
    for (const [x, v] of ERF) expect(Math.abs(erf(x) - v), `erf(${x})`).toBeLessThanOrEqual(2e-15 * Math.abs(v));
  });
  it("erfc keeps its relative accuracy far in the tail", () => {
    for (const [x, v] of ERFC) expect(Math.abs(erfc(x) - v), `erfc(${x})`).toBeLessThanOrEqual(1e-14 * Math.abs(v));
    expect(erfc(27)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });
  it("is odd", () => {
    for (const x of [0.01, 0.3, 0.9, 2, 4.5, 7]) expect(erf(-x)).toBe(-erf(x));
  });
});

describe("reference values of the new functions", () => {
  const table: Record<string, [number, number][]> = {
    gelu: [
      [-7, -8.958687807200846e-12],
      [-2, -0.04550026389635844],
      [-0.5, -0.15426876936299344],
      [0, 0],
      [0.3, 0.18537342665668577],
      [1, 0.8413447460685429],
      [3, 2.99595030590511],
    ],
    asinh: [
      [-2, -1.4436354751788103],
      [-0.5, -0.48121182505960347],
      [0.5, 0.48121182505960347],
      [3, 1.8184464592320668],
    ],
    atanh: [
      [-0.9, -1.4722194895832204],
      [-0.3, -0.30951960420311175],
      [0.5, 0.5493061443340548],
      [0.99, 2.6466524123622457],
    ],
    atan: [
      [-10, -1.4711276743037347],
      [-1, -0.7853981633974483],
      [0.25, 0.24497866312686414],
      [2, 1.1071487177940904],
    ],
    elu: [
      [-2, -0.8646647167633873],
      [-0.5, -0.3934693402873666],
      [-1e-3, -0.0009995001666250085],
      [0, 0],
      [1e-3, 1e-3],
      [0.5, 0.5],
      [2, 2],
    ],
    // torch.nn.functional's silu, mish, leaky_relu, hardtanh in float64 (torch 1.13)
    silu: [
      [-30, -2.8072868906517896e-12],
      [-3, -0.14227761953270035],
      [-0.5, -0.1887703343990727],
      [0, 0],
      [0.4, 0.2394750640449808],
      [2, 1.7615941559557646],
      [25, 24.9999999996528],
    ],
    mish: [
      [-30, -2.807286890651921e-12],
      [-3, -0.1456474612756246],
      [-0.5, -0.22074377465173],
      [0, 0],
      [0.4, 0.2890305340723631],
      [2, 1.9439589595339946],
      [25, 25],
    ],
    leaky_relu: [
      [-2, -0.02],
      [-0.5, -0.005],
      [0, 0],
      [0.7, 0.7],
    ],
    hardtanh: [
      [-3, -1],
      [-1, -1],
      [-0.25, -0.25],
      [0.6, 0.6],
      [1, 1],
      [4, 1],
    ],
  };
  for (const [f, rows] of Object.entries(table)) {
    it(f, () => {
      for (const [x, v] of rows)
        expect(Math.abs(def(f as FunctionName).value(x) - v), `${f}(${x})`).toBeLessThanOrEqual(4e-15 * Math.abs(v));
    });
  }
  it("elu' is 1 on both sides of its kink and at it, eˣ to the left", () => {
    for (const x of [-1e-9, 0, 1e-9, 0.5, 3]) expect(valueAndSlope("elu", x)[1]).toBeCloseTo(1, 8);
    for (const x of [-3, -0.5]) expect(valueAndSlope("elu", x)[1]).toBeCloseTo(Math.exp(x), 15);
    // one-sided differences at 0 agree with the rule from either side
    const h = 1e-7;
    expect((REGISTRY.elu.value(0) - REGISTRY.elu.value(-h)) / h).toBeCloseTo(1, 6);
    expect((REGISTRY.elu.value(h) - REGISTRY.elu.value(0)) / h).toBeCloseTo(1, 6);
  });
  it("silu', mish', leaky_relu' and hardtanh' are torch.autograd's, at the kinks too (0.01 at 0; 0 at ±1)", () => {
    const grads: Record<string, [number, number][]> = {
      silu: [
        [-30, -2.713710660963134e-12],
        [-3, -0.08810410601516962],
        [-0.5, 0.2600388126973482],
        [0, 0.5],
        [0.4, 0.6947919584090636],
        [2, 1.0907842487848955],
        [25, 1.000000000333312],
      ],
      mish: [
        [-30, -2.713710660963392e-12],
        [-3, -0.09339311453232084],
        [-0.5, 0.28951067791351226],
        [0, 0.6],
        [0.4, 0.8370175025417962],
        [2, 1.0693179342794896],
        [25, 1],
      ],
      leaky_relu: [
        [-2, 0.01],
        [0, 0.01],
        [0.7, 1],
      ],
      hardtanh: [
        [-3, 0],
        [-1, 0],
        [-0.25, 1],
        [0.6, 1],
        [1, 0],
        [4, 0],
      ],
    };
    for (const [f, rows] of Object.entries(grads))
      for (const [x, v] of rows) {
        const d = valueAndSlope(f as FunctionName, x)[1];
        expect(Math.abs(d - v), `${f}'(${x}) = ${d}`).toBeLessThanOrEqual(1e-14 * Math.abs(v));
      }
  });
  it("gelu' is Φ(x) + x·φ(x)", () => {
    for (const x of [-2, -0.4, 0, 1.3]) {
      const Phi = 0.5 * erfc(-x / Math.SQRT2),
        phi = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
      expect(valueAndSlope("gelu", x)[1]).toBeCloseTo(Phi + x * phi, 14);
    }
  });
});
