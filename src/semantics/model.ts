// The typed model of a spec: every name resolved, every dimension known, every parameter a
// tensor of mathjs expressions (numbers for numeric weights, symbols for symbolic ones).
import type { MathNode } from "mathjs";
import { ACTIVATION_FUNCTIONS, type ActivationFunction } from "../core/functions.js";
import type { Geometry, LayerKind, Taps } from "../core/layers/index.js";
import type { Span } from "../syntax/ast.js";
import type { Diagnostic } from "../syntax/diagnostics.js";
import { type ClaimFunction, QUANTITY_PHRASES, type QuantityPhrase } from "../core/quantities.js";

/** Largest dimension of a manifold or R^n: beyond it a typo, not a model. */
export const MAX_DIMENSION = 1024;

export interface Constant {
  name: string;
  value?: number;
  span: Span;
}

export interface Manifold {
  name: string;
  dim: number;
  coords: string[];
  span: Span;
  /** For `manifold M (...) on [a,b] x …`: one interval per coordinate, where witnesses sample (default [−1, 1] each). */
  domain?: [number, number][];
  /** For `manifold S (...) embedded in R3 { ... }`: the parametrisation into the ambient space. */
  embedding?: { target: Manifold; components: MathNode[] };
}

/** The functions the registry flags as activations (the identity `linear` among them). */
export type Activation = ActivationFunction;
export const ACTIVATIONS: readonly Activation[] = ACTIVATION_FUNCTIONS;
/** A table over the activations, built from a rule. */
export const byActivation = <V>(rule: (a: Activation) => V) =>
  Object.fromEntries(ACTIVATIONS.map((a) => [a, rule(a)])) as Record<Activation, V>;

/** A parameter: its entries in row-major order; `values` when every entry is a number. */
export interface ParamTensor {
  name: string;
  shape: number[];
  entries: MathNode[];
  values: Float64Array | null;
  span: Span;
}

export type { LayerKind } from "../core/layers/index.js";

/** What a shaped layer (conv, conv_transpose, upsample, avgpool) adds: its shapes and options, its operator's entries,
 *  and the kernel and per-channel bias as the spec gives them. Its `W` and `b` are that operator and bias written out
 *  (W[r][c] the kernel entry of the tap at (r, c), or 0; W built when first read), so every route runs it as a dense
 *  layer; the matrix engine alone applies it from its taps and kernel (numeric/engine/network.ts, sparseOperator) and
 *  never reads that W. */
export interface ShapedLayer {
  /** The shaped kind whose operator this is: the layer's own, or (a `skip { … }` block ending in a convolution, whose
   *  last layer is of kind skip_k) the kind it was written as. */
  kind: LayerKind;
  geometry: Geometry;
  taps: Taps;
  K?: ParamTensor;
  bias?: ParamTensor;
}

export interface Layer {
  /** 1-based: layer l maps the coordinates of layer l-1 to those of layer l. */
  index: number;
  kind: LayerKind;
  activation: Activation;
  inWidth: number;
  outWidth: number;
  W?: ParamTensor;
  b?: ParamTensor;
  h?: ParamTensor;
  /** layer_norm's ε (a scalar; 1e-5 unless the spec gives it). */
  eps?: ParamTensor;
  shaped?: ShapedLayer;
  span: Span;
}

export interface CoordinateMap {
  kind: "map";
  name: string;
  source: Manifold;
  target: Manifold;
  /** Target coordinates as expressions in the source coordinates, in target order. */
  components: MathNode[];
  span: Span;
}
export interface ComposedMap {
  kind: "compose";
  name: string;
  first: Mapping;
  second: Mapping;
  source: Manifold;
  target: Manifold;
  span: Span;
}
export interface Network {
  kind: "network";
  name: string;
  source: Manifold;
  target: Manifold;
  layers: Layer[];
  /** Coordinates of layer l (0 = the input manifold). */
  layerSpaces: Manifold[];
  weightsFile?: string;
  span: Span;
  /** For a sub-network `NET layers A to B` (named `NET[A..B]`): its layers are NET's layers A..B renumbered from 1,
   *  with the same parameters; its input is layer A−1 of NET (`NET[A..B].x0` when A > 1). */
  slice?: { of: Network; first: number; last: number };
}
/** An embedded manifold used as its own parametrisation map. */
export interface EmbeddingMap {
  kind: "embedding";
  name: string;
  source: Manifold;
  target: Manifold;
  components: MathNode[];
  span: Span;
}
export type Mapping = CoordinateMap | ComposedMap | Network | EmbeddingMap;

export type MetricDef =
  | { kind: "euclidean" }
  | { kind: "components"; components: MathNode[][] }
  | { kind: "pullback"; of: Metric; along: Mapping; layer: number };
export interface Metric {
  name: string;
  manifold: Manifold;
  def: MetricDef;
  span: Span;
}

export type GroupName = "GL" | "GLplus" | "O" | "SO";
export interface Group {
  name: GroupName;
  n: number;
  span: Span;
}
export type Fibre = "vectors" | "covectors" | "metrics";
export interface PrincipalBundle {
  kind: "principal";
  name: string;
  base: Manifold;
  group: Group;
  span: Span;
}
export interface AssociatedBundle {
  kind: "associated";
  name: string;
  principal: PrincipalBundle;
  fibre: Fibre;
  span: Span;
}
export type Bundle = PrincipalBundle | AssociatedBundle;
export interface Action {
  of: Mapping;
  fromLayer: number;
  toLayer: number;
  on: Bundle;
  group?: Group;
  span: Span;
}

/** Typed tensor expressions, as they appear in claims (`check A equals B`). */
export type TensorExpr =
  | { kind: "metric"; metric: Metric; shape: number[]; chart: Manifold | null }
  | { kind: "jacobian"; map: Mapping; shape: number[]; chart: Manifold | null }
  | { kind: "literal"; entries: MathNode[]; shape: number[]; chart: Manifold | null }
  | { kind: "transpose"; arg: TensorExpr; shape: number[]; chart: Manifold | null }
  | { kind: "binary"; op: "+" | "-" | "*"; left: TensorExpr; right: TensorExpr; shape: number[]; chart: Manifold | null }
  | { kind: "scale"; factor: MathNode; arg: TensorExpr; shape: number[]; chart: Manifold | null }
  | { kind: "geometry"; quantity: GeometryFunction; metric: Metric; shape: number[]; chart: Manifold | null };

/** Quantities of a metric usable as functions in claims (`check gaussian(g) equals 1/R^2`): core/quantities.ts. */
export type GeometryFunction = ClaimFunction;

/** What `show QUANTITY of NAME` can show: the quantities of a metric come from core/quantities.ts. */
export type Quantity = "metric" | "jacobian" | "layers" | "coordinates" | QuantityPhrase | "geodesic" | "ode" | "flow" | "rank";
export const QUANTITIES: readonly Quantity[] = [
  "metric",
  "jacobian",
  "layers",
  "coordinates",
  ...QUANTITY_PHRASES,
  "geodesic",
  "ode",
  "flow",
  "rank",
];

export type Subject = { kind: "metric"; metric: Metric } | { kind: "mapping"; mapping: Mapping } | { kind: "constant"; constant: Constant };

export type Request =
  | { kind: "show"; quantity: Quantity; subject: Subject; at?: number[]; from?: number[]; to?: number[]; velocity?: number[]; span: Span }
  | { kind: "check_equals"; left: TensorExpr; right: TensorExpr; at?: number[]; span: Span }
  | { kind: "check_property"; property: "symmetric" | "positive definite" | "positive semidefinite"; subject: TensorExpr; span: Span }
  | { kind: "check_rank"; subject: TensorExpr; rank: number; span: Span }
  | { kind: "check_diffeomorphism"; network: Network; domain: [number, number][]; span: Span };

export interface Model {
  file: string;
  source: string;
  constants: Map<string, Constant>;
  manifolds: Map<string, Manifold>;
  mappings: Map<string, Mapping>;
  metrics: Map<string, Metric>;
  bundles: Map<string, Bundle>;
  actions: Action[];
  requests: Request[];
  /** Diagnostics that do not stop the spec (e.g. a metric through a ReLU layer), in source order. */
  warnings: Diagnostic[];
}
