"""The Python side of the export suite (bench/export.ts): modules written by `rgnn export` against functorch.

Usage: python3 export_peer.py JOB.json. The job lists, per network, its torch and NumPy modules and a little-endian
float64 file of points (count x n). For each: the CPU time of importing the module in a fresh interpreter (with
`import torch`, as a user pays it; best of rounds), then on the points, one thread, CPU time (time.process_time),
best of rounds:
  metric       the module's metric(x) (torch and NumPy) against torch's vmap(jacrev(f)) and vmap(jacfwd(f)), J^T J;
  christoffel  the module's christoffel(x) against vmap of jacfwd of the metric (nested jacfwd);
  scalar       the module's scalar(x) against vmap of jacfwd of Gamma(x) (jacfwd nested three deep).
The baselines are vmapped over blocks of points (the job's chunk): vmap of nested Jacobians holds all at once.
The baselines are built from the module's own layer table (the same weights). Prints one JSON line with the times and
the largest differences between the module's values and functorch's.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy  # noqa: E402
import torch  # noqa: E402
from functorch import jacfwd, jacrev, vmap  # noqa: E402

torch.set_num_threads(1)

ACT = {
    "linear": lambda z: z,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": torch.nn.functional.softplus,
}


def load(path):
    spec = importlib.util.spec_from_file_location("exported_" + str(abs(hash(path))), path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def best(f, rounds):
    """Best CPU seconds over rounds, and the last result."""
    t, out = float("inf"), None
    for _ in range(rounds):
        t0 = time.process_time()
        out = f()
        t = min(t, time.process_time() - t0)
    return t, out


def import_seconds(path, rounds):
    """CPU seconds of a fresh interpreter importing torch and the module (the interpreter's own start-up excluded)."""
    code = (
        "import time, importlib.util\n"
        "t0 = time.process_time()\n"
        "import torch\n"
        "t1 = time.process_time()\n"
        f"spec = importlib.util.spec_from_file_location('m', {path!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "t2 = time.process_time()\n"
        "print(t2 - t0, t2 - t1)\n"
    )
    runs = [tuple(map(float, subprocess.check_output([sys.executable, "-c", code]).split())) for _ in range(rounds)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def network_of(module):
    """f(x) for one point x (n,) from the module's layer table (dense layers: the benchmarked networks have only those)."""
    reads, layers = module._NET_0
    table = [(ACT[layer[1].__name__[len("_act_"):]], layer[2], layer[3]) for layer in layers]
    assert all(len(layer) == 5 and layer[4][0] == ((), None) for layer in layers), "dense layers only"

    def f(x):
        for act, W, b in table:
            x = act(W @ x + b)
        return x

    return f


def chunked(g, size):
    """g vmapped over blocks of at most size points (vmap of nested Jacobians holds every point's at once)."""
    return lambda X: torch.cat([g(X[k:k + size]) for k in range(0, len(X), size)])


def baselines(f, size):
    def metric_rev(X):
        J = vmap(jacrev(f))(X)
        return J.transpose(1, 2) @ J

    def metric_fwd(X):
        J = vmap(jacfwd(f))(X)
        return J.transpose(1, 2) @ J

    def g_of(x):
        J = jacfwd(f)(x)
        return J.T @ J

    def gamma_of(x):
        g = g_of(x)
        dg = jacfwd(g_of)(x)  # dg[a, b, c] = d_c g_ab
        lower = 0.5 * (dg.permute(0, 2, 1) + dg - dg.permute(2, 0, 1))  # Gamma_dbc
        return torch.einsum("ad,dbc->abc", torch.linalg.inv(g), lower)

    def christoffel(X):
        return vmap(gamma_of)(X)

    def scalar_of(x):
        G = gamma_of(x)
        dG = jacfwd(gamma_of)(x)  # dG[a, b, c, e] = d_e Gamma^a_bc
        # R^a_bcd = d_c Gamma^a_db - d_d Gamma^a_cb + Gamma^a_ce Gamma^e_db - Gamma^a_de Gamma^e_cb (rgnn's convention)
        R = torch.einsum("adbc->abcd", dG) - torch.einsum("acbd->abcd", dG)
        R = R + torch.einsum("ace,edb->abcd", G, G) - torch.einsum("ade,ecb->abcd", G, G)
        ricci = torch.einsum("abad->bd", R)
        return torch.einsum("bd,bd->", torch.linalg.inv(g_of(x)), ricci)

    def scalar(X):
        return vmap(scalar_of)(X)

    return chunked(metric_rev, size), chunked(metric_fwd, size), chunked(christoffel, size), chunked(scalar, size)


def rel(a, b):
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float((a - b).abs().max() / max(1.0, float(b.abs().max())))


def main():
    job = json.load(open(sys.argv[1]))
    rounds = job["rounds"]
    out = {}
    for case in job["cases"]:
        pts = numpy.fromfile(case["points"], dtype="<f8").reshape(-1, case["n"])
        X = torch.tensor(pts)
        mt, mn = load(case["torch"]), load(case["numpy"])
        f = network_of(mt)
        metric_rev, metric_fwd, christoffel, scalar = baselines(f, case["chunk"])
        r = {"points": len(pts)}
        r["importSeconds"], r["moduleImportSeconds"] = import_seconds(case["torch"], rounds)
        r["metric"], g = best(lambda: mt.metric(X), rounds)
        r["metricNumpy"], gn = best(lambda: mn.metric(pts), rounds)
        r["metricJacrev"], g_rev = best(lambda: metric_rev(X), rounds)
        r["metricJacfwd"], _ = best(lambda: metric_fwd(X), rounds)
        r["christoffel"], G = best(lambda: mt.christoffel(X), rounds)
        r["christoffelJacfwd"], G_ref = best(lambda: christoffel(X), rounds)
        r["chunk"] = case["chunk"]
        r["scalar"], S = best(lambda: mt.scalar(X), rounds)
        r["scalarJacfwd"], S_ref = best(lambda: scalar(X), rounds)
        r["differences"] = {
            "metric": rel(g, g_rev),
            "metricNumpy": rel(gn, g_rev),
            "christoffel": rel(G, G_ref),
            "scalar": rel(S, S_ref),
        }
        out[case["name"]] = r
    print(json.dumps(out))


if __name__ == "__main__":
    main()
