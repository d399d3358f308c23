// `rgnn flow FILE`: how a network's residual block converges to the ODE flow it discretises.
import { LAYER_KINDS } from "../../core/layers/index.js";
import type { Network } from "../../semantics/model.js";
import { commandEnv } from "../env.js";
import { type Interpolation, ORDER_TOLERANCE } from "../../numeric/flow.js";
import type { DiffeoReport } from "../../numeric/diffeo.js";
import { diffeomorphism, flowChart, flowConvergence } from "../../api/flow.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { json } from "../format.js";
import { choice, parsePoint } from "../options.js";
import { FORMATS } from "../formats.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";

export interface FlowOptions {
  network?: string;
  depths?: string;
  interpolation: string;
  at?: string;
  format: string;
  set?: string;
  weights?: string;
  domain?: string;
}

/** --depths, or undefined for the default (4 … 1024). */
function parseDepths(text: string | undefined): number[] | undefined {
  if (!text) return undefined;
  const ds = text.split(",").map((s) => Number(s.trim()));
  if (ds.length < 2 || ds.some((d) => !Number.isInteger(d) || d < 1 || d > 1_000_000))
    throw new UsageError(`--depths needs at least two whole numbers from 1 to 1000000, not '${text}'`);
  return [...new Set(ds)].sort((a, b) => a - b);
}

const e = (x: number) => x.toExponential(3);

/** An order of convergence, or "—" where the errors are at round-off (a ratio of zeros is NaN). */
const order = (x: number | null | undefined) => (x == null ? "" : Number.isFinite(x) ? x.toFixed(3) : "—");

/** `--domain`: "[a,b]x[c,d]" (one interval per input coordinate) or "a,b" for every coordinate; default [−1.5, 1.5]. */
export function parseDomain(text: string | undefined, dim: number): [number, number][] {
  const t = (text ?? "-1.5,1.5").replace(/\s+/g, "");
  const parts = t.includes("[") ? t.split(/x|×/) : Array.from({ length: dim }, () => t);
  const box = parts.map((p) =>
    p
      .replace(/^\[|\]$/g, "")
      .split(",")
      .map(Number),
  );
  if (box.length !== dim || box.some((iv) => iv.length !== 2 || !iv.every(Number.isFinite) || !(iv[0] < iv[1])))
    throw new UsageError(
      `--domain needs ${dim} intervals [a,b] with a < b joined by x (e.g. [-2,2]x[-1,1]), or one a,b for all, not '${text}'`,
    );
  return box as [number, number][];
}

const g = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : "—");

/** Layer numbers as runs: 1–20, 22. */
export const ranges = (ls: number[]) =>
  ls
    .reduce<number[][]>((out, l) => {
      const last = out[out.length - 1];
      if (last && l === last[1] + 1) last[1] = l;
      else out.push([l, l]);
      return out;
    }, [])
    .map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`))
    .join(", ");

/** The diffeomorphism report as text: one row per layer, then the verdict (rgnn flow). */
export function diffeoText(r: DiffeoReport): string {
  const box = r.domain.map(([a, b]) => `[${a}, ${b}]`).join(" × ");
  const head = ["layer", "kind", "det J_l min", "max", "+ / − / 0", "c·sup|σ′|·‖W‖₂", "corner min det"];
  const rows = r.layers.map((l) => [
    String(l.layer),
    l.kind,
    ...(l.status === "square"
      ? [g(l.minDet), g(l.maxDet), `${l.positive} / ${l.negative} / ${l.zero}`]
      : [l.status === "state" ? "invertible on its state" : `R^${l.inWidth} → R^${l.outWidth}`, "", ""]),
    l.sufficient ? `${g(l.sufficient.bound)}${l.sufficient.holds ? " < 1" : " ≥ 1"}` : "",
    l.sufficient?.cornerMinDet != null ? `${g(l.sufficient.cornerMinDet)}${l.sufficient.cornerMinDet > 0 ? " > 0" : " ≤ 0"}` : "",
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((x) => x[j].length)));
  const table = [head, ...rows].map((x) => `  ${x.map((c, j) => (j < 2 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ")}`.trimEnd());
  const proved = ranges(r.layers.filter((l) => l.sufficient?.certified).map((l) => l.layer));
  const map = r.map
    ? `det ∂x_L/∂x_0: ${r.map.positive} / ${r.map.negative} / ${r.map.zero} (+ / − / 0), from ${g(r.map.minDet)} to ${g(r.map.maxDet)}\n`
    : "";
  return (
    `is the network a diffeomorphism? det ∂x_L/∂x_0 and det J_l over ${box}, at ${r.lattice} lattice points and ${r.refined} more ` +
    `near sign changes and small |det|:\n${table.join("\n")}\n${map}` +
    (r.verdict
      ? `${r.network} is a ${r.verdict === "homeomorphism" ? "homeomorphism (bi-Lipschitz)" : "diffeomorphism"} of ${box} onto its image ` +
        `(det of one sign; injective by ${INJECTIVE[r.injectivity.method]})${r.kink ? `, not a diffeomorphism: ${r.kink}` : ""}` +
        (proved ? `; layers ${proved} are invertible on all of R^n by a certificate\n` : "\n")
      : `${r.network} is not a diffeomorphism on ${box}: ${r.reason}\n`) +
    "certificates: c·sup|σ′|·‖W‖₂ < 1 (the identity plus a contraction), or det(I + cDW) > 0 at every corner of " +
    "D ∈ [inf σ′, sup σ′]ⁿ (Hadamard–Lévy)\n"
  );
}

const INJECTIVE = {
  layers: "every layer's certificate",
  monotone: "monotonicity",
  boundary: "the image of the box's boundary, a simple closed curve",
  none: "nothing",
} as const;

export function flowCommand(io: IO, file: string, opts: FlowOptions): number {
  const format = choice(opts.format, FORMATS.flow, "--format");
  const interp = choice(opts.interpolation, ["linear", "constant"] as const, "--interpolation") as Interpolation;
  const depths = parseDepths(opts.depths);
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const nets = [...loaded.model.mappings.values()].filter((m): m is Network => m.kind === "network");
  const net = opts.network ? nets.find((n) => n.name === opts.network) : nets[0];
  if (!net)
    throw new UsageError(
      opts.network ? `no network '${opts.network}' in ${loaded.model.file}` : `${loaded.model.file} declares no network`,
    );
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    const point = opts.at ? parsePoint(opts.at, flowChart(net, env)) : undefined;
    const c = flowConvergence(net, env, { depths, interpolation: interp, point });
    const mismatches = c.mismatches;
    const [first, last] = c.layers;
    const verdict = mismatches.length ? EXIT.failure : EXIT.ok;
    const domain = parseDomain(opts.domain, net.source.dim);
    if (format === "json") {
      io.out(
        json({
          network: c.network,
          layers: c.layers,
          kind: c.kind,
          interpolation: c.interpolation,
          T: c.T,
          point: c.point,
          expectedOrder: c.expectedOrder,
          weights: c.weights,
          stateOrder: c.stateOrder,
          metricOrder: c.metricOrder,
          rows: c.rows,
          mismatches,
          diffeomorphism: diffeomorphism(net, env, domain),
        }),
      );
      return verdict;
    }
    const kind = LAYER_KINDS[c.kind];
    const which =
      first === last
        ? `layer ${first} (one ${kind.labels.title} layer) is`
        : `layers ${first}–${last} (${last - first + 1} ${kind.labels.title} layers) are`;
    io.out(`${net.name}: ${which} the ` + `${kind.ode!.scheme} scheme for\n  ${kind.ode!.text},  t ∈ [0, ${c.T}]\n`);
    io.out(
      `with W(t), b(t) ` +
        `${
          interp === "linear"
            ? "interpolated linearly between the layers' " + "weights"
            : "piecewise constant, one layer's weights per " + "step"
        }. Networks of depth N, h = T/N, from x(0) = (${c.point.join(", ")}):\n\n`,
    );
    const head = ["depth N", "h", "state error", "metric error", "order (state)", "order (metric)"];
    const rows = c.rows.map((r) => [
      String(r.depth),
      r.h.toPrecision(4),
      e(r.stateError),
      e(r.metricError),
      order(r.stateOrder),
      order(r.metricOrder),
    ]);
    const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
    io.out(`${[head, ...rows].map((r) => `  ${r.map((x, j) => x.padStart(w[j])).join("  ")}`).join("\n")}\n\n`);
    io.out(
      `fitted order ${order(c.stateOrder)} (state), ${order(c.metricOrder)} (metric)` +
        `${c.fittedFrom > c.rows[0].depth ? ` over N ≥ ${c.fittedFrom}` : ""}; expected ${c.expectedOrder}${
          c.expectedOrder < kind.ode!.accuracy
            ? c.weights === "jumps"
              ? " (W(t) jumps at the layer times: order 1 at most)"
              : " (W(t) bends at the layer times: order 2 at most)"
            : ""
        }\n`,
    );
    const orders = [c.stateOrder, c.metricOrder, ...c.rows.flatMap((r) => [r.stateOrder, r.metricOrder])];
    if (orders.some((x) => x != null && !Number.isFinite(x)))
      io.out("— (at round-off): the errors are too small to change with N, so they give no order\n");
    io.out("state error: ‖x_N(T) − x(T)‖; metric error: ‖J_Nᵀ J_N − J(T)ᵀ J(T)‖ with dJ/dt = Df(x(t), t) J, J(0) = I (Frobenius norms)\n");
    io.out(`\n${diffeoText(diffeomorphism(net, env, domain))}`);
    if (mismatches.length)
      io.err(
        `${loaded.model.file}: the networks do not converge to the flow at the scheme's order: ${mismatches.join("; ")} ` +
          `(tolerance ${ORDER_TOLERANCE}; more or deeper --depths may help)\n`,
      );
    return verdict;
  } catch (err) {
    return evaluationFailure(io, loaded.model.file, err);
  }
}
