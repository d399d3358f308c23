"""Run by package.test.ts inside a venv where ./python was pip-installed offline: the package's answers against
independent ones (functorch's Jacobians, the values the test computed with the TypeScript library), one JSON line out."""

import json
import os
import sys

import numpy as np
import torch
from functorch import jacrev, vmap

import rgnn

expected = json.load(open(sys.argv[1]))
out = {}

# the paper's toy network: metric and Christoffel symbols as the library computes them
toy = rgnn.load(expected["toy"])
points = np.array(expected["points"])
out["metric"] = float(np.abs(toy.metric(points) - np.array(expected["metric"])).max())
out["christoffel"] = float(np.abs(toy.christoffel(points).reshape(len(points), -1) - np.array(expected["christoffel"])).max())
out["one_point_shape"] = list(toy.metric(points[0]).shape)

# a PyTorch MLP through ONNX: the metric JᵀJ against functorch's vmap(jacrev), as torch tensors of the input's dtype
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)
).double()
g = rgnn.from_torch(net, torch.zeros(1, 2, dtype=torch.float64), name="mlp")
x = torch.randn(64, 2, dtype=torch.float64)
J = vmap(jacrev(net))(x)
G = g.metric(x)
out["torch_type"] = [type(G).__name__, str(G.dtype)]
out["torch_metric"] = float((G - J.transpose(1, 2) @ J).abs().max() / (J.transpose(1, 2) @ J).abs().max())
out["torch_jacobian"] = float((g.jacobian(x) - J).abs().max())

# the exported torch module agrees with the server
module = g.to_torch()
out["exported"] = sorted(n for n in ("metric", "jacobian", "christoffel") if hasattr(module, n))

# errors are Python exceptions carrying rgnn's file:line:col message
try:
    rgnn.loads("manifold P (x)\nshow q\n", file="bad.rgnn")
    out["error"] = None
except rgnn.RgnnError as e:
    out["error"] = str(e).splitlines()[0]

# a point of the wrong dimension is refused, not read as something else
try:
    toy.metric(np.zeros((2, 3)))
    out["shape"] = None
except rgnn.RgnnError as e:
    out["shape"] = str(e)

# a crashed server is an exception, and the next call starts a new one
server = rgnn.Server()
own = rgnn.load(expected["toy"], server=server)
server._proc.kill()
server._proc.wait()
try:
    own.metric(points)
    out["crash"] = None
except rgnn.RgnnError as e:
    out["crash"] = str(e).split(":")[0]
server.close()

# a point outside its chart's declared domain (Schwarzschild on r in [2, 10], here r = 0.5): rgnn's message
schwarzschild = rgnn.load(os.path.join(os.path.dirname(expected["toy"]), "schwarzschild.rgnn"))
try:
    schwarzschild.metric([0.0, 0.5, 1.0, 1.0])
    out["chart"] = None
except rgnn.RgnnError as e:
    out["chart"] = str(e)
out["inside"] = schwarzschild.metric([0.0, 5.0, 1.0, 1.0])[:2, :2].tolist()

# matrices too large for one server or one cluster run are refused before any work
try:
    toy.distances(np.zeros((5000, 2)))
    out["too_many"] = None
except rgnn.RgnnError as e:
    out["too_many"] = str(e)
try:
    toy.distances(np.zeros((20000, 2)), client=object())  # refused before the client is used
    out["too_many_cluster"] = None
except rgnn.RgnnError as e:
    out["too_many_cluster"] = str(e)

# a derivation displays itself; a closed form is LaTeX
out["latex"] = toy.closed_form()._repr_latex_().startswith("$$\n\\begin{aligned}")
out["derivation_html"] = toy.derive(format="html")._repr_html_().startswith("<iframe")
# weights written by the package's safetensors writer load in a spec: the metric equals JᵀJ of the same arrays
import tempfile  # noqa: E402

rng = np.random.default_rng(7)
W1, b1, W2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2)
folder = tempfile.mkdtemp()
rgnn.write_safetensors(os.path.join(folder, "w.safetensors"), {"W1": W1, "b1": b1, "W2": W2, "b2": b2})
back = rgnn.read_safetensors(os.path.join(folder, "w.safetensors"))
out["safetensors_round_trip"] = all(np.array_equal(back[k], v) for k, v in {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items())
with open(os.path.join(folder, "net.rgnn"), "w") as f:
    f.write('manifold I = R^2\nnetwork net : I -> R^2 weights "w.safetensors" {\n  dense 3 tanh\n  dense 2 linear\n}\n'
            'metric g = pullback of euclidean along net\n')
x0 = np.array([0.3, -0.7])
J = W2 @ np.diag(1 - np.tanh(W1 @ x0 + b1) ** 2) @ W1
out["safetensors_metric"] = float(np.abs(rgnn.load(os.path.join(folder, "net.rgnn")).metric(x0) - J.T @ J).max())
with open(os.path.join(folder, "half.safetensors"), "wb") as f:
    head = b'{"W":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}'
    f.write(len(head).to_bytes(8, "little") + head + b"\x00\x3c")
try:
    rgnn.read_safetensors(os.path.join(folder, "half.safetensors"))
    out["safetensors_f16"] = None
except rgnn.RgnnError as e:
    out["safetensors_f16"] = str(e).split(": ", 1)[1]

print(json.dumps(out))
