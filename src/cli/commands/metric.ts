// `rgnn metric FILE`: a metric's components, symbolically (text, LaTeX or JSON) or at a point.
import { LAYER_KINDS } from "../../core/layers/index.js";
import type { Metric, Model } from "../../semantics/model.js";
import { layerReadingAcross } from "../../semantics/networks.js";
import { EvaluationError, metricEvaluator } from "../../numeric/evaluate.js";
import { commandEnv } from "../env.js";
import { detN, psdRank, symmetricEigen } from "../../numeric/linalg.js";
import { latex, latexSymbol } from "../../render/latex-expr.js";
import { type Form, metricListing } from "../../symbolic/listing.js";
import { print } from "../../symbolic/print.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { fmt, json, matrixText } from "../format.js";
import { choice, parseLayer, parsePoint } from "../options.js";
import { readSpec } from "../spec.js";

export interface MetricOptions { metric?: string; layer?: string; format: string; at?: string; set?: string; weights?: string; form: string }

export function pickMetric(model: Model, name: string | undefined): Metric {
  if (name !== undefined) {
    const m = model.metrics.get(name);
    if (!m) throw new UsageError(`no metric '${name}' in ${model.file}; its metrics: ${[...model.metrics.keys()].join(", ") || "none"}`);
    return m;
  }
  const first = model.metrics.values().next().value;
  if (!first) throw new UsageError(`${model.file} declares no metric`);
  return first;
}

/** The same pullback, taken to another layer of its network. */
export function atLayer(metric: Metric, layer: number | undefined): Metric {
  if (layer === undefined) return metric;
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") throw new UsageError(`--layer applies to metrics pulled back along a network; '${metric.name}' is not one`);
  const net = def.along, L = net.layers.length;
  if (layer > L) throw new UsageError(`--layer ${layer}: '${net.name}' has layers 0 to ${L}`);
  const across = layerReadingAcross(net, layer);
  if (across) throw new UsageError(`--layer ${layer}: layer ${across.index} is ${LAYER_KINDS[across.kind].labels.prose} and also depends on layer ${across.index - LAYER_KINDS[across.kind].reads}, so no metric lives on layer ${layer} alone`);
  return { ...metric, manifold: net.layerSpaces[layer], def: { ...def, layer } };
}

function describe(metric: Metric): string {
  const d = metric.def;
  const chart = `${metric.manifold.name} (${metric.manifold.coords.join(", ")})`;
  if (d.kind === "euclidean") return `metric ${metric.name} on ${chart}: Euclidean`;
  if (d.kind === "components") return `metric ${metric.name} on ${chart}: given by its components`;
  const of = d.of.def.kind === "euclidean" && d.of.name === "euclidean" ? `the Euclidean metric on ${d.along.target.name}` : `'${d.of.name}'`;
  const along = d.along.kind === "network" ? `network ${d.along.name} (${d.along.layers.length} layers)${d.layer ? `, down to layer ${d.layer}` : ""}` : `'${d.along.name}'`;
  const narrowest = d.along.kind === "network" ? Math.min(...d.along.layers.slice(d.layer).map((l) => l.outWidth)) : d.along.target.dim;
  const degenerate = narrowest < metric.manifold.dim ? `\n(degenerate: its rank is at most ${narrowest}, the narrowest width it passes through)` : "";
  return `metric ${metric.name} on ${chart}: pullback of ${of} along ${along}${degenerate}`;
}

function symbolic(io: IO, metric: Metric, format: "text" | "latex" | "json", form: Form): void {
  const listing = metricListing(metric, form);
  const coords = metric.manifold.coords;
  const n = coords.length;
  const upper: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) upper.push([i, j]);
  if (format === "json") {
    io.out(json({
      name: metric.name, manifold: metric.manifold.name, coords,
      layer: metric.def.kind === "pullback" ? metric.def.layer : 0,
      form: listing.definitions.length ? "layers" : "explicit",
      definitions: listing.definitions.map((d) => ({ name: d.name, group: d.group, expr: print(d.expr, { names: without(listing.names, d.expr) }) })),
      components: listing.result.map((row) => row.map((e) => print(e, { names: listing.names }))),
    }));
    return;
  }
  if (format === "latex") {
    const tnames = new Map([...listing.names].map(([e, s]) => [e, latexSymbol(s)] as const));
    const lines = listing.definitions.map((d) => `${latexSymbol(d.name)} &= ${latex(d.expr, without(tnames, d.expr))}`);
    for (const [i, j] of upper) lines.push(`g_{${latexSymbol(coords[i])} ${latexSymbol(coords[j])}} &= ${latex(listing.result[i][j], tnames)}`);
    io.out(`% ${describe(metric)}\n\\begin{align*}\n${lines.join(" \\\\\n")}\n\\end{align*}\n`);
    return;
  }
  io.out(describe(metric) + "\n\n");
  let group = "";
  for (const d of listing.definitions) {
    if (d.group !== group) { io.out(`${group ? "\n" : ""}${d.group}:\n`); group = d.group; }
    io.out(`  ${d.name} = ${print(d.expr, { names: without(listing.names, d.expr) })}\n`);
  }
  if (listing.definitions.length) io.out("\n");
  const cells = listing.result.map((row) => row.map((e) => print(e, { names: listing.names })));
  if (cells.flat().every((c) => c.length <= 40)) io.out(matrixText(metric.name, cells) + "\n");
  else for (const [i, j] of upper) io.out(`${metric.name}[${coords[i]}][${coords[j]}] = ${cells[i][j]}\n`);
  if (n > 1 && !cells.flat().every((c) => c.length <= 40)) io.out(`(${metric.name} is symmetric: the entries below the diagonal are the mirror images)\n`);
}

const without = <K, V>(m: ReadonlyMap<K, V>, k: K) => { const c = new Map(m); c.delete(k); return c; };

export function metricCommand(io: IO, file: string, opts: MetricOptions): number {
  const format = choice(opts.format, ["text", "latex", "json"] as const, "--format");
  const form = choice(opts.form, ["auto", "explicit", "layers"] as const, "--form");
  const loaded = readSpec(io, file);
  if (!loaded.ok) { io.err(loaded.message + "\n"); return EXIT.failure; }
  const metric = atLayer(pickMetric(loaded.model, opts.metric), parseLayer(opts.layer));
  if (opts.at === undefined) { symbolic(io, metric, format, form); return EXIT.ok; }
  const point = parsePoint(opts.at, metric.manifold);
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    const g = metricEvaluator(metric, env).at(point);
    const eig = symmetricEigen(g).values;
    const rank = psdRank(g);
    const det = detN(g);
    if (format === "json") {
      io.out(json({ name: metric.name, manifold: metric.manifold.name, coords: metric.manifold.coords,
        layer: metric.def.kind === "pullback" ? metric.def.layer : 0, point, metric: g, rank, eigenvalues: eig, determinant: det }));
    } else if (format === "latex") {
      io.out(`${latexSymbol(metric.name)}\\big|_{(${point.map(fmt).join(", ")})} = \\begin{pmatrix} ${g.map((r) => r.map(fmt).join(" & ")).join(" \\\\ ")} \\end{pmatrix}\n`);
    } else {
      io.out(`${describe(metric)}\nat (${point.map(fmt).join(", ")}):\n\n${matrixText(metric.name, g.map((r) => r.map(fmt)))}\n\n`);
      io.out(`rank ${rank}, eigenvalues ${eig.map(fmt).join(", ")}, det ${fmt(det)}${rank < g.length ? " (degenerate: only positive semi-definite)" : ""}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof EvaluationError) { io.err(`${loaded.model.file}: error: ${e.message}\n`); return EXIT.failure; }
    throw e;
  }
}
