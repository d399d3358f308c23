// The layer map, Jacobians and reverse mode shared by every kind of the form
// x_l = Σ_k c_k x_{l−1−k} + s(h) σ(W x_{l−1} + b): each such kind gives only its recurrence.
import type { Algebra } from "../algebra.js";
import type { Gradients, LayerInput, LayerKindDef, LayerOutput, NumericCache, NumericInput, Recurrence } from "./types.js";

/** s(h) = factor·h^power in an algebra (null: the kind has no step). Written as the DAG had it: h, h², ½·h². */
export function scaleOf<T>(A: Algebra<T>, r: Recurrence, h: T | undefined): T | null {
  if (!r.scale) return null;
  const { factor, power } = r.scale;
  const hp = power === 1 ? h! : A.pow(h!, power);
  return factor === 1 ? hp : A.mul(A.num(factor), hp);
}

/** s(h) as a number; h·h rather than h**2 (the numeric paths have always multiplied). */
export function scaleValue(r: Recurrence, h: number): number | null {
  if (!r.scale) return null;
  let hp = h;
  for (let k = 1; k < r.scale.power; k++) hp *= h;
  return r.scale.factor * hp;
}

type AffineSpec = Omit<LayerKindDef, "forward" | "jacobians" | "evaluate" | "vjp" | "recurrence"> & {
  recurrence: (available: number) => Recurrence;
};

export function affineKind(spec: AffineSpec): LayerKindDef {
  const { recurrence } = spec;
  return {
    ...spec,
    forward<T>(A: Algebra<T>, input: LayerInput<T>): LayerOutput<T> {
      const { xs, W, b, act } = input,
        x = xs[0];
      const z = W!.map((row, i) => A.add(b![i], ...row.map((w, j) => A.mul(w, x[j]))));
      const acts = z.map((zi) => act!(zi));
      const sigma = acts.map((a) => a[0]),
        slope = acts.map((a) => a[1]);
      const r = recurrence(xs.length),
        s = scaleOf(A, r, input.h); // h read only now: see symbolic/network.ts
      const out = sigma.map((si, i) => {
        // a zero coefficient reads nothing: a skip block's inner states may have other widths
        const terms = r.coeffs.flatMap((c, k) => (c === 0 ? [] : [c === 1 ? xs[k][i] : A.mul(A.num(c), xs[k][i])]));
        const last = s === null ? si : A.mul(s, si);
        return terms.length ? A.add(...terms, last) : last;
      });
      return { z, slope, x: out };
    },
    jacobians<T>(A: Algebra<T>, { xs, W, h }: LayerInput<T>, { slope }: LayerOutput<T>): T[][][] {
      const r = recurrence(xs.length),
        s = scaleOf(A, r, h);
      const scaledW = W!.map((row, i) => row.map((w) => A.mul(slope![i], w)));
      const J =
        r.coeffs.length === 0 && s === null
          ? scaledW
          : scaledW.map((row, i) => row.map((sw, j) => A.add(A.num(i === j ? (r.coeffs[0] ?? 0) : 0), s === null ? sw : A.mul(s, sw))));
      // ∂x_l/∂x_{l−1−k} = c_k I (out × width of that state; all zeros where c_k = 0, whatever its width)
      const earlier = r.coeffs.slice(1).map((c, k) => J.map((_, i) => xs[k + 1].map((_, j) => A.num(i === j ? c : 0))));
      return [J, ...earlier];
    },
    evaluate({ xs, W, b, h, inWidth: m, outWidth: n, act }: NumericInput): NumericCache {
      const x = xs[0],
        sigma = new Array<number>(n),
        slope = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let s = b![i];
        for (let j = 0; j < m; j++) s += W![i * m + j] * x[j];
        [sigma[i], slope[i]] = act!(s);
      }
      const r = recurrence(xs.length),
        s = scaleValue(r, h);
      if (r.coeffs.length === 0 && s === null) return { x: sigma, slope };
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let v = r.coeffs.length ? r.coeffs[0] * xs[0][i] : 0;
        for (let k = 1; k < r.coeffs.length; k++) if (r.coeffs[k] !== 0) v += r.coeffs[k] * xs[k][i];
        out[i] = s === null ? v + sigma[i] : v + s * sigma[i];
      }
      return { x: out, slope };
    },
    vjp({ xs, W, h, inWidth: m, outWidth: n }: NumericInput, { slope }: NumericCache, g: number[], { gx, gW, gb }: Gradients): void {
      const r = recurrence(xs.length),
        s = scaleValue(r, h) ?? 1,
        x = xs[0];
      const dz = slope!.map((sl, i) => s * sl * g[i]);
      if (gb) for (let i = 0; i < n; i++) gb[i] += dz[i];
      const g0 = gx[0];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          if (gW) gW[i * m + j] += dz[i] * x[j];
          g0[j] += W![i * m + j] * dz[i];
        }
      }
      r.coeffs.forEach((c, k) => {
        if (c === 0) return;
        const gk = gx[k];
        for (let i = 0; i < n; i++) gk[i] += c === 1 ? g[i] : c * g[i];
      });
    },
  };
}
