"""The Python baselines of the engine suite: the pulled-back metric g = JᵀJ of a network over many points,
(a) in NumPy, forward mode vectorised over all points of a chunk (in two layouts: which is faster depends on the
shapes), and (b) with torch's vmap(jacfwd) on CPU (torch.func, or functorch before torch 2.0). All on one thread.

(c) `numpy_stacked`, the tuned layout a user who knows BLAS writes: value and tangents stacked as one matrix, one
product per layer, σ in place, chunks small enough to stay in cache.

Usage: python3 baselines.py JOB.json. The job (written by bench/baselines.ts) holds the networks' weights and,
per network, a little-endian float64 file of points (count × n, row-major), so both sides use the same numbers.
Prints one JSON line: per network and method, the time and points/s of the whole run and g at the job's check
indices, taken from the timed run's own output.
"""

import json
import os
import sys
import time

# one thread for every library, as the engine's metricsAt runs on one (set before NumPy loads its BLAS)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

ACT = {
    # σ and σ' in NumPy and torch alike (both have tanh, exp, log1p and maximum/abs on arrays)
    "linear": lambda m, z: (z, 0 * z + 1),
    "tanh": lambda m, z: (lambda t: (t, 1 - t * t))(m.tanh(z)),
    "sigmoid": lambda m, z: (lambda s: (s, s * (1 - s)))(1 / (1 + m.exp(-z))),
    "softplus": lambda m, z: (m.maximum(z, 0 * z) + m.log1p(m.exp(-abs(z))), 1 / (1 + m.exp(-z))),
}


def numpy_gemm(layers, pts):
    """g for a chunk of points (B × n), tangents laid out so that each layer's weight product is ONE matrix product
    over the chunk: x is w × B and the tangents T are w × (B·n), so W·[x, T] goes to BLAS whole."""
    B, n = pts.shape
    x = np.ascontiguousarray(pts.T)
    T = np.repeat(np.eye(n)[:, None, :], B, axis=1).reshape(n, B * n)
    for layer in layers:
        W, b = layer["W"], layer["b"]
        s, ds = ACT[layer["activation"]](np, W @ x + b[:, None])
        WT = (W @ T).reshape(-1, B, n) * ds[:, :, None]
        if layer["kind"] == "dense":
            x, T = s, WT.reshape(-1, B * n)
        else:
            x, T = x + layer["h"] * s, T + layer["h"] * WT.reshape(-1, B * n)
    T = T.reshape(-1, B, n)
    return np.einsum("ibn,ibm->bnm", T, T, optimize=True)


def numpy_batched(layers, pts):
    """The same in the per-point layout: x is B × w and J is B × w × n, J ← diag(σ') W J as a batched matmul."""
    B, n = pts.shape
    x, J = pts, np.broadcast_to(np.eye(n), (B, n, n))
    for layer in layers:
        W, b = layer["W"], layer["b"]
        s, ds = ACT[layer["activation"]](np, x @ W.T + b)
        WJ = np.matmul(W, J) * ds[:, :, None]
        if layer["kind"] == "dense":
            x, J = s, WJ
        else:
            x, J = x + layer["h"] * s, J + layer["h"] * WJ
    return np.matmul(J.transpose(0, 2, 1), J)


# σ(z) written over z in place, returning σ'(z) (one temporary): what a tuned script does to save passes over memory
ACT_INPLACE = {
    "linear": lambda z: np.ones_like(z),
    "tanh": lambda z: (lambda t: np.subtract(1, np.multiply(t, t), out=np.empty_like(t)))(np.tanh(z, out=z)),
    "sigmoid": lambda z: (lambda s: s * (1 - s))(np.reciprocal(np.add(np.exp(np.negative(z, out=z), out=z), 1, out=z), out=z)),
}


def numpy_stacked(layers, pts):
    """The tuned layout: the chunk's values and its n tangent columns stacked as ONE (n+1)·B × w matrix S (rows 0..B
    the values, rows B(1+a)..B(2+a) the tangent ∂_a), so a layer is one BLAS product S Wᵀ whatever n is; the bias,
    σ and the σ' scaling of the tangents run in place on that product."""
    B, n = pts.shape
    S = np.zeros(((n + 1) * B, n))
    S[:B] = pts
    for a in range(n):
        S[(1 + a) * B : (2 + a) * B, a] = 1
    for layer in layers:
        W, b = layer["W"], layer["b"]
        Z = S @ W.T
        value = Z[:B]
        value += b
        if layer["activation"] in ACT_INPLACE:
            ds = ACT_INPLACE[layer["activation"]](value)
        else:
            s, ds = ACT[layer["activation"]](np, value)
            value[...] = s
        tangents = Z[B:].reshape(n, B, -1)
        tangents *= ds
        if layer["kind"] == "dense":
            S = Z
        else:
            Z *= layer["h"]
            S += Z
    T = S[B:].reshape(n, B, -1).transpose(1, 0, 2)
    return np.matmul(T, T.transpose(0, 2, 1))


def torch_setup(layers):
    """vmap(jacfwd(f)) of the network f at one point, and g = JᵀJ; None when torch has no vmap/jacfwd."""
    try:
        import torch
    except ImportError:
        return None
    try:
        from torch.func import jacfwd, vmap
    except ImportError:
        try:
            from functorch import jacfwd, vmap  # torch < 2.0
        except ImportError:
            return None
    torch.set_num_threads(1)
    Ws = [(torch.from_numpy(l["W"]), torch.from_numpy(l["b"]), l) for l in layers]

    def f(x):
        for W, b, layer in Ws:
            s = ACT[layer["activation"]](torch, W @ x + b)[0]
            x = s if layer["kind"] == "dense" else x + layer["h"] * s
        return x

    jac = vmap(jacfwd(f))

    def metrics(pts):
        J = jac(torch.from_numpy(pts))
        return (J.transpose(1, 2) @ J).numpy()

    return metrics, f"torch {torch.__version__} ({'torch.func' if 'torch.func' in sys.modules else 'functorch'})"


def run(metrics, pts, chunk, check):
    """Time `metrics` over all points in chunks (after one warm-up chunk): points per second of wall and of CPU time
    (the process's, all threads: on a shared machine the fairer one) and g at the check indices."""
    metrics(pts[: min(chunk, 2000)])
    out = np.empty((pts.shape[0], pts.shape[1], pts.shape[1]))
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(0, pts.shape[0], chunk):
        out[k : k + chunk] = metrics(pts[k : k + chunk])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "ms": seconds * 1000,
        "ptsPerS": pts.shape[0] / seconds,
        "cpuMs": cpu * 1000,
        "ptsPerCpuS": pts.shape[0] / cpu,
        "check": [out[i].ravel().tolist() for i in check],
    }


def blas_name():
    """The BLAS NumPy was built against (OpenBLAS, reference BLAS, …): it decides the matrix products' speed."""
    try:
        return np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]  # NumPy ≥ 1.26
    except TypeError:
        info = getattr(np.__config__, "blas_opt_info", {}) or getattr(np.__config__, "blas_info", {})
        return ",".join(sorted(set(info.get("libraries", ["unknown"]))))


def main():
    job = json.load(open(sys.argv[1]))
    result = {"numpy": np.__version__, "blas": blas_name(), "torch": None, "threads": 1, "networks": []}
    for net in job["networks"]:
        layers = [
            {**l, "W": np.array(l["W"], dtype=np.float64).reshape(l["outWidth"], l["inWidth"]), "b": np.array(l["b"])}
            for l in net["layers"]
        ]
        pts = np.fromfile(net["points"], dtype="<f8").reshape(-1, net["n"])
        row = {"name": net["name"]}
        methods = job.get("methods", ("numpyGemm", "numpyBatched", "numpyStacked"))
        for name, method in (("numpyGemm", numpy_gemm), ("numpyBatched", numpy_batched)):
            if name in methods:
                row[name] = run(lambda p, m=method: m(layers, p), pts, job["chunk"], job["check"])
        if "numpyStacked" in methods:
            # the tuned layout at each chunk size asked for; the fastest counts (smaller chunks stay in cache)
            runs = [
                {**run(lambda p: numpy_stacked(layers, p), pts, chunk, job["check"]), "chunk": chunk}
                for chunk in job.get("stackedChunks", (2048,))
            ]
            row["numpyStacked"] = max(runs, key=lambda r: r["ptsPerCpuS"])
            row["numpyStackedByChunk"] = {str(r["chunk"]): r["ptsPerCpuS"] for r in runs}
        torch_metrics = torch_setup(layers) if job.get("torch", True) else None
        if torch_metrics:
            row["torch"] = run(torch_metrics[0], pts, job["chunk"], job["check"])
            result["torch"] = torch_metrics[1]
        result["networks"].append(row)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
