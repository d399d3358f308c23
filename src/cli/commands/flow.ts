// `rgnn flow FILE`: how a network's residual block converges to the ODE flow it discretises.
import { LAYER_KINDS } from "../../core/layers/index.js";
import type { Network } from "../../semantics/model.js";
import { commandEnv } from "../env.js";
import { convergence, type Interpolation, ORDER_TOLERANCE, odeBlock, orderMismatches } from "../../numeric/flow.js";
import { DEFAULT_DEPTHS } from "../../derive/flow.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { json } from "../format.js";
import { choice, parsePoint } from "../options.js";
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
}

function parseDepths(text: string | undefined): number[] {
  if (!text) return DEFAULT_DEPTHS;
  const ds = text.split(",").map((s) => Number(s.trim()));
  if (ds.length < 2 || ds.some((d) => !Number.isInteger(d) || d < 1 || d > 1_000_000))
    throw new UsageError(`--depths needs at least two whole numbers from 1 to 1000000, not '${text}'`);
  return [...new Set(ds)].sort((a, b) => a - b);
}

const e = (x: number) => x.toExponential(3);

/** An order of convergence, or "—" where the errors are at round-off (a ratio of zeros is NaN). */
const order = (x: number | null | undefined) => (x == null ? "" : Number.isFinite(x) ? x.toFixed(3) : "—");

export function flowCommand(io: IO, file: string, opts: FlowOptions): number {
  const format = choice(opts.format, ["text", "json"] as const, "--format");
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
    const block = odeBlock(net, env);
    const chart = net.layerSpaces[block.first - 1];
    const point = opts.at ? parsePoint(opts.at, chart) : chart.coords.map((_, i) => (i % 2 ? -0.7 : 0.3));
    const c = convergence(block, interp, point, depths);
    const mismatches = orderMismatches(c);
    const verdict = mismatches.length ? EXIT.failure : EXIT.ok;
    if (format === "json") {
      io.out(
        json({
          network: net.name,
          layers: [block.first, block.last],
          kind: block.kind,
          interpolation: interp,
          T: block.T,
          point,
          expectedOrder: c.expectedOrder,
          stateOrder: c.stateOrder,
          metricOrder: c.metricOrder,
          rows: c.rows,
          mismatches,
        }),
      );
      return verdict;
    }
    const kind = LAYER_KINDS[block.kind];
    io.out(
      `${net.name}: layers ${block.first}–${block.last} (${block.W.length} ${kind.labels.title} layers) are the ` +
        `${kind.ode!.scheme} scheme for\n  ${kind.ode!.text},  t ∈ [0, ${block.T}]\n`,
    );
    io.out(
      `with W(t), b(t) ` +
        `${
          interp === "linear"
            ? "interpolated linearly between the layers' " + "weights"
            : "piecewise constant, one layer's weights per " + "step"
        }. Networks of depth N, h = T/N, from x(0) = (${point.join(", ")}):\n\n`,
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
          c.expectedOrder < kind.ode!.accuracy ? " (W(t) jumps at every layer time: one order is lost)" : ""
        }\n`,
    );
    const orders = [c.stateOrder, c.metricOrder, ...c.rows.flatMap((r) => [r.stateOrder, r.metricOrder])];
    if (orders.some((x) => x != null && !Number.isFinite(x)))
      io.out("— (at round-off): the errors are too small to change with N, so they give no order\n");
    io.out("state error: ‖x_N(T) − x(T)‖; metric error: ‖J_Nᵀ J_N − J(T)ᵀ J(T)‖ with dJ/dt = Df(x(t), t) J, J(0) = I (Frobenius norms)\n");
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
