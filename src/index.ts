// rgnn as a library: the public, typed surface (see docs/api.md). Everything returns plain data;
// the CLI computes its results through the same functions.

/** Parse and check a spec; pick its metrics and maps by name. */
export { checkSpec, type CheckResult, pickMapping, pickMetric } from "./api/spec.js";
export { LookupError } from "./api/errors.js";
export { EXIT, type ExitCode, RgnnError } from "./core/errors.js";
export { SymbolicSizeError } from "./symbolic/size.js";
export type { Diagnostic } from "./syntax/diagnostics.js";
export type { Span } from "./syntax/ast.js";

/** Expression graphs: each public function builds its closed forms in a graph of its own, dropped when it returns;
 *  to share that work across calls (the same metric's closed form, then its values), run them in one graph. */
export { type Graph, inGraph, newGraph } from "./symbolic/expr.js";

/** The typed model of a spec. */
export type { Activation, Bundle, Layer, Manifold, Mapping, Metric, MetricDef, Model, Network, Request } from "./semantics/model.js";

/** Metrics: closed form and values at points. */
export {
  atLayer,
  closedFormLines,
  closedFormTex,
  INTERACTIVE_LAYERS,
  INTERACTIVE_SIZE,
  interactiveForm,
  metricAt,
  type MatrixMetric,
  type MetricForm,
  metricMatrix,
  type MetricValue,
  metricSymbolic,
  type SymbolicMetric,
  usesMatrixForm,
  type Values,
  valuesOf,
} from "./api/metric.js";

/** Geometric quantities (Christoffel symbols, curvature, …): simplified closed forms and values at points. */
export {
  geometryAt,
  geometrySymbolic,
  type QuantityValue,
  type SymbolicComponent,
  type SymbolicQuantityListing,
} from "./api/geometry.js";

/** Evaluation, geodesics, flow convergence, derivation and verification. */
export {
  type MappingEvaluator,
  type MappingValue,
  evaluateAt,
  mappingEvaluator,
  mappingSymbolic,
  type SymbolicMapping,
} from "./api/mapping.js";
/** Many points at once as typed arrays (flat Float64Array and shape), at the matrix engine's throughput. */
export { evaluateBatch, type MappingBatch, metricBatch, type Points, type Tensor } from "./api/batch.js";
export { geodesic, geodesicDistance, geodesicDistances } from "./api/geodesic.js";
export { diffeomorphism, flowChart, flowConvergence, type FlowResult } from "./api/flow.js";
export { claimCheck, derivation, verify, verifyResult, type VerifyResult } from "./api/derivation.js";
export { pythonExport } from "./api/export.js";
/** The paper's toy experiments: data sets, training, figures. */
export { type Dataset, dataset, datasetCsv, DATASETS, type DatasetName } from "./api/data.js";
export {
  type EpochRecord,
  figure,
  inputMetric,
  pickNetwork,
  PLOT_KINDS,
  type PlotKind,
  train,
  type TrainedNetwork,
  type TrainingOptions,
} from "./api/learn.js";
export { QUANTITY_NAMES, type GeometryQuantity } from "./numeric/geometry.js";
export type { GeodesicPath } from "./numeric/geodesic.js";
export { type Interpolation, ORDER_TOLERANCE } from "./numeric/flow.js";
export type { DiffeoReport } from "./numeric/diffeo.js";
export type { MatrixDefinition, MatrixParameter } from "./symbolic/matrix-form.js";
export { EvaluationError } from "./numeric/evaluate.js";
export { PythonExportError, type PythonTarget } from "./numeric/python.js";
export type { Derivation, Section, Step, WitnessOptions, WitnessResult } from "./derive/model.js";
