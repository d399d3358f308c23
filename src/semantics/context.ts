// State shared by the semantic passes: the symbol table and the diagnostics found so far.
import type { Span, Spec } from "../syntax/ast.js";
import type { Diagnostic } from "../syntax/diagnostics.js";
import type { Bundle, Constant, Manifold, Mapping, Metric, Model } from "./model.js";
import type { WeightsAccess } from "./weights-access.js";

export type Entity =
  | { kind: "constant"; value: Constant }
  | { kind: "manifold"; value: Manifold }
  | { kind: "mapping"; value: Mapping }
  | { kind: "metric"; value: Metric }
  | { kind: "bundle"; value: Bundle };

export class Context {
  readonly diagnostics: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly names = new Map<string, Entity>();
  /** Every name declared anywhere in the file, to tell "declared later" from "unknown". */
  readonly declaredAt = new Map<string, Span>();
  /** Anonymous Euclidean spaces R^n, one per dimension. */
  private readonly euclidean = new Map<number, Manifold>();

  constructor(
    readonly spec: Spec,
    readonly baseDir: string,
    /** How `weights "PATH"` clauses are read (files, or none in a browser). */
    readonly weights: WeightsAccess,
    /** Values given to constants for this run (--set): they replace the declared ones everywhere, weights included. */
    readonly constantOverrides: ReadonlyMap<string, number> = new Map(),
  ) {}

  error(span: Span, message: string, notes?: string[]): void {
    this.diagnostics.push({ file: this.spec.file, source: this.spec.source, span, message, notes });
  }

  warn(span: Span, message: string, notes?: string[]): void {
    this.warnings.push({ file: this.spec.file, source: this.spec.source, span, message, notes, severity: "warning" });
  }

  euclideanSpace(dim: number, span: Span): Manifold {
    let m = this.euclidean.get(dim);
    if (!m) {
      m = { name: `R^${dim}`, dim, coords: Array.from({ length: dim }, (_, i) => `x${i + 1}`), span };
      this.euclidean.set(dim, m);
    }
    return m;
  }

  declare(name: string, entity: Entity): void {
    if (this.names.has(name)) return; // reported once by the declaration pre-pass
    this.names.set(name, entity);
  }

  constantValues(): Map<string, Constant> {
    const out = new Map<string, Constant>();
    for (const [k, e] of this.names) if (e.kind === "constant") out.set(k, e.value);
    return out;
  }

  model(): Model {
    const pick = <K extends Entity["kind"]>(kind: K) => {
      const out = new Map<string, Extract<Entity, { kind: K }>["value"]>();
      // biome-ignore lint/suspicious/noExplicitAny: e.kind === kind fixes the value type, which TS cannot correlate
      for (const [k, e] of this.names) if (e.kind === kind) out.set(k, e.value as any);
      return out;
    };
    return {
      file: this.spec.file,
      source: this.spec.source,
      constants: pick("constant"),
      manifolds: pick("manifold"),
      mappings: pick("mapping"),
      metrics: pick("metric"),
      bundles: pick("bundle"),
      actions: [],
      requests: [],
      warnings: this.warnings,
    };
  }
}
