// Networks as matrix-level Python: the weights as arrays (embedded as base64, so the module stays one self-contained
// file that is written atomically and imports without a path to a sidecar), the layers as batched matrix products
// over points, and the metric's geometry from second-order jets of the same recursion. The module's size is the
// weights plus a few kilobytes, whatever the width: nothing is unrolled into scalars.
//
// The jets: each state carries its value, its n first derivatives ∂_a x_l (the paper's recursion
// J_l = diag(σ′(z_l)) W_l applied to the n input directions) and its n(n+1)/2 second derivatives ∂_a∂_b x_l, for all
// points at once as one (B·K) × width block, so a layer is one matrix product. For the pullback of the Euclidean
// metric along f, with D_a = ∂_a f and H_ab = ∂_a∂_b f:
//   g_ab = D_a·D_b,  Γ^c_ab = g^cd D_d·H_ab  (the H terms of ½(∂g + ∂g − ∂g) pair off),
//   R = |g^ab N_ab|² − g^ac g^bd N_ab·N_cd  with N_ab = H_ab − Γ^c_ab D_c  (Gauss's equation: the curvature of a
//   submanifold of flat space is its second fundamental form's), so the scalar curvature needs no third derivatives.
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { scaleValue } from "../core/layers/affine.js";
import { LAYER_KINDS, type LayerKind } from "../core/layers/index.js";
import { writtenParams } from "../semantics/networks.js";
import type { Activation, Network } from "../semantics/model.js";
import { diff } from "../symbolic/diff.js";
import { type Expr, type Fn, fn, freeSymbols, sym } from "../symbolic/expr.js";
import { fromMath } from "../symbolic/mathjs.js";
import { paramValues } from "./forward.js";
import { PythonExportError, type PythonTarget, pythonBody, pyString, unvaluedSymbols } from "./python-body.js";
import { layerLabel } from "../semantics/labels.js";

/** A layer kind's Python step for kinds without a recurrence: its jets to second order (Python source), called as
 *  f(X, n, order) for kinds without parameters, f(X, n, order, W, b, eps) for kinds with them (layer_norm). */
const OWN_STEPS: Partial<Record<LayerKind, string>> = {
  // p = e/Σe; ∂_a p = p ⊙ u_a with u_a = ∂_a x − ⟨p, ∂_a x⟩; ∂_a∂_b p = ∂_b p ⊙ u_a + p ⊙ (∂_ab x − ⟨∂_b p, ∂_a x⟩ − ⟨p, ∂_ab x⟩)
  softmax: `def _softmax_jets(X, n, order):
    e = LIB.exp(X[:, 0] - _amax(X[:, 0]))
    p = e / _sum(e)
    parts = [p[:, None]]
    if order >= 1:
        Xd = X[:, 1:1 + n]
        U = Xd - _sum(Xd * p[:, None])
        dP = p[:, None] * U
        parts.append(dP)
    if order >= 2:
        pa, pb = _pairs(n)
        X2 = X[:, 1 + n:]
        cross = dP[:, pb] * Xd[:, pa]
        parts.append(dP[:, pb] * U[:, pa] + p[:, None] * (X2 - _sum(cross) - _sum(X2 * p[:, None])))
    return _cat(parts)`,
  // y = x − log Σe; ∂_a y = ∂_a x − ⟨p, ∂_a x⟩; ∂_a∂_b y = ∂_ab x − ⟨p, ∂_ab x⟩ − ⟨∂_b p, ∂_a x⟩, ∂_b p = p ⊙ (∂_b x − ⟨p, ∂_b x⟩)
  log_softmax: `def _log_softmax_jets(X, n, order):
    m = _amax(X[:, 0])
    e = LIB.exp(X[:, 0] - m)
    s = _sum(e)
    p = e / s
    parts = [(X[:, 0] - m - LIB.log(s))[:, None]]
    if order >= 1:
        Xd = X[:, 1:1 + n]
        U = Xd - _sum(Xd * p[:, None])
        parts.append(U)
    if order >= 2:
        pa, pb = _pairs(n)
        X2 = X[:, 1 + n:]
        dP = p[:, None] * U
        parts.append(X2 - _sum(X2 * p[:, None]) - _sum(dP[:, pb] * Xd[:, pa]))
    return _cat(parts)`,
  // c = x − mean x on every component, v = mean c², r = (v + eps)^(-1/2); y = W (c r) + b, by Leibniz's rule:
  // r_a = -r^3 mean(c c_a), r_ab = -r^3 mean(c_a c_b + c c_ab) + 3 r^5 mean(c c_a) mean(c c_b)
  layer_norm: `def _layer_norm_jets(X, n, order, W, b, eps):
    C = X - X.mean(-1, KEEPDIMS=True)
    c = C[:, 0]
    r = 1 / LIB.sqrt((c * c).mean(-1, KEEPDIMS=True) + eps)
    parts = [(W * (c * r) + b)[:, None]]
    if order >= 1:
        Cd = C[:, 1:1 + n]
        va = (c[:, None] * Cd).mean(-1, KEEPDIMS=True)
        ra = -(r ** 3)[:, None] * va
        parts.append(W * (Cd * r[:, None] + c[:, None] * ra))
    if order >= 2:
        pa, pb = _pairs(n)
        C2 = C[:, 1 + n:]
        vab = (Cd[:, pa] * Cd[:, pb] + c[:, None] * C2).mean(-1, KEEPDIMS=True)
        rab = -(r ** 3)[:, None] * vab + 3 * (r ** 5)[:, None] * va[:, pa] * va[:, pb]
        parts.append(W * (C2 * r[:, None] + Cd[:, pa] * ra[:, pb] + Cd[:, pb] * ra[:, pa] + c[:, None] * rab))
    return _cat(parts)`,
};

/** σ, σ′, σ″ of an activation as a Python function of z and the order wanted, differentiated on the DAG (as the
 *  symbolic route does), so every registry function has its spelling without one written by hand. */
function activationFunction(a: Activation, target: PythonTarget, used: Set<Fn>): string {
  const f = fn(a as Fn, sym("z"));
  const [d1] = diff([f], "z");
  const [d2] = diff([d1], "z");
  const inputs = new Map([["z", "z"]]);
  const body = (outs: Expr[]) => pythonBody(outs, inputs, new Map(), target, "z").map((l) => `        ${l}`);
  for (const e of [f, d1, d2]) for (const g of functionsIn(e)) used.add(g);
  return [
    `def _act_${a}(z, order):`,
    `    """${pyString((REGISTRY[a] as FunctionDef).text)} and its first two derivatives at z."""`,
    "    if order == 0:",
    ...body([f]),
    "    if order == 1:",
    ...body([f, d1]),
    "    if True:",
    ...body([f, d1, d2]),
  ].join("\n");
}

function functionsIn(e: Expr): Fn[] {
  const out: Fn[] = [];
  const walk = (x: Expr) => {
    if (x.op === "fn") out.push(x.name as Fn);
    x.args.forEach(walk);
  };
  walk(e);
  return out;
}

/** Little-endian float32 when every weight is one (ONNX and safetensors imports are), else float64: exact either way. */
function encode(values: number[]): { text: string; dtype: "f4" | "f8" } {
  const single = values.every((v) => Math.fround(v) === v || Number.isNaN(v));
  const size = single ? 4 : 8;
  const buf = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    if (single) buf.writeFloatLE(values[i], i * size);
    else buf.writeDoubleLE(values[i], i * size);
  }
  const b64 = buf.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 96) lines.push(b64.slice(i, i + 96));
  return { text: lines.join("\n"), dtype: single ? "f4" : "f8" };
}

const pyNumber = (v: number) => (Number.isFinite(v) ? String(v) : `float("${v}")`);

export interface MatrixNetwork {
  /** The Python name of its layer table. */
  table: string;
  /** The table's definition (weights and layers). */
  source: string;
}

/**
 * A network's layer table: its weights decoded once, and per layer its kind, activation, W, b and its steps
 * ((coefficients, s) for 1 … reads earlier states available, as core/layers' recurrence gives them). Symbolic
 * weights take their values from env now; a kind with neither a recurrence nor a Python step is refused by name.
 */
export function matrixNetwork(
  net: Network,
  env: ReadonlyMap<string, number>,
  tag: string,
  activations: Set<Activation>,
  shapedKinds: Set<LayerKind> = new Set(),
): MatrixNetwork {
  const missing = new Set<string>();
  for (const l of net.layers)
    for (const p of writtenParams(l))
      if (!p.values) for (const s of freeSymbols(p.entries.map(fromMath))) if (!env.has(s) && s !== "pi") missing.add(s);
  if (missing.size) throw unvaluedSymbols([...missing], `the weights of '${net.name}': `);
  const blob: number[] = [];
  const offsets: string[] = [];
  const rows: string[] = [];
  for (const l of net.layers) {
    const kind = LAYER_KINDS[l.kind];
    const label = `layer ${l.index}: ${layerLabel(l)}, ${l.inWidth} -> ${l.outWidth}`;
    const slice = (values: ArrayLike<number>, shape: number[]) => {
      const start = blob.length;
      for (let i = 0; i < values.length; i++) blob.push(values[i]);
      offsets.push(`${start}:${blob.length}`);
      return `_P[${start}:${blob.length}].reshape(${shape.join(", ")})`;
    };
    if (!kind.recurrence && l.shaped && kind.shaped) {
      // a shaped kind that is no affine map (max pooling): (kind, (input shape, options)); its Python spelling picks
      // each window's entry from the value, and every jet component is read there
      shapedKinds.add(l.kind);
      const g = l.shaped.geometry;
      rows.push(`    ("${l.kind}", ((${g.input.join(", ")}), (${kind.shaped.python.options(g)},))),  # ${label}`);
      continue;
    }
    if (!kind.recurrence) {
      if (!OWN_STEPS[l.kind])
        throw new PythonExportError(`layer ${l.index} of '${net.name}' is of kind '${l.kind}', which the Python export cannot write`);
      if (kind.params.length === 0) rows.push(`    ("${l.kind}",),  # ${label}`);
      else {
        // a kind's own step with parameters: (kind, None, W, b, eps), W and b cast as the affine rows' are
        const W = slice(paramValues(l.W!, env), [l.outWidth]),
          b = slice(paramValues(l.b!, env), [l.outWidth]);
        rows.push(`    ("${l.kind}", None, ${W}, ${b}, ${pyNumber(l.eps ? paramValues(l.eps, env)[0] : 0)}),  # ${label}`);
      }
      continue;
    }
    // a shaped layer's operator as (kind, kernel, input shape, options): torch's conv2d and friends, not a dense W
    // (a skip block's last layer may be a convolution: its operator is its shaped kind's, its steps skip_k's)
    const shaped = l.shaped && LAYER_KINDS[l.shaped.kind].shaped;
    const g = l.shaped?.geometry;
    if (shaped) shapedKinds.add(l.shaped!.kind);
    const W = shaped
      ? `("${l.shaped!.kind}", ${l.shaped!.K ? slice(paramValues(l.shaped!.K, env), g!.kernel!) : "None"}, (${g!.input.join(", ")}), ` +
        `(${shaped.python.options(g!)},))`
      : slice(paramValues(l.W!, env), [l.outWidth, l.inWidth]);
    const b = slice(paramValues(l.b!, env), [l.outWidth]);
    const h = l.h ? paramValues(l.h, env)[0] : 0;
    const steps = Array.from({ length: kind.reads }, (_, k) => {
      const r = kind.recurrence!(k + 1),
        s = scaleValue(r, h);
      return `((${r.coeffs.map(pyNumber).join(", ")}${r.coeffs.length === 1 ? "," : ""}), ${s === null ? "None" : pyNumber(s)})`;
    });
    activations.add(l.activation);
    rows.push(`    ("affine", _act_${l.activation}, ${W}, ${b}, (${steps.join(", ")},)),  # ${label}`);
  }
  const { text, dtype } = encode(blob);
  const reads = Math.max(1, ...net.layers.map((l) => LAYER_KINDS[l.kind].reads));
  const table = `_NET_${tag}`;
  return {
    table,
    source: [
      `# ${pyString(net.name)}: ${blob.length} parameters (W row-major, or a shaped layer's kernel, then b, per layer), ` +
        `little-endian ${dtype === "f4" ? "float32" : "float64"}`,
      `_P = _floats("""\n${text}\n""", "${dtype}", ${blob.length})`,
      `# (states a layer may read, layers): ("affine", activation, W, b, steps) with steps[k] = (c, s) when k + 1 earlier`,
      "# states exist: x_l = sum_k c[k] x_{l-1-k} + s * act(W x_{l-1} + b) (s None: act alone); or (kind,) for a kind's own step;",
      "# W is (kind, kernel, (C, H, W), options) for a convolution, transposed convolution, upsampling or pooling",
      `${table} = (${reads}, [`,
      ...rows,
      "])",
      "del _P",
    ].join("\n"),
  };
}

/** The activation functions and layer steps a module's tables use. */
export function matrixRuntime(
  target: PythonTarget,
  activations: Set<Activation>,
  used: Set<Fn>,
  shapedKinds: Set<LayerKind> = new Set(),
): string[] {
  const torch = target === "torch";
  const lib = torch ? "torch" : "numpy";
  const k = torch ? "keepdim" : "keepdims";
  const common = `def _floats(text, dtype, count):
    """Decode base64 little-endian floats to a float64 ${torch ? "tensor" : "array"}."""
    raw = base64.b64decode(text)
${
  torch
    ? `    values = array.array("f" if dtype == "f4" else "d", raw)
    if sys.byteorder != "little":
        values.byteswap()
    return torch.frombuffer(values, dtype=torch.float32 if dtype == "f4" else torch.float64).to(torch.float64)`
    : `    return numpy.frombuffer(raw, dtype="<" + dtype).astype(numpy.float64)`
}


def _sum(a):
    return a.sum(-1, ${k}=True)


def _amax(a):
    return ${lib}.amax(a, -1, ${k}=True)


def _cat(parts):
    return ${torch ? "torch.cat(parts, 1)" : "numpy.concatenate(parts, 1)"}


def _blocks(f, flat, rows):
    """f on blocks of at most rows points (bounding the jets' memory whatever the batch), joined."""
    if flat.shape[0] <= rows:
        return f(flat)
    return ${torch ? "torch.cat" : "numpy.concatenate"}([f(flat[k:k + rows]) for k in range(0, flat.shape[0], rows)], 0)


def _gather(X, pick):
    """X[b, k, c, pick[b, c, i]] for every jet component k: (B, K, C, N) and (B, C, M) to (B, K, C M)."""
    B, K, C = X.shape[:3]
    return ${
      torch
        ? "torch.gather(X, 3, pick[:, None].expand(B, K, C, pick.shape[2]))"
        : "numpy.take_along_axis(X, numpy.broadcast_to(pick[:, None], (B, K, C, pick.shape[2])), 3)"
    }.reshape(B, K, -1)


def _pairs(n):
    """The second derivatives' pairs (a, b), a <= b, in order: their a's and b's."""
    pa = [a for a in range(n) for b in range(a, n)]
    pb = [b for a in range(n) for b in range(a, n)]
    return pa, pb


def _pair_index(n):
    """Position of the pair (a, b) among the second derivatives, for every a and b (row-major n x n)."""
    index, k = {}, 0
    for a in range(n):
        for b in range(a, n):
            index[a, b] = index[b, a] = k
            k += 1
    return [index[a, b] for a in range(n) for b in range(n)]


${
  torch
    ? `_CAST = {}


def _table(table, x):
    """The layer table's weights in x's dtype and on x's device (converted once per dtype and device)."""
    key = (id(table), x.dtype, x.device)
    if key not in _CAST:
        reads, layers = table
        _CAST[key] = (reads, [layer if len(layer) <= 2 else layer[:2] + (_to(layer[2], x), layer[3].to(x)) + layer[4:]
                              for layer in layers])
    return _CAST[key]


def _to(W, x):
    """W, or a shaped layer's kernel, in x's dtype and on x's device."""
    if not isinstance(W, tuple):
        return W.to(x)
    return W[:1] + ((W[1].to(x) if W[1] is not None else None),) + W[2:]`
    : `def _table(table, x):
    return table`
}


def _tangents(Y, n):
    """The first derivatives D[:, a] = d_a x_L of jets Y: (B, n, width)."""
    return Y[:, 1:1 + n]


def _gram(D):
    """g_ab = D_a . D_b: the pullback of the Euclidean metric."""
    return D @ ${lib}.swapaxes(D, 1, 2)


def _jets(table, x, order):
    """x_L for a batch x (B, n) with its derivatives by the input coordinates: (B, K, width), K = 1 (the value), then
    d_a x_L (order >= 1), then d_a d_b x_L for a <= b (order 2). Each layer is one (B K) x width matrix product."""
    reads, layers = _table(table, x)
    B, n = x.shape
    K = 1 + (n if order >= 1 else 0) + (n * (n + 1) // 2 if order >= 2 else 0)
    X = ${torch ? "torch.zeros((B, K, n), dtype=x.dtype, device=x.device)" : "numpy.zeros((B, K, n))"}
    X[:, 0] = x
    if order >= 1:
        X[:, 1:1 + n] = ${torch ? "torch.eye(n, dtype=x.dtype, device=x.device)" : "numpy.eye(n)"}
    pa, pb = _pairs(n)
    ia, ib = [1 + a for a in pa], [1 + b for b in pb]
    states = [X]
    for layer in layers:
        prev = states[0]
        if len(layer) == 1:
            Y = _STEPS[layer[0]](prev, n, order)
        elif len(layer) == 2:
            # max pooling: the entry each window picks by the value, then every jet component read there
            shape, options = layer[1]
            pick = _SHAPED[layer[0]](prev[:, 0].reshape((B,) + tuple(shape)), None, *options)
            Y = _gather(prev.reshape(B, K, shape[0], -1), pick)
        elif layer[1] is None:
            Y = _STEPS[layer[0]](prev, n, order, *layer[2:])
        else:
            _, act, W, b, steps = layer
            if isinstance(W, tuple):
                # a shaped layer's operator on every jet component at once, as (B K) images
                kind, kernel, shape, options = W
                Y = _SHAPED[kind](prev.reshape((B * K,) + tuple(shape)), kernel, *options).reshape(B, K, -1)
            else:
                Y = (prev.reshape(B * K, prev.shape[2]) @ W.T).reshape(B, K, W.shape[0])
            f = act(Y[:, 0] + b, order)
            if ${torch ? "Y.requires_grad" : "False"}:
                # differentiated through (autograd): out of place
                parts = [f[0][:, None]]
                if order >= 1:
                    parts.append(f[1][:, None] * Y[:, 1:1 + n])
                if order >= 2:
                    parts.append(f[1][:, None] * Y[:, 1 + n:] + f[2][:, None] * Y[:, ia] * Y[:, ib])
                Y = _cat(parts)
            else:
                # the chain rule in place on the fresh product: second derivatives first (they read the first ones)
                if order >= 2:
                    Y[:, 1 + n:] *= f[1][:, None]
                    Y[:, 1 + n:] += f[2][:, None] * Y[:, ia] * Y[:, ib]
                if order >= 1:
                    Y[:, 1:1 + n] *= f[1][:, None]
                Y[:, 0] = f[0]
            coeffs, s = steps[min(len(states), len(steps)) - 1]
            if s is not None:
                Y = s * Y
            # the earlier states' combination first, in order, then the activation's term (as rgnn's engine sums); a zero
            # coefficient reads nothing (a skip block's inner states, of other widths)
            acc = None
            for c, S in zip(coeffs, states):
                if c != 0:
                    term = S if c == 1 else c * S
                    acc = term if acc is None else acc + term
            if acc is not None:
                Y = acc + Y
        states = [Y] + states[:reads - 1]
    return states[0]`;
  const own = Object.entries(OWN_STEPS).map(([, src]) => src!.replaceAll("LIB.", `${lib}.`).replaceAll("KEEPDIMS", k));
  const acts = [...activations].sort().map((a) => activationFunction(a, target, used));
  const table = `_STEPS = {${Object.keys(OWN_STEPS)
    .map((kind) => `"${kind}": _${kind}_jets`)
    .join(", ")}}`;
  const kinds = [...shapedKinds].sort();
  const shaped = kinds.map((k) => LAYER_KINDS[k].shaped!.python[target]);
  const shapedTable = `_SHAPED = {${kinds.map((k) => `"${k}": _${k}`).join(", ")}}`;
  return [common, ...own, table, ...shaped, shapedTable, ...acts];
}

/** The pullback geometry from the jets (module text): g, det g with its checks, and the second-order pieces. */
export function matrixGeometryRuntime(target: PythonTarget): string {
  const torch = target === "torch";
  const lib = torch ? "torch" : "numpy";
  return `def _second(table, x, what, name):
    """g, g^-1, D, the pairs' H and Gamma^c_ab (packed over pairs a <= b) at a batch of points."""
    n = x.shape[1]
    Y = _jets(table, x, 2)
    D, H = Y[:, 1:1 + n], Y[:, 1 + n:]
    g = _gram(D)
    _nondegenerate(what, name, x, ${lib}.linalg.det(g))
    gi = ${lib}.linalg.inv(g)
    gamma = gi @ (D @ ${lib}.swapaxes(H, 1, 2))
    return g, gi, D, H, gamma


def _christoffel_of(table, x, name):
    n = x.shape[1]
    _, _, _, _, gamma = _second(table, x, "Christoffel symbols", name)
    return gamma[:, :, _pair_index(n)].reshape(x.shape[0], n, n, n)


def _scalar_of(table, x, name):
    n = x.shape[1]
    _, gi, D, H, gamma = _second(table, x, "scalar curvature", name)
    N = H - ${lib}.swapaxes(gamma, 1, 2) @ D
    Nf = N[:, _pair_index(n)].reshape(x.shape[0], n, n, N.shape[2])
    T = ${lib}.einsum("zac,zcbi->zabi", gi, Nf)
    trace = ${lib}.einsum("zaai->zi", T)
    return (trace * trace).sum(-1) - ${lib}.einsum("zabi,zbai->z", T, T)`;
}
