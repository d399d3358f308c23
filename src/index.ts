// rgnn as a library: the public, typed surface (see docs/api.md). Everything returns plain data;
// the CLI computes its results through the same functions.

/** Parse and check a spec; pick its metrics and maps by name. */
export { checkSpec, type CheckResult, pickMapping, pickMetric } from "./api/spec.js";
export { LookupError } from "./api/errors.js";
export type { Diagnostic } from "./syntax/diagnostics.js";
export type { Span } from "./syntax/ast.js";

/** Expression graphs: each public function builds its closed forms in a graph of its own, dropped when it returns;
 *  to share that work across calls (the same metric's closed form, then its values), run them in one graph. */
export { type Graph, inGraph, newGraph } from "./symbolic/expr.js";

/** The typed model of a spec. */
export type { Activation, Bundle, Layer, Manifold, Mapping, Metric, MetricDef, Model, Network, Request } from "./semantics/model.js";

/** Metrics: closed form and values at points. */
export { atLayer, metricAt, type MetricValue, metricSymbolic, type SymbolicMetric, type Values, valuesOf } from "./api/metric.js";

/** Evaluation, geometry, geodesics, flow convergence, derivation and verification. */
export {
  derivation,
  evaluateAt,
  flowConvergence,
  type FlowResult,
  geodesic,
  geometryAt,
  type MappingValue,
  type QuantityValue,
  verify,
  verifyResult,
  type VerifyResult,
} from "./api/compute.js";
export { QUANTITY_NAMES, type GeometryQuantity } from "./numeric/geometry.js";
export type { GeodesicPath } from "./numeric/geodesic.js";
export type { Interpolation } from "./numeric/flow.js";
export { EvaluationError } from "./numeric/evaluate.js";
export type { Derivation, Section, Step, WitnessOptions, WitnessResult } from "./derive/model.js";
