// A spec as a Python module (PyTorch or NumPy): `network(x)` and `jacobian(x)` for its first network, `metric(x)` and
// the quantities of EXPORTED for its first metric, each on a batch of points (..., n). Two forms, chosen by size:
// scalar closed forms from the DAG (python-body.ts) while they stay small, and for networks beyond that the matrix
// level (python-matrix.ts): the weights as arrays, the layers as batched matrix products, the geometry from jets.
import type { Activation, LayerKind, Metric, Model, Network } from "../semantics/model.js";
import { QUANTITY_NAMES, type QuantityName, quantity } from "../core/quantities.js";
import type { Fn } from "../symbolic/expr.js";
import { DAG, geometry } from "../symbolic/geometry.js";
import { mappingExprs, metricComponents } from "../symbolic/metric.js";
import { assertSymbolicFeasible, estimateMappingSize, estimateSymbolicSize } from "../symbolic/size.js";
import { functionsUsed, numpyHelpers, PythonExportError, type PythonTarget, pythonBody, pyString } from "./python-body.js";
import { matrixGeometryRuntime, matrixNetwork, matrixRuntime } from "./python-matrix.js";
import { enginePullback } from "./route.js";

export { PythonExportError, type PythonTarget, pyString } from "./python-body.js";

/** The quantities of a metric a module defines besides the metric itself (where the metric admits them): the table's. */
export const EXPORTED = QUANTITY_NAMES.filter((q) => quantity(q).exported);

/**
 * Estimated DAG nodes (symbolic/size.ts, with the second derivatives the curvature takes) beyond which a network is
 * exported at the matrix level. A scalar module costs about 35 bytes a node (a 2→8→8→2 MLP's was 1.1 MB), the matrix
 * module a few kilobytes plus its weights: 5·10³ nodes keep scalar modules near 200 kB, and every 2-wide example of a
 * few layers in closed form.
 */
export const EXPORT_THRESHOLD = 5e3;

export type PythonForm = "scalar" | "matrix";

export interface PythonOptions {
  /** Values of the spec's symbols: its constants with --set applied (the module is written with these numbers). */
  env?: ReadonlyMap<string, number>;
  /** Force a form where both exist (default: by size, EXPORT_THRESHOLD). */
  form?: PythonForm;
}

/** How the matrix level computes each exported quantity from the pulled-back metric (Python source of the return). */
const MATRIX_QUANTITIES: Partial<Record<QuantityName, (table: string, name: string) => string[]>> = {
  volume: (t, name) => [
    `g = _gram(_tangents(_jets(${t}, flat, 1), flat.shape[1]))`,
    `det = LIB.linalg.det(g)`,
    `_positive("volume", "${name}", flat, det)`,
    "out = LIB.sqrt(det)",
  ],
  inverse: (t, name) => [
    `g = _gram(_tangents(_jets(${t}, flat, 1), flat.shape[1]))`,
    `_nondegenerate("inverse", "${name}", flat, LIB.linalg.det(g))`,
    "out = LIB.linalg.inv(g)",
  ],
  christoffel: (t, name) => [`out = _christoffel_of(${t}, flat, "${name}")`],
  scalar: (t, name) => [`out = _scalar_of(${t}, flat, "${name}")`],
};

interface Part {
  name: string;
  doc: string;
  /** Input coordinates and trailing output shape ([] for a scalar). */
  n: number;
  shape: number[];
  /** Python lines computing `out` (batch B first) from `flat` (B, n). */
  body: string[];
  /** Matrix level: points per block, so that the jets of a block stay near 32 MB whatever the batch. */
  rows?: number;
}

const pyTuple = (xs: readonly (string | number)[]) => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`);

/**
 * A self-contained Python module for a spec: `network(x)` and `jacobian(x)` for its first network, `metric(x)` for
 * its first metric, and the quantities of EXPORTED when the metric is nondegenerate (not pulled back to more
 * coordinates than the map has outputs). Each function maps a batch (..., n) to (..., shape). `source` (the spec's
 * name) goes into the docstring escaped. Throws PythonExportError for what the target cannot spell.
 */
export function pythonModule(model: Model, target: PythonTarget, source: string, options: PythonOptions = {}): string {
  const env = options.env ?? new Map<string, number>();
  const net = [...model.mappings.values()].find((m): m is Network => m.kind === "network");
  const metric = [...model.metrics.values()][0];
  const coords = metric?.manifold.coords ?? net?.source.coords;
  if (!coords) throw new PythonExportError("the spec defines no network and no metric");
  const lib = target;
  const parts: Part[] = [];
  const used = new Set<Fn>();
  const activations = new Set<Activation>();
  const shapedKinds = new Set<LayerKind>();
  const tables = new Map<string, { table: string; source: string }>();
  /** Points per block of a network's jets: 2²² numbers (32 MB) of K = 1 + n + n(n+1)/2 components at its widest layer. */
  const rowsOf = (n: Network, from: number) => {
    const d = from === 0 ? n.source.dim : n.layers[from - 1].outWidth;
    const widest = Math.max(d, ...n.layers.slice(from).map((l) => l.outWidth));
    return Math.max(64, Math.floor(2 ** 22 / ((1 + d + (d * (d + 1)) / 2) * widest)));
  };
  const tableOf = (n: Network, from: number) => {
    const key = `${n.name}:${from}`;
    let t = tables.get(key);
    if (!t) {
      t = matrixNetwork({ ...n, layers: n.layers.slice(from) }, env, String(tables.size), activations, shapedKinds);
      tables.set(key, t);
    }
    return t.table;
  };
  const matrixForm = (size: number) => options.form === "matrix" || (options.form !== "scalar" && size > EXPORT_THRESHOLD);
  const scalarBody = (components: ReturnType<typeof mappingExprs>["components"], coordsIn: readonly string[]) => {
    for (const f of functionsUsed(components)) used.add(f);
    const args = new Map(coordsIn.map((c, i) => [c, `a${i}`] as const));
    const body = pythonBody(components, args, env, target, "a0");
    return [
      ...coordsIn.map((_, i) => `a${i} = flat[:, ${i}]`),
      ...body.slice(0, -1),
      `out = ${lib}.stack(${body[body.length - 1].slice("return ".length)}, -1)`,
    ];
  };

  const served = metric ? enginePullback(metric) : null;
  const matrixMetric = served !== null && matrixForm(estimateSymbolicSize(metric!, 2));
  if (net) {
    const [n, m] = [net.source.dim, net.target.dim];
    const doc = (what: string, shape: string) => `${what}: (..., ${n}) -> (..., ${shape})`;
    // the network of a metric written at the matrix level is too: one table, one form
    if ((matrixMetric && served!.net === net) || matrixForm(estimateMappingSize(net))) {
      const t = tableOf(net, 0);
      parts.push({
        name: "network",
        doc: doc(pyString(net.name), `${m}`),
        n,
        shape: [m],
        body: [`out = _jets(${t}, flat, 0)[:, 0]`],
        rows: rowsOf(net, 0),
      });
      parts.push({
        name: "jacobian",
        doc: doc(`d ${pyString(net.name)}/dx`, `${m}, ${n}`),
        n,
        shape: [m, n],
        body: [`out = ${lib}.swapaxes(_tangents(_jets(${t}, flat, 1), ${n}), 1, 2)`],
        rows: rowsOf(net, 0),
      });
    } else {
      const ex = mappingExprs(net);
      parts.push({
        name: "network",
        doc: doc(pyString(net.name), `${m}`),
        n,
        shape: [m],
        body: scalarBody(ex.components, net.source.coords),
      });
      parts.push({
        name: "jacobian",
        doc: doc(`d ${pyString(net.name)}/dx`, `${m}, ${n}`),
        n,
        shape: [m, n],
        body: scalarBody(ex.jacobian.flat(), net.source.coords),
      });
    }
  }
  if (metric) {
    const n = metric.manifold.dim,
      name = pyString(metric.name);
    const def = metric.def;
    const degenerate = def.kind === "pullback" && def.along.target.dim < n;
    const quantities = EXPORTED.filter((q) => {
      const entry = quantity(q);
      return !degenerate && (entry.dimension === undefined || entry.dimension === n);
    });
    const docOf = (q: QuantityName) => {
      const shape = quantity(q).shape(n);
      return `${quantity(q).title} of ${name}: (..., ${n}) -> (..., ${[...shape, ""].join(", ")})`.replace(", )", ")");
    };
    if (served && matrixMetric) {
      const t = tableOf(served.net, served.from);
      parts.push({
        name: "metric",
        doc: `${name}_ab: (..., ${n}) -> (..., ${n}, ${n})`,
        n,
        shape: [n, n],
        body: [`out = _gram(_tangents(_jets(${t}, flat, 1), ${n}))`],
        rows: rowsOf(served.net, served.from),
      });
      for (const q of quantities) {
        const write = MATRIX_QUANTITIES[q];
        if (!write) throw new PythonExportError(`the matrix-level export has no formula for '${q}'`);
        parts.push({
          name: q,
          doc: docOf(q),
          n,
          shape: quantity(q).shape(n),
          body: write(t, name).map((l) => l.replaceAll("LIB.", `${lib}.`)),
          rows: rowsOf(served.net, served.from),
        });
      }
    } else {
      assertSymbolicFeasible(metric, quantities.some((q) => quantity(q).derivatives === 2) ? 2 : 0, "the Python export");
      const g = metricComponents(metric);
      parts.push({
        name: "metric",
        doc: `${name}_ab: (..., ${n}) -> (..., ${n}, ${n})`,
        n,
        shape: [n, n],
        body: scalarBody(g.flat(), coords),
      });
      if (quantities.length) {
        const geo = geometry(g, metric.manifold.coords).quantities;
        for (const q of quantities) {
          const body = scalarBody(quantity(q).define(DAG, geo), coords);
          body.push(`_defined("${q}", "${name}", flat, out, metric)`);
          parts.push({ name: q, doc: docOf(q), n, shape: quantity(q).shape(n), body });
        }
      }
    }
  }

  const functions = parts.map((p) => {
    const result = p.shape.length === 0 ? "out.reshape(tuple(x.shape[:-1]))" : `out.reshape(tuple(x.shape[:-1]) + ${pyTuple(p.shape)})`;
    const head = [`def ${p.name}(x):`, `    """${p.doc}."""`, `    flat = _points(x, ${p.n})`];
    if (p.rows === undefined) return [...head, ...p.body.map((l) => `    ${l}`), `    return ${result}`].join("\n");
    return [
      `def _${p.name}_block(flat):`,
      ...p.body.map((l) => `    ${l}`),
      "    return out",
      "",
      "",
      ...head,
      `    out = _blocks(_${p.name}_block, flat, ${p.rows})`,
      `    return ${result}`,
    ].join("\n");
  });
  const matrix = tables.size > 0;
  const runtime = matrix ? matrixRuntime(target, activations, used, shapedKinds) : [];
  const values = [...env].filter(([k]) => model.constants.has(k));
  const header = [
    `"""Generated by rgnn export from "${pyString(source)}" (target: ${target}); coordinates ${coords.map(pyString).join(", ")}.`,
    "",
    target === "torch"
      ? "Tensors in, tensors out: any device and floating dtype, any batch shape (..., n)."
      : "Arrays in, arrays out: any batch shape (..., n), float64.",
    matrix
      ? "Networks are written at the matrix level: the weights as arrays, each layer one matrix product over all points\n" +
        "carrying the first (and, for curvature, second) derivatives by the input coordinates; the metric of a network is\n" +
        "g = J^T J, Christoffel symbols and scalar curvature follow from the second derivatives (Gauss's equation)."
      : "Each function computes its components once per shared subexpression (one temporary per node).",
    'A quantity that is undefined at a point (volume where det g < 0, the inverse where det g = 0) raises ValueError."""',
    matrix
      ? "import array  # noqa: F401\nimport base64  # noqa: F401\nimport math  # noqa: F401\nimport sys  # noqa: F401"
      : "import math  # noqa: F401",
    "",
    `import ${lib}`,
    "",
    `COORDINATES = ${pyTuple(coords.map((c) => `"${pyString(c)}"`))}`,
    "# the values of the spec's constants this module was written with (rgnn export --set NAME=VALUE for others)",
    `VALUES = {${values.map(([k, v]) => `"${pyString(k)}": ${Number.isFinite(v) ? String(v) : `float("${v}")`}`).join(", ")}}`,
  ];
  const checks = checksRuntime(target, metric, matrixMetric);
  const helpers = target === "numpy" ? numpyHelpers(used) : [];
  const tablesText = [...tables.values()].map((t) => t.source);
  const geometryRuntime = matrixMetric ? [matrixGeometryRuntime(target)] : [];
  return `${[header.join("\n"), ...helpers, ...runtime, ...geometryRuntime, checks, ...tablesText, ...functions].join("\n\n\n")}\n`;
}

/** Input handling and the refusals of quantities undefined at a point (the CLI refuses the same points). */
function checksRuntime(target: PythonTarget, metric: Metric | undefined, matrix: boolean): string {
  const torch = target === "torch";
  const lib = target;
  const points = torch
    ? `def _points(x, n):
    """A batch (..., n) as (B, n)."""
    if x.shape[-1] != n:
        raise ValueError("expected points with %d coordinates (shape (..., %d)), got shape %s" % (n, n, tuple(x.shape)))
    return x.reshape(-1, n)`
    : `def _points(x, n):
    """A batch (..., n) as (B, n), float64."""
    x = numpy.asarray(x, dtype=numpy.float64)
    if x.shape[-1:] != (n,):
        raise ValueError("expected points with %d coordinates (shape (..., %d)), got shape %s" % (n, n, x.shape))
    return x.reshape(-1, n)`;
  const where = `def _first(x, bad):
    """The first point of a batch where bad holds, as a tuple of floats."""
    return tuple(float(v) for v in x[bad][0].tolist())`;
  const guards = `def _positive(what, name, x, det):
    bad = (det < 0) & ${lib}.isfinite(x).all(-1)
    if bool(bad.any()):
        p = _first(x, bad)
        raise ValueError("%s of '%s' is undefined at %s: det g = %g < 0 (the metric is indefinite there), and sqrt(det g) "
                         "needs det g >= 0" % (what, name, p, float(det[bad][0])))
    _nondegenerate(what, name, x, det, zero_ok=True)


def _nondegenerate(what, name, x, det, zero_ok=False):
    bad = ~${lib}.isfinite(det)
    if not zero_ok:
        bad = bad | (det == 0)
    bad = bad & ${lib}.isfinite(x).all(-1)
    if bool(bad.any()):
        p = _first(x, bad)
        raise ValueError("%s of '%s' is undefined at %s: det g = %g (the metric is degenerate there, or not finite)"
                         % (what, name, p, float(det[bad][0])))`;
  const defined =
    metric && !matrix
      ? `


def _defined(what, name, x, out, metric):
    """Refuse points where a quantity is not finite although the point is, saying why from det g there."""
    bad = ~${lib}.isfinite(out.reshape(out.shape[0], -1)).all(-1) & ${lib}.isfinite(x).all(-1)
    if not bool(bad.any()):
        return
    det = ${lib}.linalg.det(metric(x[bad][:1]))
    _positive(what, name, x[bad][:1], det)
    _nondegenerate(what, name, x[bad][:1], det)
    raise ValueError("%s of '%s' is not finite at %s (det g = %g)" % (what, name, _first(x, bad), float(det[0])))`
      : "";
  return `${points}\n\n\n${where}\n\n\n${guards}${defined}`;
}
