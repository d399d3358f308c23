// `rgnn geometry FILE --quantity q`: any quantity of core/quantities.ts (volume, Christoffel
// symbols, curvature, ...) of a metric, symbolically or at a point.
import { type QuantityName as GeometryQuantity, QUANTITY_NAMES, quantity } from "../../core/quantities.js";
import type { Metric } from "../../semantics/model.js";
import { latexSymbol } from "../../render/latex-expr.js";
import { geometryAt, geometrySymbolic } from "../../api/geometry.js";
import { pickMetric } from "../../api/spec.js";
import { commandEnv } from "../env.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { fmt, json } from "../format.js";
import { choice, parseAssignments, parsePoint } from "../options.js";
import { FORMATS } from "../formats.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";
import { type ChartPoint, chartPoint, chartPointText } from "../chart-point.js";
import { readPointsFile } from "../csv.js";
import { csvRows } from "../csv-rows.js";
import { npyFile } from "../npy.js";
import { refuseInput, writeFileAtomic } from "../output.js";

export interface GeometryOptions {
  metric?: string;
  quantity: string;
  at?: string;
  atInput?: string;
  format: string;
  /** A csv of points of the metric's chart, one a line: every component at each (csv or npy). */
  points?: string;
  output?: string;
  set?: string;
  weights?: string;
}

/** Index positions as the table writes them: Γ^a_bc, R^a_bcd, g^ab, R_ab. A scalar whose symbol is also a name
 *  of the spec (the scalar curvature R beside a radius R) is written as the claim function instead: scalar(g). */
function indexed(q: GeometryQuantity, metric: Metric, taken: ReadonlySet<string>, idx: number[], tex: boolean): string {
  const coords = metric.manifold.coords;
  const c = idx.map((i) => (tex ? latexSymbol(coords[i]) : coords[i]));
  const symbol = quantity(q).symbol;
  if (idx.length === 0 && taken.has(symbol.text(c)))
    return tex ? `\\operatorname{${q}}(${latexSymbol(metric.name)})` : `${q}(${metric.name})`;
  return tex ? symbol.tex(c) : symbol.text(c);
}

/** A listing with no nonzero component, in LaTeX: the whole tensor is 0. */
const allZeroTex = (q: GeometryQuantity, metric: Metric) => `\\operatorname{${q}}(${latexSymbol(metric.name)}) &= 0`;

/** What the listing holds: every nonzero component, or the independent ones and the symmetry giving the rest. */
function listingNote(q: GeometryQuantity, rank: number): string {
  if (rank < 2) return "";
  const symmetry = quantity(q).symmetry;
  return symmetry ? `, nonzero independent components (the rest follow by ${symmetry})` : ", nonzero components";
}

/** The multi-index of component k of a row-major tensor of this shape. */
const indexOf = (shape: readonly number[], k: number): number[] =>
  shape.map((_, i) => Math.floor(k / shape.slice(i + 1).reduce((a, b) => a * b, 1)) % shape[i]);

function nested<T>(shape: number[], flat: T[]): unknown {
  if (shape.length === 0) return flat[0];
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nested(shape.slice(1), flat.slice(i * size, (i + 1) * size)));
}

export function geometryCommand(io: IO, file: string, opts: GeometryOptions): number {
  const format = choice(opts.format, FORMATS.geometry, "--format");
  const q = choice(opts.quantity, QUANTITY_NAMES, "--quantity");
  if (opts.points !== undefined) {
    if (opts.at !== undefined || opts.atInput !== undefined) throw new UsageError("give one of --at, --at-input and --points");
    if (format !== "csv" && format !== "npy") throw new UsageError("--points writes --format csv or --format npy");
    if (format === "npy" && opts.output === undefined) throw new UsageError("--format npy is binary: give -o FILE.npy");
  } else if (format === "csv" || format === "npy") throw new UsageError(`--format ${format} goes with --points FILE.csv`);
  if (opts.output !== undefined) {
    if (opts.points === undefined) throw new UsageError("-o goes with --points");
    refuseInput(opts.output, [file, opts.points, opts.weights]);
  }
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const metric: Metric = pickMetric(loaded.model, opts.metric);
  const coords = metric.manifold.coords;
  const taken = new Set([...loaded.model.constants.keys(), ...coords]);
  try {
    if (opts.points !== undefined) {
      const points = readPointsFile(io, opts.points, coords.length);
      if (!points) return EXIT.failure;
      const env = commandEnv(io, loaded.model, opts);
      if (!env) return EXIT.failure;
      const values = geometryAt(metric, q, points, env);
      const shape = values[0]?.shape ?? quantity(q).shape(coords.length);
      const size = shape.reduce((a, b) => a * b, 1);
      if (format === "npy") {
        // points × the quantity's shape, C order: np.load(FILE)[p] is the tensor at point p
        const table = new Float64Array(points.length * size);
        values.forEach((v, p) => {
          table.set(v.values, p * size);
        });
        writeFileAtomic(opts.output!, npyFile([points.length, ...shape], table), [], { io, detail: pointsDetail(points.length) });
      } else {
        // a header (the coordinates, then each component by its 1-based indices, as eval's J_12: christoffel_122;
        // christoffel_1_10_2 once an index has two digits), then one row a point
        const sep = coords.length > 9 ? "_" : "";
        const names = Array.from({ length: size }, (_, k) =>
          shape.length
            ? `${q}_${indexOf(shape, k)
                .map((i) => i + 1)
                .join(sep)}`
            : q,
        );
        const columns = coords.length + size,
          table = new Float64Array(values.length * columns);
        values.forEach((v, p) => {
          table.set(v.point, p * columns);
          table.set(v.values, p * columns + coords.length);
        });
        const head = `${[...coords, ...names].join(",")}\n`,
          rows = csvRows(table, columns);
        if (opts.output === undefined) io.out(head + rows.toString("latin1"));
        else writeFileAtomic(opts.output, [Buffer.from(head, "utf8"), rows], [], { io, detail: pointsDetail(points.length) });
      }
      return EXIT.ok;
    }
    if (opts.at !== undefined || opts.atInput !== undefined) {
      if (opts.at !== undefined) parsePoint(opts.at, metric.manifold); // a malformed point before the weights are read
      const env = commandEnv(io, loaded.model, opts);
      if (!env) return EXIT.failure;
      const at = chartPoint(opts, metric, env) as ChartPoint,
        point = at.point;
      const [{ values: v, shape, listed }] = geometryAt(metric, q, [point], env);
      const input = at.input ? { input: at.input } : {};
      if (format === "json")
        io.out(json({ metric: metric.name, quantity: q, coords, shape, point, ...input, components: nested(shape, v) }));
      else {
        const lines = listed.map(
          (c) => `${indexed(q, metric, taken, c.index, format === "latex")} ${format === "latex" ? "&" : ""}= ${fmt(c.value)}`,
        );
        if (format === "latex") io.out(`\\begin{align*}\n${lines.join(" \\\\\n") || allZeroTex(q, metric)}\n\\end{align*}\n`);
        else
          io.out(
            `${q} of ${metric.name} ${chartPointText(at, metric, fmt)}${lines.length ? listingNote(q, shape.length) : ""}:\n` +
              `${lines.map((l) => `  ${l}`).join("\n") || "  all components are 0"}\n`,
          );
      }
      return EXIT.ok;
    }
    // printed in simplified form, --set values written into the formulas
    const l = geometrySymbolic(metric, q, parseAssignments(opts.set));
    const show = (c: (typeof l.listed)[number], tex: boolean) =>
      tex ? (c.latex ?? "\\dots") : (c.text ?? "(too large to print: evaluate it with --at)");
    if (format === "json") {
      io.out(
        json({
          metric: metric.name,
          quantity: q,
          coords,
          shape: l.shape,
          components: l.listed.map((c) => ({ index: c.coords, expr: c.text })),
          ...(l.shape.length > 1 ? { symmetry: l.symmetry } : {}),
          // every component, listed or not (null where too large to print)
          tensor: nested(l.shape, l.tensor),
        }),
      );
    } else if (format === "latex") {
      const rows = l.listed.map((c) => `${indexed(q, metric, taken, c.index, true)} &= ${show(c, true)}`).join(" \\\\\n");
      io.out(`\\begin{align*}\n${rows || allZeroTex(q, metric)}\n\\end{align*}\n`);
    } else {
      const note = l.listed.length ? listingNote(q, l.shape.length) : "";
      io.out(`${q} of metric ${metric.name} on ${metric.manifold.name} (${coords.join(", ")})${note}:\n\n`);
      io.out(
        l.listed.length
          ? `${l.listed.map((c) => `  ${indexed(q, metric, taken, c.index, false)} = ${show(c, false)}`).join("\n")}\n`
          : "  all components are 0\n",
      );
    }
    return EXIT.ok;
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
}

const pointsDetail = (n: number) => `${n} point${n === 1 ? "" : "s"}`;
