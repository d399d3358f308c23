"""The NumPy peer of bench/outputs.ts: what `rgnn eval --points` does, as a NumPy user would write it end to end.

Usage: python3 outputs.py WEIGHTS.safetensors POINTS.csv OUT (csv|npy). Reads the network's weights (a dense tanh
stack, then a linear read-out) from safetensors, the points with np.loadtxt, computes each point's output, Jacobian
(forward mode, batched over chunks of 2,048 points), g = JᵀJ and its rank (eigenvalues, the same cut as rgnn), and
writes the same table as rgnn's csv with np.savetxt (its default format) or as .npy with np.save. One thread.
"""

import json
import os
import struct
import sys

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = memoryview(raw)[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype="<f8").reshape(t["shape"])
    return out


def table(weights, pts, chunk=2048):
    layers = sorted({int(k[1:]) for k in weights if k.startswith("W")})
    B, n = pts.shape
    parts = []
    for s in range(0, B, chunk):
        x = pts[s : s + chunk]
        J = np.broadcast_to(np.eye(n), (len(x), n, n))
        for i, l in enumerate(layers):
            W, b = weights[f"W{l}"], weights[f"b{l}"]
            z = x @ W.T + b
            WJ = np.matmul(W, J)
            if i == len(layers) - 1:
                x, J = z, WJ
            else:
                t = np.tanh(z)
                x, J = t, WJ * (1 - t * t)[:, :, None]
        g = np.einsum("bin,bim->bnm", J, J)
        eig = np.linalg.eigvalsh(g)
        cut = 1e-10 * np.abs(eig).max(axis=1, keepdims=True)
        rank = (np.abs(eig) > cut).sum(axis=1)
        iu = np.triu_indices(n)
        parts.append(np.hstack([pts[s : s + chunk], x, J.reshape(len(x), -1), g[:, iu[0], iu[1]], rank[:, None]]))
    return np.vstack(parts)


def main():
    weights_path, points_path, out, fmt = sys.argv[1:5]
    weights = read_safetensors(weights_path)
    pts = np.loadtxt(points_path, delimiter=",", ndmin=2)
    t = table(weights, pts)
    if fmt == "npy":
        np.save(out, t)
    else:
        np.savetxt(out, t, delimiter=",")


main()
