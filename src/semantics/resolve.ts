// Name resolution shared by the semantic passes: look a name up as one of the kinds a
// position allows, with a precise message when it is something else or nothing.
import type { Name, SpaceRef, Span } from "../syntax/ast.js";
import type { Context, Entity } from "./context.js";
import { type EmbeddingMap, type Manifold, type Mapping, MAX_DIMENSION } from "./model.js";
import { suggestion } from "./names.js";

const ARTICLE: Record<Entity["kind"], string> = {
  constant: "a constant",
  manifold: "a manifold",
  mapping: "a map or network",
  metric: "a metric",
  bundle: "a bundle",
};

/**
 * Report a name that is declared later; one declared before but invalid is not reported again (its declaration has
 * the one error of that mistake: a dependant repeating it would only add noise). False when it is not declared.
 */
export function declaredElsewhere(ctx: Context, name: string, span: Span): boolean {
  const at = ctx.declaredAt.get(name);
  if (!at) return false;
  if (at.offset > span.offset) ctx.error(span, `'${name}' is used before it is declared (line ${at.line})`);
  return true;
}

export function lookup<K extends Entity["kind"]>(
  ctx: Context,
  n: Name,
  kinds: K[],
  role: string,
): Extract<Entity, { kind: K }>["value"] | null {
  const ent = ctx.names.get(n.name);
  // biome-ignore lint/suspicious/noExplicitAny: the kinds test fixes the value type, which TS cannot correlate
  if (ent && (kinds as string[]).includes(ent.kind)) return ent.value as any;
  if (ent) {
    ctx.error(n.span, `'${n.name}' is ${ARTICLE[ent.kind]}, but ${role} must be ${kinds.map((k) => ARTICLE[k]).join(" or ")}`);
  } else if (!declaredElsewhere(ctx, n.name, n.span)) {
    // names of the kinds asked for, and names whose declarations failed (their kind is unknown, and likely right)
    const invalid = [...ctx.declaredAt.keys()].filter((k) => !ctx.names.has(k));
    const candidates = [...[...ctx.names].filter(([, e]) => (kinds as string[]).includes(e.kind)).map(([k]) => k), ...invalid];
    ctx.error(
      n.span,
      `unknown ${kinds.map((k) => ARTICLE[k].replace(/^an? /, "")).join(" or ")} '${n.name}'`,
      suggestion(n.name, candidates),
    );
  }
  return null;
}

export function space(ctx: Context, ref: SpaceRef): Manifold | null {
  if (ref.kind === "euclidean") {
    const base = ref.base;
    if (base !== "R") {
      ctx.error(ref.span, `'${base}^${ref.dim.value}' is not a space: write R^n for Euclidean space or the name of a manifold`);
      return null;
    }
    if (ref.dim.value < 1 || !Number.isInteger(ref.dim.value) || ref.dim.value > MAX_DIMENSION) {
      ctx.error(ref.dim.span, `a dimension must be a whole number from 1 to ${MAX_DIMENSION}`);
      return null;
    }
    return ctx.euclideanSpace(ref.dim.value, ref.span);
  }
  return lookup(ctx, { name: ref.name, span: ref.span }, ["manifold"], "a space");
}

export function asMapping(ctx: Context, v: Mapping | Manifold, n: Name): Mapping | null {
  if ("kind" in v) return v;
  if (!v.embedding) {
    ctx.error(n.span, `manifold '${v.name}' is not embedded anywhere, so it is not a map`);
    return null;
  }
  return embeddingMap(v, v.embedding);
}

/** An embedded manifold as the map it is: its parametrisation into the ambient space. */
export function embeddingMap(v: Manifold, embedding: NonNullable<Manifold["embedding"]>): EmbeddingMap {
  return { kind: "embedding", name: v.name, source: v, target: embedding.target, components: embedding.components, span: v.span };
}
