"""The torch peer of bench/convdecoder.ts: the pulled-back metric g = JᵀJ of a convolutional decoder (an ONNX file, the
same one rgnn imports) at many latent points by vmap(jacfwd) on CPU (torch.func, or functorch before torch 2.0), and at
one point by jacfwd alone, as a torch user computes it. One thread.

Usage: python3 conv_decoder_peer.py JOB.json. The job (written by bench/convdecoder.ts):
  {"models": [{"name": …, "onnx": PATH, "points": PATH, "n": 2}, …], "check": [indices], "chunks": [sizes],
   "single": count}
with each model's points a little-endian float64 file (count × n, row-major), so both sides use the same numbers.
Prints one JSON line: per model, the CPU time of the whole batch at each chunk size (after one warm-up chunk), the
best CPU time of g at one point over the first `single` points, and g at the check indices from the timed run.

The decoder is rebuilt from the ONNX graph as torch.nn.functional calls in float64 (Gemm, Reshape, Flatten, Conv,
ConvTranspose, Softplus, Sigmoid, Tanh); Softplus is computed exactly, logaddexp(x, 0), as ONNX defines it (torch's
F.softplus returns x above 20, which would differ from rgnn's g in the 9th digit there; both run at the same speed).
"""

import json
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from torch.nn import functional as F  # noqa: E402

try:
    from torch.func import jacfwd, vmap

    API = "torch.func"
except ImportError:
    from functorch import jacfwd, vmap  # torch < 2.0

    API = "functorch"


def decoder(path):
    """f(z) for ONE latent point z (shape n) → the flattened image, from the ONNX graph's nodes in order."""
    model = onnx.load(path)
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float64)) for t in model.graph.initializer}
    consts, steps = {}, []
    for node in model.graph.node:
        a = {x.name: onnx.helper.get_attribute_value(x) for x in node.attribute}
        op = node.op_type
        if op == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(a["value"])
        elif op == "Gemm":
            W, b = weights[node.input[1]], weights[node.input[2]]
            W = W if a.get("transB", 0) else W.T
            steps.append(lambda x, W=W, b=b: F.linear(x, W, b))
        elif op == "Reshape":
            shape = [int(s) for s in consts.get(node.input[1], weights.get(node.input[1]))]
            steps.append(lambda x, shape=shape: x.reshape(shape))
        elif op == "Flatten":
            steps.append(lambda x: x.reshape(x.shape[0], -1))
        elif op in ("Conv", "ConvTranspose"):
            W, b = weights[node.input[1]], weights[node.input[2]] if len(node.input) > 2 else None
            p = list(a.get("pads", [0] * 4))
            if p[:2] != p[2:] or a.get("output_shape") or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise SystemExit(f"{path}: {node.name}: only symmetric explicit padding is rebuilt")
            kw = dict(stride=tuple(a.get("strides", [1, 1])), padding=tuple(p[:2]), dilation=tuple(a.get("dilations", [1, 1])),
                      groups=a.get("group", 1))
            if op == "Conv":
                steps.append(lambda x, W=W, b=b, kw=kw: F.conv2d(x, W, b, **kw))
            else:
                kw["output_padding"] = tuple(a.get("output_padding", [0, 0]))
                steps.append(lambda x, W=W, b=b, kw=kw: F.conv_transpose2d(x, W, b, **kw))
        elif op == "Softplus":
            steps.append(lambda x: torch.logaddexp(x, torch.zeros_like(x)))
        elif op == "Sigmoid":
            steps.append(torch.sigmoid)
        elif op == "Tanh":
            steps.append(torch.tanh)
        else:
            raise SystemExit(f"{path}: node {node.name} ({op}) is not rebuilt by conv_decoder_peer.py")

    def f(z):
        x = z.unsqueeze(0)
        for step in steps:
            x = step(x)
        return x.reshape(-1)

    return f


def run(job):
    torch.set_num_threads(1)
    check = job["check"]
    out = []
    for m in job["models"]:
        f = decoder(m["onnx"])
        n = m["n"]
        pts = torch.from_numpy(np.fromfile(m["points"], dtype="<f8").reshape(-1, n))
        jac = vmap(jacfwd(f))

        def metrics(p):
            J = jac(p)
            return J.transpose(1, 2) @ J

        by_chunk, g_check = {}, None
        for chunk in job["chunks"]:
            metrics(pts[: min(chunk, len(pts))])  # warm-up
            g = torch.empty(len(pts), n, n, dtype=torch.float64)
            t0, c0 = time.perf_counter(), time.process_time()
            for k in range(0, len(pts), chunk):
                g[k : k + chunk] = metrics(pts[k : k + chunk])
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            by_chunk[str(chunk)] = {"ms": seconds * 1000, "cpuMs": cpu * 1000, "ptsPerCpuS": len(pts) / cpu}
            g_check = g_check if g_check is not None else [g[i].reshape(-1).tolist() for i in check]
        best_chunk = max(by_chunk, key=lambda c: by_chunk[c]["ptsPerCpuS"])

        # one point at a time: jacfwd of f, then JᵀJ (what a user asking for g at a point runs)
        one = jacfwd(f)
        one(pts[0])
        single = []
        for p in pts[: job["single"]]:
            c0 = time.process_time()
            J = one(p)
            _ = J.T @ J
            single.append((time.process_time() - c0) * 1000)
        out.append({
            "name": m["name"],
            "points": len(pts),
            "outputs": int(f(pts[0]).numel()),
            "batch": {**by_chunk[best_chunk], "chunk": int(best_chunk)},
            "byChunk": by_chunk,
            "singleCpuMs": min(single),
            "singleMedianCpuMs": float(np.median(single)),
            "check": g_check,
        })
    return {"torch": f"torch {torch.__version__} ({API})", "threads": torch.get_num_threads(), "models": out}


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print(json.dumps(run(json.load(fh))))
