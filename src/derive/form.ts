// Which form a metric's derivation takes, chosen by what the output format can typeset:
// - scalar: every layer's and every pullback's components (and, when small, g as explicit functions of the coordinates);
// - layered: the layers' components and g in terms of their named intermediates; the hidden layers' pullbacks are
//   stated, not written out;
// - matrix: the paper's recursion with the weights as named matrices (matrix.ts): a few lines per layer at any width.
// A format's capacity is measured (docs/derivations.md, render/formats.ts); the sizes here are counted from the
// widths before anything is built, so a form that would not fit is never built only to be thrown away.
import { LAYER_KINDS } from "../core/layers/index.js";
import type { Metric, Network } from "../semantics/model.js";
import { metricListing } from "../symbolic/listing.js";
import { estimateSymbolicSize, printedSize, SYMBOLIC_LIMIT } from "../symbolic/size.js";
import { enginePullback } from "../numeric/route.js";

export const DERIVATION_FORMS = ["scalar", "layered", "matrix"] as const;
export type DerivationForm = (typeof DERIVATION_FORMS)[number];

/**
 * What an output format can typeset, in lines of a broken formula (formula.ts breaks sums at 62 visible characters:
 * about two terms of a pullback's components per line).
 */
export interface FormatCapacity {
  /** Lines one display (one step's formula) may hold. */
  displayLines: number;
  /** Lines of formulas the whole document may hold. */
  documentLines: number;
}

/**
 * Derivations as data (JSON, the library's default): nothing is typeset, so what bounds them is the time to build and
 * the size to read: 5·10⁴ lines are about 5 MB, built in seconds (the 2→32→32→2 MLP's scalar form, 2.7·10⁵ lines,
 * is 25 MB and takes most of a minute).
 */
export const DATA_CAPACITY: FormatCapacity = { displayLines: 50_000, documentLines: 50_000 };

/** How `derive` picks each metric's form: a form forced for every network pullback, or "auto" against a capacity. */
export interface FormChoice {
  form: DerivationForm | "auto";
  capacity: FormatCapacity;
}
export const AUTO_FORM: FormChoice = { form: "auto", capacity: DATA_CAPACITY };

/** Terms of a pullback's components per printed line (formula.ts LINE = 62 visible characters; a term is ~25–30). */
const TERMS_PER_LINE = 2;
/** Printed expression nodes per line, for the total Jacobian's unnamed entries (a term is ~3 nodes: c · name). */
const NODES_PER_LINE = 3 * TERMS_PER_LINE;

/** Lines of a form: its largest display and the whole. */
export interface FormSize {
  display: number;
  document: number;
}

const widthsOf = (net: Network) => [net.layers[0].inWidth, ...net.layers.map((l) => l.outWidth)];

/**
 * The printed size of the scalar or layered derivation of a pullback along a network of first-order layers, from the
 * widths: per layer w·v terms in z_l and in J_l (v → w), and the pullback's v(v+1)/2 components of w² terms each
 * (w at the output, whose metric is the identity). The layered form writes only the last pullback's components.
 */
function componentSize(net: Network, from: number, layered: boolean): FormSize {
  const widths = widthsOf(net),
    L = widths.length - 1;
  let display = 0,
    document = 0;
  for (let l = from + 1; l <= L; l++) {
    const w = widths[l],
      v = widths[l - 1];
    const layer = 2 * w * v;
    const pullback = l === from + 1 || !layered ? ((v * (v + 1)) / 2) * (l === L ? w : w * w) : 0;
    display = Math.max(display, layer, pullback);
    document += layer + pullback;
  }
  return { display: display / TERMS_PER_LINE, document: document / TERMS_PER_LINE };
}

/**
 * Through layers that read earlier states the pullback goes through the total Jacobian P, whose entries no layer
 * names: the widths do not bound them, so the listing is built (the shared DAG is needed either way) and its printed
 * size counted, up to `cap` lines.
 */
function totalJacobianSize(metric: Metric, cap: number): FormSize {
  const listing = metricListing(metric, "layers");
  const capNodes = Number.isFinite(cap) ? cap * NODES_PER_LINE : Number.MAX_SAFE_INTEGER;
  const nodes = printedSize([...listing.definitions.map((d) => d.expr), ...listing.result.flat()], listing.names, capNodes);
  return { display: nodes / NODES_PER_LINE, document: nodes / NODES_PER_LINE };
}

const fits = (s: FormSize, c: FormatCapacity) => s.display <= c.displayLines && s.document <= c.documentLines;

/**
 * The form of a metric's derivation. Only pullbacks along a network the matrix engine serves have layers and a matrix
 * form; every other metric is derived from its components (scalar). Auto: the first of scalar, layered, matrix whose
 * size fits the capacity (matrix always fits: a few lines per layer); never a form whose DAG (with the `derivatives`
 * the spec's requests take of g) would pass SYMBOLIC_LIMIT.
 */
export function chooseForm(metric: Metric, derivatives: 0 | 1 | 2, choice: FormChoice): DerivationForm {
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") return "scalar";
  const net = def.along;
  const engine = enginePullback(metric) !== null;
  if (choice.form !== "auto") return choice.form === "matrix" && !engine ? "layered" : choice.form;
  const { capacity } = choice;
  if (engine && estimateSymbolicSize(metric, derivatives) > SYMBOLIC_LIMIT) return "matrix";
  if (net.layers.slice(def.layer).some((l) => LAYER_KINDS[l.kind].reads > 1)) {
    // the total Jacobian's size is the same in both forms; without the engine there is no other form to take
    if (!engine || fits(totalJacobianSize(metric, capacity.documentLines), capacity)) return "scalar";
    return "matrix";
  }
  for (const form of ["scalar", "layered"] as const) if (fits(componentSize(net, def.layer, form === "layered"), capacity)) return form;
  return engine ? "matrix" : "layered";
}
