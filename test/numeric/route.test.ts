// Route selection: both routes (forced with RGNN_ROUTE) on the same networks through the commands and the
// library agree to 1e-12 (metric, eval, Christoffel symbols; curvature to 1e-8 of its scale), the automatic
// choice follows the size estimate, and the engine's det goes through the same degeneracy check.
import { afterEach, describe, expect, it } from "vitest";
import { metricAt } from "../../src/api/metric.js";
import { evaluateAt, geometryAt } from "../../src/index.js";
import { geodesicBVP } from "../../src/numeric/geodesic.js";
import {
  GEODESIC_ROUTE_THRESHOLD,
  geodesicBackend,
  mappingRoute,
  eachFlat,
  eachPoint,
  metricRoute,
  pointMapping,
  pointQuantity,
  routeThreshold,
} from "../../src/numeric/route.js";
import { estimateSymbolicSize } from "../../src/symbolic/size.js";
import { metricComponents } from "../../src/symbolic/metric.js";
import { dagSize } from "../../src/symbolic/expr.js";
import { cli, model, rng, uniform } from "../helpers.js";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

afterEach(() => {
  delete process.env.RGNN_ROUTE;
});

/** A random tanh/softplus/sigmoid network n0 → widths… with a residual layer, as spec text. */
function spec(seed: number, n0: number, widths: number[]): string {
  const r = rng(seed);
  const acts = ["tanh", "softplus", "sigmoid", "gelu", "sin"];
  let w = n0;
  const lines = widths.map((o, l) => {
    const W = Array.from({ length: o }, () => `[${Array.from({ length: w }, () => uniform(r, -1.5, 1.5) / Math.sqrt(w)).join(", ")}]`);
    const b = Array.from({ length: o }, () => uniform(r, -0.5, 0.5));
    const act = acts[(seed + l) % acts.length];
    const head = o === w && l % 2 ? `residual ${act} with h = 0.3,` : `dense ${o} ${act} with`;
    w = o;
    return `${head} W = [${W.join(", ")}], b = [${b.join(", ")}]`;
  });
  const coords = Array.from({ length: n0 }, (_, i) => `u${i + 1}`).join(", ");
  return `manifold I (${coords})\nnetwork n : I -> R^${w} {\n  ${lines.join("\n  ")}\n}\nmetric g = pullback along n\n`;
}

const relErr = (a: number[], b: number[]) => {
  const s = Math.max(...b.map(Math.abs), 1e-300);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / s;
};

describe("both routes on the same networks", () => {
  const nets: [number, number[]][] = [
    [2, [5, 5, 3]],
    [3, [4, 4]],
    [2, [4, 4, 4, 6]],
  ];
  it("library: metric, eval, Γ to 1e-12; Riemann, Ricci, scalar to 1e-8", () => {
    nets.forEach(([n0, widths], k) => {
      const m = model(spec(k + 1, n0, widths));
      const g = m.metrics.get("g")!,
        net = m.mappings.get("n")!,
        env = new Map<string, number>();
      const p = Array.from({ length: n0 }, (_, i) => 0.2 - 0.3 * i);
      const both = <T>(f: () => T): [T, T] => {
        process.env.RGNN_ROUTE = "symbolic";
        const s = f();
        process.env.RGNN_ROUTE = "matrix";
        const x = f();
        return [s, x];
      };
      const [gs, gm] = both(() => metricAt(g, [p], env)[0]);
      expect(relErr(gm.metric.flat(), gs.metric.flat())).toBeLessThan(1e-12);
      const [es, em] = both(() => evaluateAt(net, [p], env)[0]);
      expect(relErr(em.output, es.output)).toBeLessThan(1e-12);
      expect(relErr(em.jacobian.flat(), es.jacobian.flat())).toBeLessThan(1e-12);
      expect(relErr(em.metric.flat(), es.metric.flat())).toBeLessThan(1e-12);
      for (const q of ["volume", "inverse", "christoffel"] as const) {
        const [qs, qm] = both(() => geometryAt(g, q, [p], env)[0].values);
        expect(relErr(qm, qs), q).toBeLessThan(1e-12);
      }
      for (const q of ["riemann", "ricci", "scalar", "kretschmann"] as const) {
        const [qs, qm] = both(() => geometryAt(g, q, [p], env)[0].values);
        expect(relErr(qm, qs), q).toBeLessThan(1e-8);
      }
      process.env.RGNN_ROUTE = "matrix";
      expect(pointQuantity(g, "scalar", env).route).toBe("matrix");
      process.env.RGNN_ROUTE = "symbolic";
      expect(pointQuantity(g, "scalar", env).route).toBe("symbolic");
    });
  });

  it("commands: metric --at, eval --at and geometry --at print the same on both routes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-route-"));
    const file = join(dir, "net.rgnn");
    writeFileSync(file, spec(7, 2, [6, 6, 3]));
    for (const args of [
      ["metric", file, "--at", "0.3,-0.7", "--format", "json"],
      ["eval", file, "--at", "0.3,-0.7", "--format", "json"],
      ["geometry", file, "--at", "0.3,-0.7", "--quantity", "christoffel", "--format", "json"],
      ["geometry", file, "--at", "0.3,-0.7", "--quantity", "gaussian", "--format", "json"],
    ]) {
      process.env.RGNN_ROUTE = "symbolic";
      const s = await cli(args);
      process.env.RGNN_ROUTE = "matrix";
      const m = await cli(args);
      expect(s.code, s.err).toBe(0);
      expect(m.code, m.err).toBe(0);
      const nums = (o: string) => (o.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number);
      const tol = args.includes("gaussian") ? 1e-8 : 1e-12;
      expect(relErr(nums(m.out), nums(s.out)), args.join(" ")).toBeLessThan(tol);
    }
  });
});

describe("the automatic choice", () => {
  it("takes the engine on narrow deep nets, where it is the faster route at a point", () => {
    const resnet = (width: number, depth: number) =>
      model(`manifold I = R^${width}\nnetwork n : I {\n  repeat ${depth} { residual tanh with h = 0.1 }\n}\nmetric g = pullback along n\n`);
    for (const [width, depth] of [
      [2, 1024],
      [8, 32],
    ]) {
      const m = resnet(width, depth);
      expect(metricRoute(m.metrics.get("g")!, 0)).toBe("matrix");
      expect(mappingRoute(m.mappings.get("n")!)).toBe("matrix");
    }
    expect(metricRoute(resnet(2, 8).metrics.get("g")!, 0)).toBe("symbolic");
  });

  it("the estimate is within a factor 2 of the measured DAG (widths 2–12)", () => {
    for (const [n0, widths] of [
      [2, [8, 8, 2]],
      [3, [12, 12, 3]],
      [2, [4, 4, 4, 4, 2]],
    ] as [number, number[]][]) {
      const g = model(spec(3, n0, widths)).metrics.get("g")!;
      const ratio = estimateSymbolicSize(g, 0) / dagSize(metricComponents(g).flat());
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    }
  });

  it("small networks stay symbolic; curvature of a wider one and the 64-wide MLP go to the engine", () => {
    const small = model(spec(1, 2, [3, 2]));
    expect(metricRoute(small.metrics.get("g")!, 2)).toBe("symbolic");
    expect(mappingRoute(small.mappings.get("n")!)).toBe("symbolic");
    const mid = model(spec(1, 2, [4, 4, 2])).metrics.get("g")!;
    expect(estimateSymbolicSize(mid, 0)).toBeLessThan(routeThreshold(3));
    expect(metricRoute(mid, 0)).toBe("symbolic");
    expect(metricRoute(mid, 2)).toBe("matrix");
    // the 2→16→16→2 MLP's metric (10⁴ nodes) builds symbolically in 2.3× the engine's time: the engine
    expect(metricRoute(model(spec(1, 2, [16, 16, 2])).metrics.get("g")!, 0)).toBe("matrix");
    const wide = model(spec(2, 2, [64, 64, 64, 2]));
    expect(metricRoute(wide.metrics.get("g")!, 0)).toBe("matrix");
    expect(mappingRoute(wide.mappings.get("n")!)).toBe("matrix");
    const [v] = metricAt(wide.metrics.get("g")!, [[0.3, -0.7]], new Map());
    expect(v.metric.flat().every(Number.isFinite)).toBe(true);
  });

  it("geodesics of the depth-64 residual net take the engine (Γ ~10⁴ nodes) and agree with the symbolic route", () => {
    const g = model(readFileSync("examples/deep-resnet.rgnn", "utf8"), "examples/deep-resnet.rgnn", "examples").metrics.get("g")!;
    expect(estimateSymbolicSize(g, 1)).toBeGreaterThan(GEODESIC_ROUTE_THRESHOLD);
    expect(estimateSymbolicSize(g, 0)).toBeLessThan(routeThreshold(64));
    expect(geodesicBackend(g, new Map()).route).toBe("matrix");
    const engine = geodesicBVP(g, new Map(), [0.3, -0.7], [-0.5, 0.6], { samples: 2 });
    process.env.RGNN_ROUTE = "symbolic";
    expect(geodesicBackend(g, new Map()).route).toBe("symbolic");
    const symbolic = geodesicBVP(g, new Map(), [0.3, -0.7], [-0.5, 0.6], { samples: 2 });
    // each solve is converged to its own tolerances (end point within 1e-7 (1 + |x1|) on the engine's route, 1e-10 on
    // the symbolic one), not to round-off
    expect(Math.abs(engine.length - symbolic.length)).toBeLessThan(1e-7 * symbolic.length);
    for (let a = 0; a < 2; a++) expect(Math.abs(engine.velocity[a] - symbolic.velocity[a])).toBeLessThan(1e-6);
  });

  it("the engine's det goes through the degeneracy check (a 2 → 1 → 2 bottleneck)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-route-"));
    const file = join(dir, "narrow.rgnn");
    writeFileSync(
      file,
      "manifold I (u, v)\nnetwork n : I -> R^2 {\n  dense 1 tanh with W = [[1, 2]], b = [0]\n" +
        "  dense 2 tanh with W = [[1], [2]], b = [0, 0]\n}\nmetric g = pullback along n\n",
    );
    process.env.RGNN_ROUTE = "matrix";
    const r = await cli(["geometry", file, "--at", "0.1,0.2", "--quantity", "christoffel"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/degenerate at \(0\.1, 0\.2\): det g = /);
  });
});

describe("many points at once", () => {
  const decoder = () => model(readFileSync("examples/decoder.rgnn", "utf8"), "examples/decoder.rgnn", "examples").mappings.get("decoder")!;

  it("gives the engine's values point by point, by blocks of points through the network", () => {
    const ev = pointMapping(decoder(), new Map());
    expect(ev.route).toBe("matrix");
    const r = rng(4);
    const points = Array.from({ length: 300 }, () => [uniform(r, -2, 2), uniform(r, -2, 2)]);
    const all = ev.many(points);
    expect(all).toHaveLength(points.length);
    const rel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(1, Math.abs(b[i]))));
    for (const k of [0, 1, 127, 128, 255, 299]) {
      const one = ev.at(points[k]);
      expect(rel(all[k].output, one.output)).toBeLessThan(1e-13);
      expect(rel(all[k].jacobian.flat(), one.jacobian.flat())).toBeLessThan(1e-12);
      expect(rel(all[k].metric.flat(), one.metric.flat())).toBeLessThan(1e-12);
    }
  });

  it("throws at the first point where one at a time would, with the same message", () => {
    const ev = pointMapping(decoder(), new Map());
    const bad = [Number.NaN, 0.5];
    const message = (() => {
      try {
        ev.at(bad);
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    })();
    expect(message).toMatch(/not finite/);
    expect(() => ev.many([[0.1, 0.2], bad, [0.3, 0.4]])).toThrow(message);
    // streamed: the values before the bad point come out (as one at a time gives them), then its error
    const seen: number[][] = [];
    const points = [[0.1, 0.2], [0.2, 0.1], bad, [0.3, 0.4]];
    expect(() => {
      for (const r of eachPoint(ev, points, 3)) seen.push(r.output);
    }).toThrow(message);
    expect(seen).toEqual([ev.at(points[0]).output, ev.at(points[1]).output]);
  });

  it("flat holds many's numbers bit for bit, and throws at a bad point with its message after the good ones", () => {
    const ev = pointMapping(decoder(), new Map());
    const r = rng(6);
    const points = Array.from({ length: 70 }, () => [uniform(r, -2, 2), uniform(r, -2, 2)]);
    const flat = ev.flat(points),
      many = ev.many(points);
    expect(flat.count).toBe(70);
    expect(Array.from(flat.output)).toEqual(many.flatMap((v) => v.output));
    expect(Array.from(flat.jacobian)).toEqual(many.flatMap((v) => v.jacobian.flat()));
    expect(Array.from(flat.metric)).toEqual(many.flatMap((v) => v.metric.flat()));
    const bad = [0.3, Number.NaN];
    const message = (() => {
      try {
        ev.at(bad);
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    })();
    expect(message).toMatch(/not finite/);
    expect(() => ev.flat([...points.slice(0, 5), bad, points[5]])).toThrow(message);
    const seen: number[] = [];
    expect(() => {
      for (const v of eachFlat(ev, [...points.slice(0, 5), bad, points[5]], { n: 2, m: 784 }, 4)) seen.push(v.count);
    }).toThrow(message);
    expect(seen).toEqual([4, 1]);
  });
});
