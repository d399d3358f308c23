// Everything the API computes beside specs and metrics, in one import for library users; each command imports the
// module it needs (mapping, geometry, geodesic, flow, derivation, export), so it loads no other's dependencies.
export {
  type MappingEvaluator,
  type MappingValue,
  evaluateAt,
  mappingEvaluator,
  mappingSymbolic,
  type SymbolicMapping,
} from "./mapping.js";
export { geometryAt, type QuantityValue } from "./geometry.js";
export { geodesic, geodesicDistance } from "./geodesic.js";
export { diffeomorphism, flowChart, flowConvergence, type FlowResult } from "./flow.js";
export { claimCheck, derivation, verify, verifyResult, type VerifyResult } from "./derivation.js";
export { pythonExport } from "./export.js";
