"""An independent torch computation of the digits VAE decoder's latent geometry, to check rgnn's numbers against.

The decoder is rebuilt from examples/digits-vae/decoder.onnx alone (its initializers and its nodes' attributes, read with
the onnx package), as torch.nn.functional calls in float64; the committed state_dict.safetensors must hold the same
numbers.
Softplus is computed exactly, log(1 + eˣ) = logaddexp(x, 0), as ONNX defines it (torch's F.softplus switches to x above
20). The pixel space R⁶⁴ carries the Euclidean metric; g = JᵀJ is its pullback to the latent plane.

Writes test/fixtures/digits-vae/reference.json (or the path given as the first argument; a second argument names another
directory holding decoder.onnx, state_dict.safetensors and latents.csv):
  metric      at 8 seeded latent points (drawn from N(0, I), the prior): the decoded image, J (64 × 2) by
              torch.autograd.functional.jacobian, g = JᵀJ and the volume element √det g
  geodesics   between pairs of encoded digits of different classes (each the digit of its class whose encoded mean is
              nearest the class's mean): the discrete curve energy Σ |f(c_{i+1}) − f(c_i)|² minimised over the interior
              points c_1 … c_N, with 16, 32 and 64 chords (N = 15, 31, 63): L-BFGS from the straight line, then
              Newton, each finer level started from the one before; the discrete length Σ |f(c_{i+1}) − f(c_i)| at
              each level, its Richardson extrapolation, and the length of the straight segment under g
Run: /usr/bin/python3 examples/tools/digits_vae_reference.py   (after examples/tools/train_digits_vae.py)
"""

import json
import os
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))  # rgnn's Python package, for its safetensors reader
from rgnn.safetensors import read_safetensors  # noqa: E402
EXAMPLE = os.path.join(ROOT, "examples", "digits-vae")
# the classes joined by a geodesic: far apart and neighbouring clusters of the latent plane
PAIRS = [(0, 1), (0, 6), (3, 4), (2, 7), (6, 9)]
# interior points of the three levels: 16, 32 and 64 chords (the second is the reported curve)
LEVELS = [15, 31, 63]
# the straight segment's length under g, from this many chords (its discretisation error is far below 1e-8)
STRAIGHT_CHORDS = 4096


def softplus(x):
    return torch.logaddexp(x, torch.zeros_like(x))


def decoder_from_onnx(path):
    """f: latent points (B × 2) → images (B × 64), one torch.nn.functional call per ONNX node."""
    model = onnx.load(path)
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    assert all(w.dtype == torch.float64 for w in weights.values()), "the decoder's weights are not float64"
    attrs = lambda node: {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}  # noqa: E731
    steps, consts = [], {}
    for node in model.graph.node:
        a = attrs(node)
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(a["value"])
        elif node.op_type == "Gemm":
            assert a.get("transB") == 1 and a.get("alpha", 1.0) == 1.0 and a.get("beta", 1.0) == 1.0
            W, b = weights[node.input[1]], weights[node.input[2]]
            steps.append(("Gemm", lambda x, W=W, b=b: F.linear(x, W, b)))
        elif node.op_type == "Reshape":
            shape = [int(s) for s in consts[node.input[1]]]
            steps.append(("Reshape", lambda x, shape=shape: x.reshape(shape)))
        elif node.op_type in ("ConvTranspose", "Conv"):
            W, b = weights[node.input[1]], weights[node.input[2]]
            p = a.get("pads", [0, 0, 0, 0])
            assert p[:2] == p[2:], "asymmetric padding"
            kw = dict(stride=tuple(a.get("strides", [1, 1])), padding=tuple(p[:2]), dilation=tuple(a.get("dilations", [1, 1])),
                      groups=a.get("group", 1))
            if node.op_type == "Conv":
                steps.append(("Conv", lambda x, W=W, b=b, kw=kw: F.conv2d(x, W, b, **kw)))
            else:
                assert not a.get("output_padding") and not a.get("output_shape")
                steps.append(("ConvTranspose", lambda x, W=W, b=b, kw=kw: F.conv_transpose2d(x, W, b, **kw)))
        elif node.op_type == "Softplus":
            steps.append(("Softplus", softplus))
        elif node.op_type == "Sigmoid":
            steps.append(("Sigmoid", torch.sigmoid))
        else:
            raise SystemExit(f"{path}: node {node.name} ({node.op_type}) is not one this reference rebuilds")

    def f(z):
        x = z
        for _, step in steps:
            x = step(x)
        return x.reshape(z.shape[0], -1)

    def preactivations(z):
        """The largest |input| of any Softplus or Sigmoid over the points z (how far from saturation the decoder is)."""
        x, m = z, 0.0
        for kind, step in steps:
            if kind in ("Softplus", "Sigmoid"):
                m = max(m, x.abs().max().item())
            x = step(x)
        return m

    return f, [k for k, _ in steps], weights, preactivations


def jacobian(f, z):
    return torch.autograd.functional.jacobian(lambda v: f(v.unsqueeze(0))[0], z)


def resample(curve, interior):
    """The polyline `curve` (from a to b, points equally spaced in parameter) at interior + 2 equally spaced parameters."""
    t = torch.linspace(0, 1, interior + 2, dtype=torch.float64) * (len(curve) - 1)
    k = t.floor().long().clamp(max=len(curve) - 2)
    w = (t - k)[:, None]
    return (1 - w) * curve[k] + w * curve[k + 1]


def discrete_geodesic(f, a, b, interior, start=None):
    """Minimise E(c) = (N+1) Σ |f(c_{i+1}) − f(c_i)|² over the interior points c_1 … c_N, c_0 = a and c_{N+1} = b fixed:
    L-BFGS from the straight line (or from the curve `start`, resampled), then Newton steps with E's exact Hessian
    (torch.autograd.functional.hessian) until the gradient is at round-off. Returns the curve, its discrete length and
    energy, the gradient's final largest component, and the iterations of each phase."""
    first = torch.stack([a, b]) if start is None else start
    inner = resample(first, interior)[1:-1].clone().requires_grad_(True)
    segments = interior + 1

    def energy(x):
        d = f(torch.cat([a[None], x, b[None]]))
        return segments * ((d[1:] - d[:-1]) ** 2).sum()

    # from the straight line, L-BFGS brings the curve near the minimum; from a solved coarser curve, Newton alone does
    opt = torch.optim.LBFGS([inner], lr=1, max_iter=400 if start is None else 1, tolerance_grad=1e-10,
                            tolerance_change=1e-16, history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        e = energy(inner)
        e.backward()
        return e

    opt.step(closure)
    lbfgs = opt.state[opt._params[0]]["n_iter"]
    # Newton on the 2N unknowns: L-BFGS crawls along the curve's own direction (the energy's Hessian has condition
    # number ~N² there), Newton does not; a halving line search keeps each step downhill
    x = inner.detach().clone()
    newton = 0
    for newton in range(1, 31):
        xg = x.clone().requires_grad_(True)
        e = energy(xg)
        (grad,) = torch.autograd.grad(e, xg)
        if grad.abs().max().item() < 1e-12:
            break
        H = torch.autograd.functional.hessian(energy, x, vectorize=True).reshape(x.numel(), x.numel())
        step = torch.linalg.solve(H, -grad.reshape(-1)).reshape(x.shape)
        t, e0 = 1.0, e.item()
        with torch.no_grad():
            while t > 1e-4 and energy(x + t * step).item() > e0:
                t /= 2
        if t <= 1e-4:
            break
        x = x + t * step
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(energy(xg), xg)
    with torch.no_grad():
        c = torch.cat([a[None], x, b[None]])
        d = f(c)
        chords = (d[1:] - d[:-1]).norm(dim=1)
    return {
        "curve": c.tolist(),
        "length": chords.sum().item(),
        # (N+1) Σ |Δf|²: equal to length² exactly when the discrete curve has constant speed
        "energy": segments * (chords**2).sum().item(),
        "gradient": grad.abs().max().item(),
        "lbfgsIterations": lbfgs,
        "newtonIterations": newton,
    }


def straight_length(f, a, b):
    t = torch.linspace(0, 1, STRAIGHT_CHORDS + 1, dtype=torch.float64)[:, None]
    with torch.no_grad():
        d = f(a + t * (b - a))
    return (d[1:] - d[:-1]).norm(dim=1).sum().item()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "digits-vae", "reference.json")
    torch.set_num_threads(1)
    example = sys.argv[2] if len(sys.argv) > 2 else EXAMPLE
    onnx_path = os.path.join(example, "decoder.onnx")
    f, kinds, weights, preactivations = decoder_from_onnx(onnx_path)
    stored = read_safetensors(os.path.join(example, "state_dict.safetensors"))
    assert sorted(stored) == sorted(weights), "state_dict.safetensors and decoder.onnx name different tensors"
    for k, v in stored.items():
        assert np.array_equal(v, weights[k].numpy()), f"{k} differs between state_dict.safetensors and decoder.onnx"

    rows = np.loadtxt(os.path.join(example, "latents.csv"), delimiter=",", skiprows=1)
    latents, labels = torch.from_numpy(rows[:, :2].copy()), rows[:, 2].astype(int)

    gen = torch.Generator().manual_seed(26)
    points = torch.randn(8, 2, generator=gen, dtype=torch.float64)
    metric = []
    for z in points:
        J = jacobian(f, z)
        g = J.T @ J
        with torch.no_grad():
            image = f(z[None])[0]
        metric.append({
            "point": z.tolist(),
            "image": image.tolist(),
            "jacobian": J.tolist(),
            "metric": g.tolist(),
            "volume": torch.sqrt(torch.det(g)).item(),
        })
        print(f"g at ({z[0].item():+.4f}, {z[1].item():+.4f}): [[{g[0, 0].item():.6g}, {g[0, 1].item():.6g}], "
              f"[{g[1, 0].item():.6g}, {g[1, 1].item():.6g}]], √det g = {metric[-1]['volume']:.6g}")

    def representative(c):
        """The digit of class c whose encoded mean is nearest the class's mean latent point."""
        idx = np.where(labels == c)[0]
        centre = latents[idx].mean(0)
        return int(idx[(latents[idx] - centre).norm(dim=1).argmin()])

    geodesics = []
    for ca, cb in PAIRS:
        i, j = representative(ca), representative(cb)
        a, b = latents[i], latents[j]
        t0 = time.process_time()
        levels = []
        for interior in LEVELS:
            start = torch.tensor(levels[-1]["curve"], dtype=torch.float64) if levels else None
            levels.append(discrete_geodesic(f, a, b, interior, start))
        l1, l2, l3 = (r["length"] for r in levels)
        straight = straight_length(f, a, b)
        geodesics.append({
            "from": {"index": i, "label": ca, "point": a.tolist()},
            "to": {"index": j, "label": cb, "point": b.tolist()},
            "euclidean": (b - a).norm().item(),
            "straightLength": straight,
            "geodesic": {**levels[1], "interior": LEVELS[1]},
            "levels": [{**{k: v for k, v in r.items() if k != "curve"}, "interior": n} for r, n in zip(levels, LEVELS)],
            # the chords' length converges as (chords)⁻²: (L₂ − L₁)/(L₃ − L₂) ≈ 4 confirms it, and Richardson's
            # L₃ + (L₃ − L₂)/3 estimates the smooth geodesic's length
            "convergenceRatio": (l2 - l1) / (l3 - l2),
            "extrapolatedLength": l3 + (l3 - l2) / 3,
        })
        print(f"{ca} (digit {i}) → {cb} (digit {j}): geodesic {l2:.6f} ({LEVELS[1] + 1} chords), {l3:.6f} "
              f"({LEVELS[2] + 1}), extrapolated {geodesics[-1]['extrapolatedLength']:.6f} (ratio of differences "
              f"{geodesics[-1]['convergenceRatio']:.2f}); straight line {straight:.6f} (geodesic/straight "
              f"{l3 / straight:.3f}); |Δz| {geodesics[-1]['euclidean']:.4f}; {time.process_time() - t0:.1f} s CPU")

    ref = {
        "about": "examples/tools/digits_vae_reference.py: g = JᵀJ of examples/digits-vae/decoder.onnx (Euclidean metric on "
                 "the 64 pixels) by torch.autograd in float64, and discrete geodesics by L-BFGS on the curve energy",
        "model": "examples/digits-vae/decoder.onnx",
        "torch": torch.__version__,
        "nodes": kinds,
        "largestPreactivation": preactivations(torch.cat([latents, points])),
        "metric": metric,
        "geodesics": geodesics,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(ref, fh, indent=1)
        fh.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
