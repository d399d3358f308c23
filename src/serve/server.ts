// `rgnn serve`: the library API as a long-lived JSON-RPC process over standard input and output (the language server's
// transport, Content-Length framing), for programs in other languages: the Python package (python/) drives it. A
// loaded spec is a handle; arrays travel as base64 little-endian float64 with a shape, never as decimal text. A bad
// request is one error reply carrying rgnn's message (file:line:col and a caret for a spec); the server lives on.
import { dirname, resolve } from "node:path";
import {
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver/node";
import { RgnnError } from "../core/errors.js";
import {
  checkSpec,
  closedFormTex,
  derivation,
  evaluateAt,
  figure,
  flowConvergence,
  geodesic,
  geodesicDistances,
  geometryAt,
  type GeometryQuantity,
  metricAt,
  metricSymbolic,
  type MetricForm,
  type Model,
  pickMapping,
  pickMetric,
  PLOT_KINDS,
  type PlotKind,
  pythonExport,
  QUANTITY_NAMES,
  valuesOf,
} from "../index.js";
import { pickNetwork } from "../api/learn.js";
import { atLayer } from "../api/metric.js";
import { assertInChart } from "../api/chart.js";
import { assertDefiniteForDistances, assertDistancesFeasible } from "../api/geodesic.js";
import { DERIVATION_FORMS } from "../derive/form.js";
import { DERIVATION_FORMATS, type DerivationFormat, FORMAT_NAMES } from "../render/formats.js";
import { InputError, readInputText, stripBom } from "../syntax/input.js";
import { pointsOf, RequestError, toWire } from "./wire.js";

/** JSON-RPC error codes: the request was wrong (rgnn's own message), or rgnn failed (a bug, reported, not fatal). */
export const SERVE_ERRORS = { request: -32001, invalidParams: -32602, internal: -32603 } as const;

/** What a client names a loaded spec by, and what each request on it reads. */
interface Loaded {
  model: Model;
  env: Map<string, number>;
}

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined || v === null) throw new RequestError(`missing parameter '${what}'`);
  return v;
};

function choice<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v !== "string" || !allowed.includes(v as T)) throw new RequestError(`${what} must be one of ${allowed.join(", ")}`);
  return v as T;
}

/** A spec file's text, or the CLI's message when it cannot be read: `PATH: error: cannot read: no such file`. */
function readSpecFile(path: string): string {
  try {
    return readInputText(path, "spec");
  } catch (e) {
    if (e instanceof InputError) throw new RequestError(`${path}: error: cannot read: ${e.message}`);
    throw e;
  }
}

/** The requests, by method name: each reads its parameters and returns plain JSON (arrays in wire form). */
function handlers(models: Map<number, Loaded>) {
  let next = 1;
  const loaded = (p: { model?: number }): Loaded => {
    const m = models.get(need(p.model, "model"));
    if (!m) throw new RequestError(`no loaded model ${p.model} (it was freed, or never loaded)`);
    return m;
  };
  const metricOf = (p: { model?: number; metric?: string; layer?: number }) => {
    const { model } = loaded(p);
    return atLayer(pickMetric(model, p.metric), p.layer);
  };
  return {
    /** A spec from a file (read like `rgnn` reads one, weights beside it) or from text (weights relative to `baseDir`). */
    load(p: { path?: string; text?: string; file?: string; baseDir?: string; values?: Record<string, number> }) {
      const path = p.path === undefined ? undefined : resolve(p.path);
      const text = path ? stripBom(readSpecFile(path)) : need(p.text, "text or path");
      const file = path ?? p.file ?? "<text>";
      const r = checkSpec(text, file, { baseDir: path ? dirname(path) : resolve(p.baseDir ?? ".") });
      if (!r.ok) throw new RequestError(r.message);
      const id = next++;
      models.set(id, { model: r.model, env: valuesOf(r.model, p.values ?? {}) });
      const m = r.model;
      return {
        model: id,
        file,
        metrics: [...m.metrics.values()].map((g) => ({ name: g.name, manifold: g.manifold.name, coords: g.manifold.coords })),
        mappings: [...m.mappings.values()].map((f) => ({
          name: f.name,
          kind: f.kind,
          source: f.source.coords,
          target: f.target.dim,
        })),
        warnings: m.warnings.map((w) => w.message),
      };
    },
    free(p: { model?: number }) {
      return { freed: models.delete(need(p.model, "model")) };
    },
    /** Output, Jacobian and pulled-back Euclidean metric of a map or network at many points. */
    evaluate(p: { model?: number; mapping?: string; points?: unknown }) {
      const { model, env } = loaded(p);
      const mapping = pickMapping(model, p.mapping);
      const rows = evaluateAt(mapping, pointsOf(need(p.points, "points"), mapping.source), env);
      return {
        output: toWire(rows.map((r) => r.output)),
        jacobian: toWire(rows.map((r) => r.jacobian)),
        metric: toWire(rows.map((r) => r.metric)),
      };
    },
    metric(p: { model?: number; metric?: string; layer?: number; points?: unknown }) {
      const { env } = loaded(p);
      const metric = metricOf(p);
      const values = metricAt(metric, pointsOf(need(p.points, "points"), metric.manifold), env);
      return { metric: toWire(values.map((v) => v.metric)), rank: values.map((v) => v.rank), type: values.map((v) => v.type) };
    },
    /** A quantity of QUANTITY_NAMES (christoffel, scalar, volume, …) at many points: [points, ...its shape]. */
    geometry(p: { model?: number; metric?: string; layer?: number; quantity?: string; points?: unknown }) {
      const { env } = loaded(p);
      const q = choice<GeometryQuantity>(p.quantity, QUANTITY_NAMES, "quantity");
      const metric = metricOf(p);
      const values = geometryAt(metric, q, pointsOf(need(p.points, "points"), metric.manifold), env);
      const shape = values[0]?.shape ?? [];
      return {
        values: toWire(
          values.map((v) => v.values),
          [values.length, ...shape],
        ),
      };
    },
    /** One geodesic: to a point (boundary-value problem) or with an initial velocity. */
    geodesic(p: { model?: number; metric?: string; from?: unknown; to?: unknown; velocity?: unknown; samples?: number }) {
      const { env } = loaded(p);
      const metric = metricOf(p);
      const vector = (v: unknown, what: string) => pointsOf(need(v, what), metric.manifold, what)[0];
      const from = vector(p.from, "from");
      const end = p.to
        ? { to: vector(p.to, "to"), samples: p.samples }
        : { velocity: vector(p.velocity, "to or velocity"), samples: p.samples };
      const path = geodesic(metric, env, from, end);
      const { samples, ...rest } = path;
      return {
        ...rest,
        t: toWire(samples.map((s) => s.t)),
        x: toWire(samples.map((s) => s.x)),
        v: toWire(samples.map((s) => s.v)),
      };
    },
    /**
     * Geodesic distances: between all pairs of `points` (a symmetric matrix), or of the index `pairs` given (a list
     * of distances: how a cluster shards a large matrix).
     */
    distances(p: { model?: number; metric?: string; points?: unknown; pairs?: [number, number][] }) {
      const { env } = loaded(p);
      const metric = metricOf(p);
      const points = pointsOf(need(p.points, "points"), metric.manifold);
      if (!p.pairs) assertDistancesFeasible(points.length); // before the matrix exists
      assertInChart(metric.manifold, points); // one message naming the point, not a failure per pair
      assertDefiniteForDistances(metric, env, points); // as `rgnn distances`: Minkowski's intervals are not distances
      // the pairs in lockstep (geodesicDistances); the first pair that fails, in order, is the request's error
      const solve = (pairs: [number, number][]): number[] => {
        const lengths = geodesicDistances(metric, env)(pairs.map(([i, j]) => [points[i], points[j]]));
        return lengths.map((d) => {
          if (d instanceof Error) throw d;
          return d;
        });
      };
      if (p.pairs) {
        for (const [i, j] of p.pairs) if (!points[i] || !points[j]) throw new RequestError(`pair (${i}, ${j}) is out of range`);
        const apart = p.pairs.filter(([i, j]) => i !== j);
        const lengths = solve(apart);
        let k = 0;
        return { distances: toWire(p.pairs.map(([i, j]) => (i === j ? 0 : lengths[k++]))) };
      }
      const n = points.length;
      const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      const pairs: [number, number][] = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
      solve(pairs).forEach((d, k) => {
        const [i, j] = pairs[k];
        out[i][j] = out[j][i] = d;
      });
      return { distances: toWire(out) };
    },
    /** The metric's closed form in the form asked for (as `rgnn metric --form`), with its display LaTeX. */
    closedForm(p: { model?: number; metric?: string; layer?: number; form?: string }) {
      const form = choice<MetricForm>(p.form ?? "auto", ["auto", "explicit", "layers", "matrix"], "form");
      const s = metricSymbolic(metricOf(p), form);
      return { ...s, tex: closedFormTex(s) };
    },
    flow(p: { model?: number; network?: string; depths?: number[] }) {
      const { model, env } = loaded(p);
      return flowConvergence(pickNetwork(model, p.network), env, { depths: p.depths });
    },
    /** The spec's derivation, rendered in a format of the derive command (tex, html, json, md). */
    derive(p: { model?: number; format?: string; form?: string }) {
      const { model } = loaded(p);
      const format = choice<DerivationFormat>(p.format ?? "html", FORMAT_NAMES, "format");
      // each metric's form: forced, or the one its components fit the format in (derive/form.ts), as `rgnn derive`
      const form = { form: choice(p.form ?? "auto", ["auto", ...DERIVATION_FORMS], "form"), capacity: DERIVATION_FORMATS[format].capacity };
      const d = derivation(model, { form });
      return { text: DERIVATION_FORMATS[format].render(d), steps: d.sections.reduce((k, s) => k + s.steps.length, 0) };
    },
    export(p: { model?: number; target?: string; name?: string }) {
      const { model } = loaded(p);
      const target = choice(p.target, ["torch", "numpy"] as const, "target");
      return { module: pythonExport(model, target, p.name ?? model.file) };
    },
    /**
     * One of `rgnn plot`'s figures (grid, data, ellipses, volume, geodesics) of a network over data points [N, 2] with
     * integer class labels, as SVG text and as a PNG (base64) drawn with the shipped font.
     */
    async figure(p: { model?: number; kind?: string; points?: unknown; labels?: number[]; network?: string; title?: string }) {
      const { model, env } = loaded(p);
      const kind = choice<PlotKind>(p.kind, PLOT_KINDS, "kind");
      const net = pickNetwork(model, p.network);
      if (net.source.dim !== 2) throw new RequestError(`figures are drawn over a plane: '${net.name}' reads ${net.source.dim} inputs`);
      const points = pointsOf(need(p.points, "points"), net.source);
      const labels = p.labels ?? points.map(() => 0);
      if (labels.length !== points.length || !labels.every((l) => Number.isInteger(l) && l >= 0))
        throw new RequestError("labels must be one non-negative integer per point");
      const data = { name: "data", x: Float64Array.from(points.flat()), y: Int32Array.from(labels), count: points.length };
      const svg = figure(model, kind, data, Object.fromEntries(env), { network: p.network, title: p.title });
      const { svgToPng } = await import("../render/plot/png.js");
      return { svg, png: svgToPng(svg).toString("base64") };
    },
    /** An ONNX model (base64 bytes) as a spec and its safetensors weights, for the caller to write side by side. */
    async import(p: { onnx?: string; name?: string }) {
      const { importModel } = await import("../import/model.js");
      const name = p.name ?? "model";
      if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new RequestError(`name '${name}' must be a plain file name (letters, digits, _ and -)`);
      const m = importModel(Buffer.from(need(p.onnx, "onnx"), "base64"), name);
      return { spec: m.spec, weights: Buffer.from(m.weights).toString("base64"), weightsFile: m.weightsFile, layers: m.layers };
    },
  };
}

export type ServeMethod = keyof ReturnType<typeof handlers>;

/** A failure as the client sees it: rgnn's errors carry their message; anything else is a bug, said so, not fatal. */
function reply(e: unknown): ResponseError<{ exitCode: number }> {
  if (e instanceof RgnnError) return new ResponseError(SERVE_ERRORS.request, e.message, { exitCode: e.exitCode });
  const message = e instanceof Error ? e.message : String(e);
  return new ResponseError(SERVE_ERRORS.internal, `internal error (a bug in rgnn; please report it): ${message}`, { exitCode: 70 });
}

/** Runs until the client closes the stream or sends `exit`; resolves with the exit status. */
export function serve(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<number> {
  const connection: MessageConnection = createMessageConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  const models = new Map<number, Loaded>();
  const table = handlers(models);
  for (const [method, handle] of Object.entries(table)) {
    connection.onRequest(method, async (params: unknown) => {
      try {
        if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params)))
          throw new RequestError("parameters must be an object");
        return await (handle as (p: unknown) => unknown)(params ?? {});
      } catch (e) {
        return reply(e);
      }
    });
  }
  connection.onRequest("methods", () => Object.keys(table));
  return new Promise((done) => {
    connection.onNotification("exit", () => {
      connection.dispose();
      done(0);
    });
    connection.onClose(() => done(0));
    connection.listen();
  });
}
