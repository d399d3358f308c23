// `rgnn run FILE`: carry out the spec's own requests, in order: each `show` and `evaluate` as the
// command that shows that quantity would (metric, eval, geometry, geodesic, flow), each `check` as
// `rgnn verify` checks a claim. Exit 1 if a check fails or a request cannot be carried out.
import { QUANTITY_NAMES, QUANTITY_TABLE } from "../../core/quantities.js";
import { checkedText, failureText, successText } from "../../derive/report.js";
import type { Request } from "../../semantics/model.js";
import { claimCheck } from "../../api/derivation.js";
import { mappingSymbolic } from "../../api/mapping.js";
import { fmt, matrixText } from "../format.js";
import { EXIT, type IO } from "../io.js";
import { readSpec } from "../spec.js";
import { evalCommand } from "./eval.js";
import { flowCommand } from "./flow.js";
import { geodesicCommand } from "./geodesic.js";
import { geometryCommand } from "./geometry.js";
import { metricCommand } from "./metric.js";

export interface RunOptions {
  set?: string;
  weights?: string;
}

const pt = (p: number[] | undefined) => p?.join(",");

/** One show/evaluate request, by the command that shows its quantity. */
function show(io: IO, file: string, r: Extract<Request, { kind: "show" }>, opts: RunOptions): number {
  const common = { set: opts.set, weights: opts.weights };
  const s = r.subject;
  if (s.kind === "constant") {
    io.out(`${s.constant.name} = ${s.constant.value === undefined ? "(no value)" : fmt(s.constant.value)}\n`);
    return EXIT.ok;
  }
  if (s.kind === "mapping") {
    if (r.quantity === "ode" || r.quantity === "flow")
      return flowCommand(io, file, { ...common, network: s.mapping.name, interpolation: "linear", format: "text", at: pt(r.at) });
    // One point (--at) is evaluated on this thread: a number, never a Promise.
    if (r.at) return evalCommand(io, file, { ...common, network: s.mapping.name, at: pt(r.at), format: "text" }) as number;
    if (r.quantity === "jacobian" || r.quantity === "coordinates") {
      const F = mappingSymbolic(s.mapping);
      const cells = r.quantity === "jacobian" ? F.jacobian : F.components.map((e) => [e]);
      io.out(`${matrixText(r.quantity === "jacobian" ? `J(${s.mapping.name})` : s.mapping.name, cells)}\n`);
      return EXIT.ok;
    }
    io.out(`(${r.quantity} of ${s.mapping.name}: see 'rgnn derive' for it in closed form)\n`);
    return EXIT.ok;
  }
  const metric = s.metric.name;
  const q = QUANTITY_NAMES.find((k) => QUANTITY_TABLE[k].phrase === r.quantity);
  if (q) return geometryCommand(io, file, { ...common, metric, quantity: q, at: pt(r.at), format: "text" });
  if (r.quantity === "geodesic")
    return geodesicCommand(io, file, {
      ...common,
      metric,
      from: pt(r.from)!,
      to: pt(r.to),
      velocity: pt(r.velocity),
      samples: "11",
      format: "text",
    });
  return metricCommand(io, file, { ...common, metric, at: pt(r.at), format: "text", form: "auto" });
}

export function runCommand(io0: IO, file: string, opts: RunOptions): number {
  // each request's command reads the spec again: standard input is read once and replayed
  let stdin: string | undefined;
  const io: IO = { ...io0, readStdin: () => (stdin ??= io0.readStdin()) };
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const model = loaded.model;
  let status: number = EXIT.ok;
  model.requests.forEach((r, i) => {
    const text = model.source.slice(r.span.offset, r.span.end).replace(/\s+/g, " ");
    io.out(`${i ? "\n" : ""}── line ${r.span.line}: ${text}\n`);
    if (r.kind === "show") {
      if (show(io, file, r, opts) !== EXIT.ok) status = EXIT.failure;
      return;
    }
    const step = claimCheck(model, i);
    const w = step.witness!;
    io.out(`${w.passed ? "ok  " : "FAIL"}  ${w.passed ? `${successText(step)}\n      ${checkedText(w)}` : failureText(step)}\n`);
    if (!w.passed) status = EXIT.failure;
  });
  return status;
}
