// What a layer kind is: everything the stages need to know about one kind, so that adding a kind is
// one module here plus its line in index.ts (the grammar reads how it is written from `syntax`).
import type { Algebra } from "../algebra.js";
import type { LayerKind } from "./index.js";
import type { ShapedDef, Taps } from "./shape.js";

/** A parameter of a layer: its name in specs and weights files, its shape, what it is. */
export interface ParamSpec {
  /** W and b are a layer's weight and bias (a matrix and a vector for affine kinds; layer_norm's scale γ and shift β,
   *  both vectors, as torch's `weight` and `bias`); h is the step size, eps a constant a kind adds (layer_norm's ε),
   *  K a shaped kind's kernel. */
  name: "W" | "b" | "h" | "eps" | "K";
  /** Each axis is the layer's output width, its input width, or (no axes) a scalar; a shaped kind's kernel takes the
   *  shape its geometry gives ("kernel") and its bias one entry per output channel ("channels"). */
  shape: readonly ("out" | "in" | "kernel" | "channels")[];
  role: string;
  /** How errors name it ("W", "step h"). */
  described: string;
  /** Shared by every layer of the network under one name (h), or named per layer (W1, b1). */
  shared: boolean;
  /** A scalar's value when the spec does not give it (layer_norm's ε = 1e-5): then it is neither named after the layer
   *  nor read from a weights file. */
  default?: number;
  /** Every entry's value when training starts (layer_norm's γ = 1, β = 0), instead of the Glorot draw of a W. */
  init?: number;
}

/** The inputs of one layer, in any algebra. */
export interface LayerInput<T> {
  /** Previous states, newest first: xs[0] = x_{l−1}, xs[1] = x_{l−2} when the kind reads it and it exists. */
  xs: T[][];
  /** W's rows (a vector-shaped W, layer_norm's γ, is its one row W[0]). */
  W?: T[][];
  b?: T[];
  h?: T;
  eps?: T;
  /** σ(z) and σ′(z) of the layer's activation (the caller's function table). */
  act?: (z: T) => [T, T];
  /** A value's number, for algebras that have one (numbers, dual numbers): softmax then shifts by the
   *  maximum so that it cannot overflow; the symbolic form is written overflow-free instead. */
  numberOf?: (t: T) => number;
  /** A shaped layer's operator entries (max pooling reads its windows from them: row i's columns, in order). */
  taps?: Taps;
}

export interface LayerOutput<T> {
  /** Pre-activations W x_{l−1} + b. */
  z?: T[];
  /** σ′(z). */
  slope?: T[];
  x: T[];
}

/** Plain-number inputs for training: W row-major (rows = output width). */
export interface NumericInput {
  xs: number[][];
  W?: ArrayLike<number>;
  b?: ArrayLike<number>;
  h: number;
  eps?: number;
  inWidth: number;
  outWidth: number;
  act?: (z: number) => [number, number];
  /** A shaped layer's operator entries (max pooling's windows). */
  taps?: Taps;
}
/** What the reverse sweep needs from the forward sweep. */
export interface NumericCache {
  x: number[];
  slope?: number[];
  p?: number[];
  /** layer_norm: the normalised input (x − mean)/σ and 1/σ. */
  xhat?: number[];
  rstd?: number;
  /** max pooling: the input entry each output entry is. */
  argmax?: number[];
}
/** Where the reverse sweep accumulates: ∂loss/∂x_{l−1−k} in gx[k] (for k < xs.length), ∂loss/∂W and ∂loss/∂b if trained. */
export interface Gradients {
  gx: number[][];
  gW: Float64Array | null;
  gb: Float64Array | null;
}

/** How a layer reads as a step of an ODE: x_l = Σ_k c_k x_{l−1−k} + s(h) σ(W x_{l−1} + b). */
export interface OdeLimit {
  /** Order of the ODE (dx/dt, d²x/dt², …). */
  order: number;
  /** Name of the difference scheme, as prose. */
  scheme: string;
  /** Order of accuracy of the scheme (global error O(h^accuracy)). */
  accuracy: number;
  /** The ODE in plain text and TeX (σ written `σ` / `${s}`). */
  text: string;
  tex: (s: string) => string;
}

/** The data for the derivation steps written per layer (TeX; `s` is the activation's TeX, `slope` its derivative's). */
export interface DerivationText {
  /** One sentence: what the layer does. `start`: the layer starts the network (no x_{l−2}). */
  why(index: number, s: string, start: boolean): string;
  /** x^{a_l} in index notation. */
  general(index: number, s: string): string;
  jacobianWhy(index: number, slope: string, start: boolean): string;
  jacobianGeneral(index: number, start: boolean): string;
  /** The Euler-step reading (kinds with an ODE limit). */
  euler?: {
    title(index: number): string;
    why(s: string): string;
    general(index: number, s: string): string;
    /** The difference quotient's label: [TeX, text]. */
    quotient(index: number, start: boolean): [string, string];
  };
}

/** Kinds of the form x_l = Σ_k coeffs[k] x_{l−1−k} + factor·h^power·σ(W x_{l−1} + b) (scale null: σ(z) alone). */
export interface Recurrence {
  coeffs: readonly number[];
  scale: { factor: number; power: number } | null;
}

/** A layer in matrix notation, for kinds that `recurrence` does not describe: x_l and ∂x_l/∂x_{l−1} in terms of the
 *  previous state's and its own vector names (already spelled: "x2", "x_{2}"), in plain text and TeX; `own` spells the
 *  layer's own parameters ("W" → "W3", "W_{3}"). */
export interface MatrixText {
  text: MatrixSpelling;
  tex: MatrixSpelling;
}
export interface MatrixSpelling {
  x(prev: string, own: (p: string) => string): string;
  jacobian(x: string, own: (p: string) => string, prev: string): string;
}

/** How a layer is written in a spec: `word [number] [activation] [with parameters]`. The grammar has one rule for
 *  every kind; syntax/parse.ts holds each layer to its kind's shape. */
export interface LayerSyntax {
  /** The word that opens the layer (a reserved word of the language). */
  word: string;
  /** The number after the word: none; the output width, which may be left out (`dense 3 tanh`; a shaped kind's output
   *  channels, `conv 8 tanh`); or, for a family
   *  of kinds, the argument that picks the kind, which must be given (`order 3 tanh`). */
  number: "none" | "width" | "argument";
  /** Whether an activation name follows (a kind without one has none). */
  activation: boolean;
}

/** The matrix engine's jet arithmetic (numeric/engine/jets.ts), lent to a kind's own step: a block of w jets is
 *  stored component-major, K components each (the value, then the derivatives the pass carries, up to third order). */
export interface JetArithmetic {
  readonly K: number;
  /** u ← f∘u for w jets, in place; D holds f, f′, f″, f‴ at the values u[0 … w), each a block of w. */
  compose(u: Float64Array, D: Float64Array, w: number): void;
  /** out ← u·v for w jets u and one jet v, by Leibniz's rule. */
  scale(u: Float64Array, v: Float64Array, w: number, out: Float64Array): void;
}

/** Scratch space the engine lends a step: a block as large as the jets, 4·width numbers and 4·K numbers. */
export interface JetScratch {
  block: Float64Array;
  D: Float64Array;
  S: Float64Array;
}

/** A layer's numeric parameters as the engine holds them (row-major W, b; eps where the kind has one). */
export interface EngineParams {
  W: Float64Array | null;
  b: Float64Array | null;
  eps?: number;
  /** A shaped layer's operator by rows (CSR: row i's columns are col[start[i] … start[i + 1])), in its taps' order. */
  sparse?: { start: Int32Array; col: Int32Array };
}

/** The matrix engine's step for a kind that is not a recurrence of σ(W x + b) (no `recurrence`); it reads only x_{l−1}
 *  and keeps the width (a shaped kind's, max pooling's, maps it to the rows of its `sparse` operator). */
export interface EngineStep {
  /** y ← x_l with its derivatives, from the w jets x = x_{l−1}. */
  jets(J: JetArithmetic, x: Float64Array, w: number, y: Float64Array, scratch: JetScratch, p: EngineParams): void;
  /** Reverse mode: b += a·∂x_l/∂x_{l−1} for the m rows of a (m × w, row-major) into b (m × w), given the value x_l and
   *  the layer's input x_{l−1}. */
  pullback(x: ArrayLike<number>, a: Float64Array, b: Float64Array, m: number, w: number, p: EngineParams, input: ArrayLike<number>): void;
}

export interface LayerKindDef {
  /** The kind's name in the model (`LayerKind`); its spelling in specs is `syntax`. */
  keyword: LayerKind;
  syntax: LayerSyntax;
  params: readonly ParamSpec[];
  /** "chosen": the spec (or W) sets the output width; "kept": output width = input width (W square). */
  width: "chosen" | "kept";
  /** How many previous states the layer reads (2: also x_{l−2}, which must have the same width). */
  reads: number;
  ode: OdeLimit | null;
  /** The step as a linear recurrence, given how many previous states exist (fewer than `reads`: the
   *  starting step); absent for kinds not of that form. */
  recurrence?: (available: number) => Recurrence;
  /** The matrix notation of kinds without a `recurrence` (those with one are written from it). */
  matrix?: MatrixText;
  /** The matrix engine's step of kinds without a `recurrence` (those with one run the engine's recurrence step). */
  engine?: EngineStep;
  /** Why the map is not C¹, for kinds that are piecewise (max pooling): geometry through it is warned about as through
   *  a kinked activation. */
  kink?: string;
  /** Why the layer's Jacobian is singular at every point, for kinds that lose a dimension (softmax kills (1, …, 1)):
   *  the diffeomorphism check and `rgnn metric` say it, and a metric pulled back through it has rank width − 1 at most. */
  singular?: string;
  /** A layer on channels × height × width states (convolutions, upsampling, pooling): its options, how its shapes
   *  follow and its operator's entries. Its W and b (`params`) are built from these by the semantics stage; what a
   *  spec writes are `shaped.params` and the options. */
  shaped?: ShapedDef & { params: readonly ParamSpec[] };
  /** Whether the output is a probability vector (training then reads it as the class probabilities). */
  probabilities: boolean;
  /** Glorot scale of the initial W (residual-type blocks start near the identity). */
  initScale: number;
  labels: {
    /** In listings ("layer 3 (residual tanh)"). */
    text: string;
    /** In figure titles. */
    short: string;
    /** In derivation titles and prose ("second-order"). */
    title: string;
    /** In sentences about the kind ("is second order"). */
    prose: string;
    /** Whether the activation is part of the label (false: the layer has none). */
    activation: boolean;
  };
  derivation: DerivationText;
  /** The layer map, generically; the caller's σ table is used where the kind has an activation. */
  forward<T>(A: Algebra<T>, input: LayerInput<T>): LayerOutput<T>;
  /** ∂x_l/∂x_{l−1−k} for k = 0 … xs.length−1, from the forward pass's output. */
  jacobians<T>(A: Algebra<T>, input: LayerInput<T>, out: LayerOutput<T>): T[][][];
  /** The layer map on plain numbers (training's forward sweep). */
  evaluate(input: NumericInput): NumericCache;
  /** Reverse mode: accumulate gᵀ ∂x_l/∂(x_{l−1−k}, W, b) into `into`. */
  vjp(input: NumericInput, cache: NumericCache, g: number[], into: Gradients): void;
}
