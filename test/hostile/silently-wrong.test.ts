// Results that used to be silently wrong: an indefinite metric called positive semi-definite, checks passing on
// NaN, one constant with two values, requests that did nothing, partial tensors under a "nonzero" heading,
// misleading wordings. Each answer here is worked out by hand.
import { describe, expect, it } from "vitest";
import { classifyMetric } from "../../src/numeric/linalg.js";
import { cli, folder } from "./tools.js";

const { write } = folder("silently-wrong");

describe("a metric's signature and type are reported, not 'positive semi-definite'", () => {
  it("classifies by eigenvalue signs with a relative zero tolerance", () => {
    expect(
      classifyMetric([
        [-1, 0],
        [0, 1],
      ]),
    ).toEqual({ signature: [1, 1, 0], rank: 2, type: "Lorentzian" });
    expect(
      classifyMetric([
        [2, 0],
        [0, 3],
      ]),
    ).toEqual({ signature: [2, 0, 0], rank: 2, type: "Riemannian" });
    expect(
      classifyMetric([
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, -1, 0],
        [0, 0, 0, -1],
      ]).type,
    ).toBe("indefinite");
    // a zero eigenvalue is judged on each coordinate's own scale: 5e-16 relative to 2 is below the 1e-10 tolerance,
    // but diag(1, 1e-13) is two coordinates of different units, of rank 2 (see scale.test.ts)
    expect(
      classifyMetric([
        [1, 1],
        [1, 1 + 1e-15],
      ]),
    ).toEqual({ signature: [1, 0, 1], rank: 1, type: "degenerate" });
    expect(
      classifyMetric([
        [1, 0],
        [0, 1e-13],
      ]),
    ).toEqual({ signature: [2, 0, 0], rank: 2, type: "Riemannian" });
    expect(
      classifyMetric([
        [1, 1],
        [1, 1],
      ]),
    ).toEqual({ signature: [1, 0, 1], rank: 1, type: "degenerate" });
  });

  it("metric --at says Lorentzian with signature (1,1,0), in text and JSON", async () => {
    const spec = write("lor.rgnn", "manifold M (x, y)\nmetric g on M = [[-1,0],[0,1]]\n");
    const t = await cli(["metric", spec, "--at", "0,0"]);
    expect(t.code).toBe(0);
    expect(t.out).toContain("rank 2, signature (1,1,0), Lorentzian");
    expect(t.out).not.toMatch(/semi-definite/);
    const j = JSON.parse((await cli(["metric", spec, "--at", "0,0", "--format", "json"])).out);
    expect([j.rank, j.signature, j.type]).toEqual([2, [1, 1, 0], "Lorentzian"]);
  });

  it("a narrow pullback is degenerate with rank 1 (J = [1 1]: g = [[1,1],[1,1]])", async () => {
    const spec = write("fold.rgnn", "manifold P (x, y)\nmanifold L (u)\nmap f : P -> L {\n  u = x + y\n}\nmetric g = pullback along f\n");
    const j = JSON.parse((await cli(["metric", spec, "--at", "0.1,0.2", "--format", "json"])).out);
    expect([j.rank, j.signature, j.type]).toEqual([1, [1, 0, 1], "degenerate"]);
  });

  it("Schwarzschild at r = 3 r_s: rank 4, signature (3,1,0); verify passes, positive definite fails", async () => {
    const t = await cli(["metric", "examples/schwarzschild.rgnn", "--at", "0,3,1.2,0.4", "--format", "json"]);
    const j = JSON.parse(t.out);
    expect([j.rank, j.signature, j.type]).toEqual([4, [3, 1, 0], "Lorentzian"]);
    // g_tt = -(1 - 1/3), g_rr = 1/(1 - 1/3)
    expect(j.metric[0][0]).toBeCloseTo(-2 / 3, 14);
    expect(j.metric[1][1]).toBeCloseTo(1.5, 14);
    const v = await cli(["verify", "examples/schwarzschild.rgnn"]);
    expect(v.out).toContain("ok    g:signature");
    expect(v.out).not.toContain("g:psd");
    expect(v.code).toBe(0);
    const text =
      "constant rs = 1\nmanifold S (t, r, theta, phi)\nmetric g on S = [[-(1 - rs/r), 0, 0, 0], [0, 1/(1 - rs/r), 0, 0], " +
      "[0, 0, r^2, 0], [0, 0, 0, r^2 * sin(theta)^2]]\ncheck g is positive definite\n";
    const pd = await cli(["verify", write("pd.rgnn", text)]);
    expect(pd.code).toBe(1);
    expect(pd.out).toMatch(/FAIL\s+claim1\s+Claim: g is positive definite/);
  });

  it("a metric whose signature changes across the chart fails verify", async () => {
    const spec = write("flip.rgnn", "manifold M (x, y)\nmetric g on M = [[x,0],[0,1]]\n");
    const v = await cli(["verify", spec]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/FAIL\s+g:signature .*\n.*signature \((2,0,0|1,1,0)\), \w+ here, but signature/);
  });
});

describe("a check that could not evaluate fails, saying why", () => {
  it("g = [[log(x-5),0],[0,1]] is NaN on the whole chart [-1,1]²: 'positive definite' fails, naming g[1][1] and a point", async () => {
    const spec = write("nan.rgnn", "manifold M (x, y)\nmetric g on M = [[log(x-5),0],[0,1]]\ncheck g is positive definite\n");
    const v = await cli(["verify", spec]);
    expect(v.code).toBe(1);
    expect(v.out).not.toMatch(/ok\s+claim1/);
    expect(v.out).toMatch(
      /FAIL\s+claim1 .*\n\s+only 0 of 8 sampled points gave finite values on both sides \(160 tried\); the first non-finite value: \[1\]\[1\] = NaN at x=-?[\d.]+, y=/,
    );
    expect(v.out).toMatch(/FAIL\s+g:signature/);
    expect(v.out).toContain(" 4 checks FAILED.");
  });

  it("a rank claim on a NaN matrix fails too", async () => {
    const spec = write("nanrank.rgnn", "manifold M (x, y)\nmetric g on M = [[log(x-5),0],[0,1]]\ncheck g has rank 2\n");
    expect((await cli(["verify", spec])).out).toMatch(/FAIL\s+claim1 .*\n\s+only 0 of 8/);
  });

  it("a check at a point where one side is NaN names that side", async () => {
    const spec = write("side.rgnn", "manifold M (x, y)\nmetric g on M = [[1,0],[0,1]]\ncheck g equals [[sqrt(x), 0], [0, 1]] at (-1, 0)\n");
    const v = await cli(["verify", spec]);
    expect(v.out).toMatch(/the first non-finite value: right \[1\]\[1\] = NaN at x=-1, y=0/);
  });

  it("a claim `at` a point is evaluated at that point, not at the origin", async () => {
    const text = "manifold M (x, y)\nmetric g on M = [[x^2, 0], [0, 1]]\ncheck g equals [[x, 0], [0, 1]] at (2, 0.3)\n";
    const v = await cli(["verify", write("at.rgnn", text)]);
    // x² = 4 and x = 2 at x = 2 (at the origin both would be 0)
    expect(v.out).toMatch(/FAIL\s+claim1 .*\n\s+at x=2, y=0.3: \[1\]\[1\] left 4 vs right 2/);
  });

  it("eval and metric --at report log(x) at x = -1 the same way: the map is not finite there", async () => {
    const spec = write(
      "logmap.rgnn",
      "manifold M (x, y)\nmanifold P (u, v)\nmap f : M -> P {\n  u = log(x)\n  v = y\n}\nmetric g = pullback along f\n",
    );
    const msg = "error: 'f' is not finite at (-1, 0): output[1] = NaN";
    const e = await cli(["eval", spec, "--at", "-1,0"]);
    const m = await cli(["metric", spec, "--at", "-1,0"]);
    expect([e.code, m.code]).toEqual([1, 1]);
    expect(e.err).toContain(msg);
    expect(m.err).toContain(msg);
    // where the map is defined, the pullback is diag(1/x², 1)
    expect(JSON.parse((await cli(["metric", spec, "--at", "2,0", "--format", "json"])).out).metric).toEqual([
      [0.25, 0],
      [0, 1],
    ]);
  });
});

describe("one value per constant, everywhere; definitions in dependency order; embeddings are maps", () => {
  const spec = write(
    "const.rgnn",
    "constant c = 0.5\nconstant d = 2 * c\nmanifold I (x, y)\nmanifold H (u, v)\nnetwork n : I -> H {\n" +
      "  dense 2 linear with W = [[c, 0], [0, d]], b = [0, 0]\n}\nmap s : H -> H {\n  u = c * u\n  v = v\n}\n" +
      "map both = n then s\nmetric g = pullback along both\n",
  );

  it("--set c=0.9 reaches the weights, the map and derived constants: g = diag(c⁴, (2c)²)", async () => {
    const at = async (set?: string) =>
      JSON.parse((await cli(["metric", spec, "--at", "0.2,0.3", "--format", "json", ...(set ? ["--set", set] : [])])).out).metric;
    const g0 = await at();
    expect(g0[0][0]).toBeCloseTo(0.0625, 14);
    expect(g0[1][1]).toBeCloseTo(1, 14);
    const g = await at("c=0.9");
    expect(g[0][0]).toBeCloseTo(0.9 ** 4, 14); // not 0.2025 = (0.5·0.9)²
    expect(g[1][1]).toBeCloseTo(1.8 ** 2, 14);
    const e = JSON.parse((await cli(["eval", spec, "--network", "both", "--at", "0.2,0.3", "--format", "json", "--set", "c=0.9"])).out);
    expect(e.points[0].output[0]).toBeCloseTo(0.81 * 0.2, 14);
  });

  it("--form layers defines every name before it is used", async () => {
    const r = await cli(["metric", "examples/deep-resnet.rgnn", "--form", "layers", "--format", "json"]);
    const defs: { name: string; expr: string }[] = JSON.parse(r.out).definitions;
    const seen = new Set<string>();
    const all = new Set(defs.map((d) => d.name));
    for (const d of defs) {
      for (const used of d.expr.match(/\b[zxsJg]\d+_\d+\b/g) ?? [])
        if (all.has(used)) expect(seen, `${d.name} uses ${used}`).toContain(used);
      seen.add(d.name);
    }
    expect(defs.some((d) => /^g\d+_/.test(d.name))).toBe(true);
  });

  it("eval --network on an embedded manifold evaluates its parametrisation (sphere of radius 2)", async () => {
    const r = await cli(["eval", "examples/sphere.rgnn", "--network", "Sphere", "--at", "1.1,0.4", "--format", "json"]);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.out).points[0];
    expect(p.output[2]).toBeCloseTo(2 * Math.cos(1.1), 14);
    expect(p.metric[1][1]).toBeCloseTo(4 * Math.sin(1.1) ** 2, 13);
  });
});

describe("rgnn run carries out the spec's own requests", () => {
  it("polar.rgnn: `evaluate g at (2, 0.5)` prints diag(1, 4); checks print ok; in the spec's order", async () => {
    const r = await cli(["run", "examples/polar.rgnn"]);
    expect(r.code).toBe(0);
    const at = r.out.indexOf("── line 19: evaluate g at (2, 0.5)");
    expect(at).toBeGreaterThan(r.out.indexOf("── line 18: check g is symmetric"));
    expect(r.out.slice(at)).toMatch(/g = \[ 1 {2}0 \]\n {4}\[ 0 {2}4 \]/);
    expect(r.out).toContain("Gamma^r_theta,theta = -r");
    expect(r.out).toContain("J(polar) = [ cos(theta)  -r*sin(theta) ]");
  });

  it("a failing check makes it exit 1, and reads standard input once", async () => {
    const spec = "manifold P (r, t)\nmetric g on P = [[1, 0], [0, r^2]]\nevaluate g at (3, 0)\ncheck g equals [[1, 0], [0, r]]\n";
    const r = await cli(["run", "-"], spec);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[ 0 {2}9 \]/);
    expect(r.out).toMatch(/── line 4: check g equals \[\[1, 0\], \[0, r\]\]\nFAIL {2}at r=/);
  });
});

describe("wordings that misled", () => {
  it("a declared but broken metric is one error, at its declaration: its uses are not reported again", async () => {
    const spec = write("broken.rgnn", "manifold M (x, y)\nmetric g on M = [[foo, 0], [0, 1]]\nshow g\ncheck g is symmetric\n");
    const r = await cli(["check", spec]);
    expect(r.code).toBe(1);
    expect(r.err).not.toContain("used before it is declared");
    expect(r.err.match(/: error: /g)).toHaveLength(1);
    expect(r.err).toMatch(/broken\.rgnn:2:19: error: unknown name 'foo'/);
  });

  it("typos get one diagnostic each and a suggestion: transpositions, network names", async () => {
    const spec = write(
      "typos.rgnn",
      "manifold Input (x, y)\nnetwork toy : Input -> R^2 {\n  dense 2 tahn\n}\nmetric g = pullback of euclidean along tyo\nshow g\n",
    );
    const r = await cli(["check", spec]);
    expect(r.code).toBe(1);
    expect(r.err.match(/: error: /g)).toHaveLength(2);
    expect(r.err).toMatch(/:3:11: error: unknown activation 'tahn'[\s\S]*= did you mean 'tanh'\?/);
    expect(r.err).toMatch(/:5:40: error: unknown map or network or manifold 'tyo'[\s\S]*= did you mean 'toy'\?/);
  });

  it("flow: a constant field (W = 0) is integrated exactly by Euler; orders at round-off print —, never NaN", async () => {
    const layer = "  residual tanh with h = 0.5, W = [[0, 0], [0, 0]], b = [0.1, 0.2]\n";
    const spec = write("exact.rgnn", `manifold I (x, y)\nnetwork n : I -> R^2 {\n${layer}${layer}}\n`);
    const r = await cli(["flow", spec, "--depths", "4,8,16"]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("NaN");
    expect(r.out).toContain("(metric); expected 1");
    expect(r.out).toMatch(/fitted order .* — \(metric\)/);
    expect(r.out).toContain("— (at round-off)");
  });
});
