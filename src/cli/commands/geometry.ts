// `rgnn geometry FILE --quantity q`: any quantity of core/quantities.ts (volume, Christoffel
// symbols, curvature, ...) of a metric, symbolically or at a point.
import { quantity } from "../../core/quantities.js";
import type { Metric } from "../../semantics/model.js";
import { type Expr, num, substitute } from "../../symbolic/expr.js";
import { commandEnv } from "../env.js";
import { type GeometryQuantity, QUANTITY_NAMES, type SymbolicQuantity, symbolicQuantity } from "../../numeric/geometry.js";
import { pointQuantity } from "../../numeric/route.js";
import { assertSymbolicFeasible } from "../../symbolic/size.js";
import { latex } from "../../render/latex-expr.js";
import { latexSymbol } from "../../symbolic/notation.js";
import { print, printable } from "../../symbolic/print.js";
import { simplifyAll } from "../../symbolic/simplify/index.js";
import { indicesOf } from "../../symbolic/tensor.js";
import { EXIT, type IO } from "../io.js";
import { fmt, json } from "../format.js";
import { choice, parseAssignments, parsePoint } from "../options.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";
import { pickMetric } from "./metric.js";

export interface GeometryOptions {
  metric?: string;
  quantity: string;
  at?: string;
  format: string;
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

/** The components worth printing: nonzero, and one of each symmetric pair (Γ^a_bc = Γ^a_cb, R^a_b[cd]). */
function listed(q: SymbolicQuantity): number[] {
  return q.entries
    .map((_, k) => k)
    .filter((k) => {
      if (!quantity(q.name).independent(indicesOf(q.shape, k))) return false;
      return !(q.entries[k].op === "num" && q.entries[k].value === 0);
    });
}

function nested<T>(shape: number[], flat: T[]): unknown {
  if (shape.length === 0) return flat[0];
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nested(shape.slice(1), flat.slice(i * size, (i + 1) * size)));
}

/** Each entry's printed form, distinct entries simplified once (symmetric components are shared nodes). */
function simplifiedEntries(entries: readonly Expr[]): Expr[] {
  const distinct = [...new Set(entries)];
  const done = new Map(simplifyAll(distinct).map((s, i) => [distinct[i], s.expr]));
  return entries.map((e) => done.get(e)!);
}

export function geometryCommand(io: IO, file: string, opts: GeometryOptions): number {
  const format = choice(opts.format, ["text", "latex", "json"] as const, "--format");
  const q = choice(opts.quantity, QUANTITY_NAMES, "--quantity");
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const metric: Metric = pickMetric(loaded.model, opts.metric);
  const coords = metric.manifold.coords;
  const taken = new Set([...loaded.model.constants.keys(), ...coords]);
  try {
    if (opts.at !== undefined) {
      const point = parsePoint(opts.at, metric.manifold);
      const env = commandEnv(io, loaded.model, opts);
      if (!env) return EXIT.failure;
      const ev = pointQuantity(metric, q, env);
      const v = ev.at(point);
      const shape = ev.shape;
      if (format === "json") io.out(json({ metric: metric.name, quantity: q, coords, shape, point, components: nested(shape, v) }));
      else {
        // symbolically zero entries are zero here too: the nonzero independent ones are those listed
        const ks = v.map((_, k) => k).filter((k) => v[k] !== 0 && quantity(q).independent(indicesOf(shape, k)));
        const lines = (shape.length === 0 ? [0] : ks).map(
          (k) => `${indexed(q, metric, taken, indicesOf(shape, k), format === "latex")} ${format === "latex" ? "&" : ""}= ${fmt(v[k])}`,
        );
        if (format === "latex") io.out(`\\begin{align*}\n${lines.join(" \\\\\n") || allZeroTex(q, metric)}\n\\end{align*}\n`);
        else
          io.out(
            `${q} of ${metric.name} at (${point.map(fmt).join(", ")})${lines.length ? listingNote(q, shape.length) : ""}:\n` +
              `${lines.map((l) => `  ${l}`).join("\n") || "  all components are 0"}\n`,
          );
      }
      return EXIT.ok;
    }
    assertSymbolicFeasible(metric, quantity(q).derivatives, quantity(q).title);
    // printed in simplified form: components proved identically zero are dropped like structural zeros
    const raw = symbolicQuantity(metric, q);
    const set = [...parseAssignments(opts.set)].map(([k, v]) => [k, num(v)] as const);
    const entries = set.length ? substitute(raw.entries, new Map(set)) : raw.entries; // --set values in the formulas
    const sq: SymbolicQuantity = { ...raw, entries: simplifiedEntries(entries) };
    const ks = sq.shape.length === 0 ? [0] : listed(sq);
    const big = ks.filter((k) => !printable(sq.entries[k]));
    const show = (k: number, tex: boolean) =>
      big.includes(k)
        ? tex
          ? "\\dots"
          : `(too large to print: evaluate it with --at)`
        : tex
          ? latex(sq.entries[k])
          : print(sq.entries[k]);
    if (format === "json") {
      io.out(
        json({
          metric: metric.name,
          quantity: q,
          coords,
          shape: sq.shape,
          components: ks.map((k) => ({
            index: indicesOf(sq.shape, k).map((i) => coords[i]),
            expr: big.includes(k) ? null : print(sq.entries[k]),
          })),
          ...(sq.shape.length > 1 ? { symmetry: quantity(q).symmetry ?? null } : {}),
          // every component, listed or not (null where too large to print)
          tensor: nested(
            sq.shape,
            sq.entries.map((e) => (!printable(e) ? null : print(e))),
          ),
        }),
      );
    } else if (format === "latex") {
      io.out(
        `\\begin{align*}\n${ks.map((k) => `${indexed(q, metric, taken, indicesOf(sq.shape, k), true)} &= ${show(k, true)}`).join(" \\\\\n") || allZeroTex(q, metric)}\n\\end{align*}\n`,
      );
    } else {
      io.out(
        `${q} of metric ${metric.name} on ${metric.manifold.name} (${coords.join(", ")})${ks.length ? listingNote(q, sq.shape.length) : ""}:\n\n`,
      );
      io.out(
        ks.length
          ? `${ks.map((k) => `  ${indexed(q, metric, taken, indicesOf(sq.shape, k), false)} = ${show(k, false)}`).join("\n")}\n`
          : "  all components are 0\n",
      );
    }
    return EXIT.ok;
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
}
