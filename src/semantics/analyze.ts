// Syntax tree -> typed model. Each declaration is checked on its own so that one file
// reports all of its errors; a declaration with errors is left out of the model.
import { type FunctionDef, type FunctionName, REGISTRY } from "../core/functions.js";
import { LAYER_KINDS } from "../core/layers/index.js";
import type { MathNode } from "mathjs";
import type { Assign, GroupAst, Int, Item, LayerRangeAst, Name, Span, Spec } from "../syntax/ast.js";
import { DiagnosticError } from "../syntax/diagnostics.js";
import { Context } from "./context.js";
import { asMapping, lookup, space } from "./resolve.js";
import { constantValue, listShape, listLeaves, toNode } from "./expressions.js";
import {
  type Action,
  type Bundle,
  type Fibre,
  type Group,
  type GroupName,
  type Layer,
  type Manifold,
  type Mapping,
  MAX_DIMENSION,
  type Metric,
  type Model,
  type Network,
} from "./model.js";
import { listOf, suggestion } from "./names.js";
import { buildNetwork, layerReadingAcross, readsText, sliceChart, sliceProblems, subNetwork } from "./networks.js";
import { analyzeRequest, boxValues } from "./requests.js";
import type { WeightsAccess } from "./weights-access.js";

export interface AnalyzeOptions {
  /** Folder that relative weights paths are read from (semantics/load.ts gives the spec's folder). */
  baseDir: string;
  /** How weights files are read: FILE_WEIGHTS (weights.ts) where there are files. */
  weights: WeightsAccess;
  /** Values for constants in this run (`--set c=0.9`): one value per constant, wherever it is used. */
  constants?: ReadonlyMap<string, number>;
}

/** Components `target_coord = expr` of a map: each target coordinate exactly once. */
function components(ctx: Context, assigns: Assign[], source: Manifold, target: Manifold, ownerSpan: Span): MathNode[] | null {
  const byCoord = new Map<string, Assign>();
  let ok = true;
  for (const a of assigns) {
    if (!target.coords.includes(a.target.name)) {
      ctx.error(
        a.target.span,
        `'${a.target.name}' is not a coordinate of ${target.name} (${target.coords.join(", ")})`,
        suggestion(a.target.name, target.coords),
      );
      ok = false;
    } else if (byCoord.has(a.target.name)) {
      ctx.error(a.target.span, `coordinate '${a.target.name}' is defined twice`);
      ok = false;
    } else byCoord.set(a.target.name, a);
  }
  const missing = target.coords.filter((c) => !byCoord.has(c));
  if (ok && missing.length) {
    ctx.error(ownerSpan, `no expression for ${missing.map((c) => `'${c}'`).join(", ")} of ${target.name}`);
    ok = false;
  }
  const scope = { coords: new Set(source.coords), where: `the coordinates of ${source.name} (${source.coords.join(", ")})` };
  const nodes = target.coords.map((c) => (byCoord.has(c) ? toNode(ctx, byCoord.get(c)!.value, scope) : null));
  return ok && nodes.every((n) => n) ? (nodes as MathNode[]) : null;
}

/** The matrix groups a bundle or an action may name, `GL(n)` (the TextMate grammar colours them). */
export const GROUPS: Record<string, GroupName> = { GL: "GL", GLplus: "GLplus", O: "O", SO: "SO" };
function group(ctx: Context, g: GroupAst): Group | null {
  const name = GROUPS[g.name.name];
  if (!name) {
    ctx.error(g.name.span, `unknown group '${g.name.name}'`, [`groups: ${listOf(Object.keys(GROUPS))}`]);
    return null;
  }
  if (g.n.value < 1 || !Number.isInteger(g.n.value)) {
    ctx.error(g.n.span, "a group dimension must be a positive whole number");
    return null;
  }
  return { name, n: g.n.value, span: g.span };
}

const FIBRES: readonly Fibre[] = ["vectors", "covectors", "metrics"];

function declareItem(ctx: Context, item: Item): void {
  switch (item.kind) {
    case "constant": {
      let value: number | undefined;
      if (item.value) {
        const node = toNode(ctx, item.value, { coords: new Set(), where: "no coordinates" });
        value = node ? constantValue(ctx, item.value) : 0;
        if (!node) value = undefined;
        else if (value === undefined)
          ctx.error(item.value.span, "a constant's value must be a number (it may use constants declared before it)");
        else if (!Number.isFinite(value)) {
          ctx.error(item.value.span, `constant '${item.name.name}' is not finite (${value})`);
          value = undefined;
        }
      }
      if (ctx.constantOverrides.has(item.name.name)) value = ctx.constantOverrides.get(item.name.name);
      ctx.declare(item.name.name, { kind: "constant", value: { name: item.name.name, value, span: item.span } });
      return;
    }
    case "manifold": {
      let coords = item.coords?.map((c) => c.name);
      if (item.dim) {
        const base = item.dim.base;
        if (base.name !== "R") {
          ctx.error(base.span, `expected R^n, found '${base.name}^${item.dim.value}'`);
          return;
        }
        if (item.dim.value < 1 || !Number.isInteger(item.dim.value)) {
          ctx.error(item.dim.span, "a dimension must be a positive whole number");
          return;
        }
        if (item.dim.value > MAX_DIMENSION) {
          ctx.error(item.dim.span, `a dimension may be at most ${MAX_DIMENSION}`);
          return;
        }
        if (coords && coords.length !== item.dim.value) {
          ctx.error(item.coords![0].span, `${item.name.name} has dimension ${item.dim.value} but ${coords.length} coordinate names`);
          return;
        }
        coords ??= Array.from({ length: item.dim.value }, (_, i) => `x${i + 1}`);
      }
      if (!coords) {
        ctx.error(item.name.span, `manifold '${item.name.name}' needs coordinates, e.g. (x, y), or a dimension, e.g. = R^2`);
        return;
      }
      const seen = new Set<string>();
      for (const c of item.coords ?? []) {
        if (seen.has(c.name)) {
          ctx.error(c.span, `coordinate '${c.name}' appears twice`);
          return;
        }
        if (ctx.names.get(c.name)?.kind === "constant") {
          ctx.error(c.span, `coordinate '${c.name}' has the name of a constant`);
          return;
        }
        seen.add(c.name);
      }
      const m: Manifold = { name: item.name.name, dim: coords.length, coords, span: item.span };
      if (item.domain) {
        const domain = boxValues(ctx, item.domain, item.name.name, coords);
        if (!domain) return;
        m.domain = domain;
      }
      if (item.embedding) {
        const target = lookup(ctx, item.embedding.target, ["manifold"], "the ambient space");
        if (!target) return;
        const comps = components(ctx, item.embedding.components, m, target, item.embedding.target.span);
        if (!comps) return;
        m.embedding = { target, components: comps };
        ctx.declare(m.name, { kind: "manifold", value: m });
        return;
      }
      ctx.declare(m.name, { kind: "manifold", value: m });
      return;
    }
    case "map": {
      const source = space(ctx, item.source),
        target = space(ctx, item.target);
      if (!source || !target) return;
      const comps = components(ctx, item.components, source, target, item.name.span);
      if (!comps) return;
      ctx.declare(item.name.name, {
        kind: "mapping",
        value: { kind: "map", name: item.name.name, source, target, components: comps, span: item.span },
      });
      return;
    }
    case "compose": {
      const first = lookup(ctx, item.first, ["mapping", "manifold"], "a composed map's part");
      const second = lookup(ctx, item.second, ["mapping", "manifold"], "a composed map's part");
      if (!first || !second) return;
      const a = asMapping(ctx, first, item.first),
        b = asMapping(ctx, second, item.second);
      if (!a || !b) return;
      if (a.target !== b.source) {
        ctx.error(item.second.span, `cannot compose: '${a.name}' ends in ${a.target.name} but '${b.name}' starts in ${b.source.name}`);
        return;
      }
      ctx.declare(item.name.name, {
        kind: "mapping",
        value: { kind: "compose", name: item.name.name, first: a, second: b, source: a.source, target: b.target, span: item.span },
      });
      return;
    }
    case "network": {
      const input = space(ctx, item.input);
      const output = item.output ? space(ctx, item.output) : null;
      if (!input || (item.output && !output)) return;
      const net = buildNetwork(ctx, item, input, output);
      if (net) ctx.declare(net.name, { kind: "mapping", value: net });
      return;
    }
    case "metric": {
      const metric = buildMetric(ctx, item);
      if (metric) ctx.declare(metric.name, { kind: "metric", value: metric });
      return;
    }
    case "principal": {
      const base = lookup(ctx, item.base, ["manifold"], "the base of a bundle");
      const g = group(ctx, item.group);
      if (!base || !g) return;
      if (g.n !== base.dim) {
        ctx.error(
          item.group.n.span,
          `the frame bundle of ${base.name} (dimension ${base.dim}) has structure group of dimension ${base.dim}, not ${g.n}`,
        );
        return;
      }
      ctx.declare(item.name.name, { kind: "bundle", value: { kind: "principal", name: item.name.name, base, group: g, span: item.span } });
      return;
    }
    case "associated": {
      const p = lookup(ctx, item.principal, ["bundle"], "an associated bundle's principal bundle");
      if (!p) return;
      if (p.kind !== "principal") {
        ctx.error(item.principal.span, `'${p.name}' is an associated bundle; associate to a principal bundle`);
        return;
      }
      if (!(FIBRES as readonly string[]).includes(item.fibre.name)) {
        ctx.error(item.fibre.span, `unknown fibre '${item.fibre.name}'`, [
          ...suggestion(item.fibre.name, FIBRES),
          `fibres: ${listOf(FIBRES)}`,
        ]);
        return;
      }
      ctx.declare(item.name.name, {
        kind: "bundle",
        value: { kind: "associated", name: item.name.name, principal: p, fibre: item.fibre.name as Fibre, span: item.span },
      });
      return;
    }
    default:
      return; // actions and requests are checked once every declaration is known
  }
}

function buildMetric(ctx: Context, item: Extract<Item, { kind: "metric" }>): Metric | null {
  const name = item.name.name;
  const def = item.def;
  if (def.kind === "euclidean" || def.kind === "components") {
    const on = space(ctx, item.on!);
    if (!on) return null;
    if (def.kind === "euclidean") return { name, manifold: on, def: { kind: "euclidean" }, span: item.span };
    const shape = listShape(def.value);
    if (shape?.length !== 2 || shape[0] !== on.dim || shape[1] !== on.dim) {
      ctx.error(
        def.span,
        `a metric on ${on.name} needs ${on.dim}×${on.dim} components, found ` +
          `${shape ? (shape.length === 2 ? shape.join("×") : `${shape.length}-index array`) : "a ragged array"}`,
      );
      return null;
    }
    const scope = { coords: new Set(on.coords), where: `the coordinates of ${on.name} (${on.coords.join(", ")})` };
    const leaves = listLeaves(def.value).map((e) => toNode(ctx, e, scope));
    if (leaves.some((n) => !n)) return null;
    const rows = Array.from({ length: on.dim }, (_, i) => leaves.slice(i * on.dim, (i + 1) * on.dim) as MathNode[]);
    return { name, manifold: on, def: { kind: "components", components: rows }, span: item.span };
  }
  const alongEnt = lookup(ctx, def.along, ["mapping", "manifold"], "a pullback's map");
  const whole = alongEnt && asMapping(ctx, alongEnt, def.along);
  if (!whole) return null;
  const range = def.layers && layerRange(ctx, whole, def.layers, def.layer);
  if (range === null) return null;
  let along: Mapping = whole;
  let of: Metric;
  if (!def.of || (def.of.name === "euclidean" && !ctx.names.has("euclidean"))) {
    if (range) along = subNetwork(range.net, range.first, range.last);
    of = { name: "euclidean", manifold: along.target, def: { kind: "euclidean" }, span: def.span };
  } else {
    const m = lookup(ctx, def.of, ["metric"], "the metric to pull back");
    if (!m) return null;
    if (range) {
      // layer B's coordinates read as those of the manifold the metric lives on: only the dimensions must agree
      const width = range.net.layers[range.last - 1].outWidth;
      if (m.manifold.dim !== width) {
        ctx.error(
          def.of.span,
          `'${m.name}' lives on ${m.manifold.name} (dimension ${m.manifold.dim}), but layer ${range.last} of '${whole.name}' ` +
            `has width ${width}`,
        );
        return null;
      }
      along = subNetwork(range.net, range.first, range.last, m.manifold);
    } else if (m.manifold !== along.target) {
      ctx.error(def.of.span, `'${m.name}' lives on ${m.manifold.name}, but '${along.name}' maps into ${along.target.name}`);
      return null;
    }
    of = m;
  }
  let layer = 0,
    manifold = along.source;
  if (def.layer) {
    if (along.kind !== "network") {
      ctx.error(def.layer.span, `'${along.name}' is not a network: it has no layers`);
      return null;
    }
    const L = along.layers.length;
    if (!Number.isInteger(def.layer.value) || def.layer.value < 0 || def.layer.value > L) {
      ctx.error(def.layer.span, `'${along.name}' has layers 0 (its input) to ${L}, not ${def.layer.value}`);
      return null;
    }
    layer = def.layer.value;
    const across = layerReadingAcross(along, layer);
    if (across) {
      ctx.error(
        def.layer.span,
        `layer ${across.index} is ${LAYER_KINDS[across.kind].labels.prose}: it depends on layers ${readsText(across)}, so ` +
          `no metric lives on layer ${layer} alone`,
        [`pull back to layer 0 or to a layer not followed by a ${LAYER_KINDS[across.kind].labels.title} layer`],
      );
      return null;
    }
    manifold = along.layerSpaces[layer];
  }
  warnThroughKinks(ctx, along, layer, along.kind === "network" ? along.layers.length : 0, item.span, `metric '${name}'`);
  return { name, manifold, def: { kind: "pullback", of, along, layer }, span: item.span };
}

/** The sub-network `along NET layers A to B` names, checked (`sliceProblem`): `null` after a located error. */
function layerRange(
  ctx: Context,
  m: Mapping,
  range: LayerRangeAst,
  toLayer: Int | undefined,
): { net: Network; first: number; last: number } | null {
  if (m.kind !== "network") {
    ctx.error(range.span, `'${m.name}' is not a network: it has no layers`, ["a range of layers picks part of a network"]);
    return null;
  }
  const first = range.from.value,
    last = range.to.value;
  const problems = sliceProblems(m, first, last);
  for (const p of problems) ctx.error(p.at === "from" ? range.from.span : p.at === "to" ? range.to.span : range.span, p.message, p.notes);
  if (problems.length) return null;
  if (toLayer) {
    const K = toLayer.value;
    ctx.error(toLayer.span, `a pullback along layers ${first} to ${last} is a metric on ${sliceChart(first)} already`, [
      Number.isInteger(K) && K >= 0 && K < last
        ? `for the metric of layer ${last} on the coordinates of layer ${K}, write 'layers ${K + 1} to ${last}'`
        : "leave out 'to layer'",
    ]);
    return null;
  }
  return { net: m, first, last };
}

/** Why a layer is not C¹: its kind's reason (max pooling), else its activation's (relu), else null. */
const kinkOf = (l: Layer): string | null =>
  LAYER_KINDS[l.kind].kink ?? (REGISTRY[l.activation as FunctionName] as FunctionDef | undefined)?.kink ?? null;

/** The layers of `m` (between layers `from` and `to` of a network; all of a composed map's networks) whose map (a kind
 *  such as max pooling) or activation is not C¹: there the pulled-back metric is only piecewise defined. */
function kinkedLayers(m: Mapping, from: number, to: number): { net: string; layer: Layer }[] {
  if (m.kind === "compose") {
    const all = (x: Mapping) => kinkedLayers(x, 0, x.kind === "network" ? x.layers.length : 0);
    return [...all(m.first), ...all(m.second)];
  }
  if (m.kind !== "network") return [];
  return m.layers.filter((l) => l.index > from && l.index <= to && kinkOf(l)).map((layer) => ({ net: m.name, layer }));
}

/** Warn (file:line:col) when geometry is taken through layers that are not C¹ (ReLU): not a coordinate change there. */
function warnThroughKinks(ctx: Context, m: Mapping, from: number, to: number, span: Span, what: string): void {
  const kinked = kinkedLayers(m, from, to);
  if (!kinked.length) return;
  const { net, layer } = kinked[0];
  const more = kinked.length > 1 ? ` (and ${kinked.length - 1} more layer${kinked.length > 2 ? "s" : ""})` : "";
  ctx.warn(
    span,
    `${what} is taken through layer ${layer.index} of '${net}' (${LAYER_KINDS[layer.kind].kink ? layer.kind : layer.activation})` +
      `${more}: ${kinkOf(layer)}, so the layer is no coordinate change and the metric is piecewise defined`,
    [
      "it is smooth only inside each region where no pre-activation crosses a kink; its derivatives (Christoffel symbols, " +
        "curvature) ignore the jumps between regions",
    ],
  );
}

function buildAction(ctx: Context, item: Extract<Item, { kind: "action" }>): Action | null {
  const ent = lookup(ctx, item.of, ["mapping", "manifold"], "what acts");
  const of = ent && asMapping(ctx, ent, item.of);
  const on = lookup(ctx, item.on, ["bundle"], "what is acted on");
  const g = item.group ? group(ctx, item.group) : undefined;
  if (!of || !on || g === null) return null;
  const base = on.kind === "principal" ? on.base : on.principal.base;
  let fromLayer = 1,
    toLayer = 1;
  if (of.kind === "network") {
    toLayer = of.layers.length;
    if (item.layers) {
      fromLayer = item.layers.from.value;
      toLayer = item.layers.to.value;
      for (const bound of [item.layers.from, item.layers.to]) {
        if (bound.value < 1 || bound.value > of.layers.length) {
          ctx.error(bound.span, `'${of.name}' has layers 1 to ${of.layers.length}`);
          return null;
        }
      }
      if (fromLayer > toLayer) {
        ctx.error(item.layers.from.span, "the first layer of a range must not come after the last");
        return null;
      }
    }
    // a layer reading k states acts on the state (x_{l−1}, …, x_{l−k}) ∈ R^{k·d} by its block Jacobian: all acting
    // layers must read as many, and none may be a starting step (it maps R^d into the state space: no group element)
    const reads = LAYER_KINDS[of.layers[fromLayer - 1].kind].reads;
    for (let l = fromLayer; l <= toLayer; l++) {
      const layer = of.layers[l - 1],
        kind = LAYER_KINDS[layer.kind];
      if (kind.reads !== reads) {
        ctx.error(
          item.layers?.from.span ?? item.of.span,
          `layers ${fromLayer} and ${l} of '${of.name}' act on different spaces: layer ${fromLayer} reads ${reads} earlier ` +
            `state${reads > 1 ? "s" : ""}, layer ${l} (${kind.labels.prose}) ${kind.reads}`,
          ["act on the layers of one kind with separate actions"],
        );
        return null;
      }
      if (reads > 1 && l < reads) {
        ctx.error(
          item.layers?.from.span ?? item.of.span,
          `layer ${l} of '${of.name}' starts its ${kind.labels.prose} recurrence: it maps x_${l - 1} in R^${layer.inWidth} to the ` +
            `state (x_${l}, …, x_0), so its Jacobian is no element of a group`,
          [`act on layers ${reads} to ${toLayer} (the interior steps, on the state space of dimension ${reads * layer.inWidth})`],
        );
        return null;
      }
      if (layer.inWidth !== layer.outWidth) {
        ctx.error(
          item.layers?.from.span ?? item.of.span,
          `layer ${l} of '${of.name}' maps R^${layer.inWidth} to R^${layer.outWidth}: its Jacobian is not square, so it ` +
            `is no element of GL(n)`,
        );
        return null;
      }
      if (reads * layer.inWidth !== base.dim) {
        ctx.error(
          item.on.span,
          reads > 1
            ? `layer ${l} of '${of.name}' is ${kind.labels.prose}: it acts on the state (x_${l - 1}, …, x_${l - reads}) of ` +
                `dimension ${reads} × ${layer.inWidth} = ${reads * layer.inWidth}, but '${on.name}' is over ${base.name} ` +
                `(dimension ${base.dim})`
            : `layer ${l} of '${of.name}' has width ${layer.inWidth}, but '${on.name}' is over ${base.name} (dimension ${base.dim})`,
          reads > 1 ? [`declare the state space, e.g. 'manifold State = R^${reads * layer.inWidth}', and a bundle over it`] : [],
        );
        return null;
      }
    }
  } else {
    if (item.layers) {
      ctx.error(item.layers.from.span, `'${of.name}' is not a network: it has no layers`);
      return null;
    }
    if (of.source.dim !== of.target.dim) {
      ctx.error(item.of.span, `'${of.name}' maps dimension ${of.source.dim} to ${of.target.dim}: its Jacobian is not square`);
      return null;
    }
    if (of.source.dim !== base.dim) {
      ctx.error(
        item.on.span,
        `'${of.name}' acts in dimension ${of.source.dim}, but '${on.name}' is over ${base.name} (dimension ${base.dim})`,
      );
      return null;
    }
  }
  if (g && g.n !== base.dim) {
    ctx.error(g.span, `'${on.name}' is over a ${base.dim}-dimensional base; the group must be of ${base.dim}×${base.dim} matrices`);
    return null;
  }
  warnThroughKinks(ctx, of, fromLayer - 1, of.kind === "network" ? toLayer : 0, item.span, `the action of '${of.name}'`);
  return { of, fromLayer, toLayer, on: on as Bundle, group: g, span: item.span };
}

/** Analyse a parsed spec; throws DiagnosticError carrying every error found. */
export function analyze(spec: Spec, opts: AnalyzeOptions): Model {
  const ctx = new Context(spec, opts.baseDir, opts.weights, opts.constants);
  for (const item of spec.items) {
    if (!("name" in item)) continue;
    const n = item.name as Name;
    const prev = ctx.declaredAt.get(n.name);
    if (prev) ctx.error(n.span, `'${n.name}' is already declared (line ${prev.line})`);
    else ctx.declaredAt.set(n.name, n.span);
  }
  for (const item of spec.items) declareItem(ctx, item);
  const model = ctx.model();
  for (const item of spec.items) {
    if (item.kind === "action") {
      const a = buildAction(ctx, item);
      if (a) model.actions.push(a);
    } else if (item.kind === "show" || item.kind.startsWith("check")) {
      // biome-ignore lint/suspicious/noExplicitAny: the kind test above selects request items; TS cannot narrow by startsWith
      const r = analyzeRequest(ctx, item as any);
      if (r) model.requests.push(r);
    }
  }
  if (ctx.diagnostics.length) {
    ctx.diagnostics.sort((a, b) => (a.file === b.file ? a.span.offset - b.span.offset : a.file === spec.file ? -1 : 1));
    throw new DiagnosticError(ctx.diagnostics);
  }
  return model;
}
