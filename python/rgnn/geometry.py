"""A loaded spec's geometry: arrays in, arrays out (numpy, or torch tensors matching a torch input)."""

from __future__ import annotations

import base64
import html
import importlib.util
import io
import os
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ._server import RgnnError, Server, default_server, from_wire, to_wire


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _points(x: Any) -> tuple[np.ndarray, bool, Callable[[np.ndarray], Any]]:
    """Points as a float64 [N, n] array, whether one point was given, and how to give results back in x's kind."""
    if _is_torch(x):
        import torch

        like = x
        a = x.detach().to("cpu", torch.float64).numpy()

        def back(r: np.ndarray) -> Any:
            return torch.as_tensor(r, dtype=like.dtype if like.is_floating_point() else torch.float64, device=like.device)

    else:
        a = np.asarray(x, dtype=np.float64)

        def back(r: np.ndarray) -> Any:
            return r

    if a.ndim not in (1, 2):
        raise RgnnError(f"points must have shape [N, n] or [n], not {list(a.shape)}")
    return np.atleast_2d(a), a.ndim == 1, back


@dataclass
class ClosedForm:
    """A metric's closed form as `rgnn metric` prints it; displays itself as LaTeX in Jupyter."""

    form: str
    tex: str
    data: dict = field(repr=False)

    def _repr_latex_(self) -> str:
        return f"$$\n{self.tex}\n$$"


@dataclass
class Derivation:
    """A derivation rendered in one format (tex, html, json, md); a page (html) displays itself in Jupyter."""

    format: str
    text: str
    steps: int

    def save(self, path: str) -> str:
        """Write it to `path` (atomically: a temporary file beside it, then a rename)."""
        target = os.path.abspath(path)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".rgnn-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.text)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return target

    def _repr_html_(self) -> Optional[str]:
        if self.format != "html":
            return f"<pre>{html.escape(self.text)}</pre>"
        # the page is self-contained (KaTeX inlined): shown in a sandboxed frame so its styles stay its own
        return f'<iframe sandbox="allow-scripts" style="width:100%;height:480px;border:0" srcdoc="{html.escape(self.text)}"></iframe>'


@dataclass
class Figure:
    """One of rgnn's figures: SVG text and a PNG; displays itself in Jupyter."""

    svg: str
    png: bytes = field(repr=False)

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_png_(self) -> bytes:
        return self.png

    def save(self, path: str) -> str:
        """Write it as .svg or .png, by the extension."""
        with open(path, "wb") as f:
            f.write(self.png if path.lower().endswith(".png") else self.svg.encode("utf-8"))
        return path


@dataclass
class Geodesic:
    """A geodesic: samples t, x(t), v(t) along t ∈ [0, 1], its length as the metric measures it, and the solver's facts."""

    t: Any
    x: Any
    v: Any
    length: float
    info: dict = field(repr=False)


class Geometry:
    """The geometry of one spec (a metric, the map or network it is pulled back along): see rgnn.load."""

    def __init__(self, server: Server, loaded: dict, keep: Any = None) -> None:
        self._server = server
        self._id = loaded["model"]
        self.file: str = loaded["file"]
        self.metrics: list[str] = [m["name"] for m in loaded["metrics"]]
        self.mappings: list[str] = [m["name"] for m in loaded["mappings"]]
        self.warnings: list[str] = loaded["warnings"]
        self._keep = keep  # a from_torch model's temporary folder lives as long as its Geometry

    def _ask(self, method: str, **params: Any) -> Any:
        return self._server.request(method, model=self._id, **{k: v for k, v in params.items() if v is not None})

    def metric(self, x: Any, metric: Optional[str] = None, layer: Optional[int] = None) -> Any:
        """g_ij at each point: [N, n, n] for points [N, n], [n, n] for one point [n]. A dask array of points [N, n]
        gives a dask array [N, n, n], computed block by block on the cluster's workers (each with its own server)."""
        if type(x).__module__.startswith("dask"):
            from .cluster import metric_on

            return metric_on(x, self._spec(), metric, layer)
        p, one, back = _points(x)
        g = from_wire(self._ask("metric", points=to_wire(p), metric=metric, layer=layer)["metric"])
        return back(g[0] if one else g)

    def _evaluate(self, x: Any, mapping: Optional[str], key: str) -> Any:
        p, one, back = _points(x)
        r = from_wire(self._ask("evaluate", points=to_wire(p), mapping=mapping)[key])
        return back(r[0] if one else r)

    def __call__(self, x: Any, mapping: Optional[str] = None) -> Any:
        """The network's (or map's) output at each point."""
        return self._evaluate(x, mapping, "output")

    def jacobian(self, x: Any, mapping: Optional[str] = None) -> Any:
        """∂output_i/∂x_j at each point: [N, m, n]."""
        return self._evaluate(x, mapping, "jacobian")

    def quantity(self, name: str, x: Any, metric: Optional[str] = None, layer: Optional[int] = None) -> Any:
        """A geometric quantity at each point (christoffel, riemann, ricci, scalar, volume, inverse, …): [N, …shape]."""
        p, one, back = _points(x)
        r = from_wire(self._ask("geometry", quantity=name, points=to_wire(p), metric=metric, layer=layer)["values"])
        return back(r[0] if one else r)

    def christoffel(self, x: Any, metric: Optional[str] = None) -> Any:
        """Γ^k_ij at each point: [N, n, n, n], index order (k, i, j)."""
        return self.quantity("christoffel", x, metric)

    def scalar(self, x: Any, metric: Optional[str] = None) -> Any:
        """The scalar curvature at each point: [N]."""
        return self.quantity("scalar", x, metric)

    def volume(self, x: Any, metric: Optional[str] = None) -> Any:
        """√det g at each point: [N]."""
        return self.quantity("volume", x, metric)

    def geodesic(self, a: Any, b: Any = None, velocity: Any = None, samples: int = 21, metric: Optional[str] = None) -> Geodesic:
        """The geodesic from a to b (shooting), or from a with an initial velocity, sampled at `samples` times."""
        pa, _, back = _points(a)
        ends = {"to": to_wire(_points(b)[0][0])} if b is not None else {"velocity": to_wire(_points(velocity)[0][0])}
        r = self._ask("geodesic", **{"from": to_wire(pa[0])}, **ends, samples=samples, metric=metric)
        info = {k: v for k, v in r.items() if k not in ("t", "x", "v")}
        return Geodesic(back(from_wire(r["t"])), back(from_wire(r["x"])), back(from_wire(r["v"])), r["length"], info)

    def distances(
        self, points: Any, metric: Optional[str] = None, client: Any = None, chunk: int = 64, progress: Any = None
    ) -> Any:
        """The geodesic distance matrix of the points: [N, N]. With a dask.distributed `client`, the pairs are sharded
        over its workers (each runs its own rgnn server), `chunk` pairs a task; a worker lost mid-run has its pairs
        computed again, and a failure raises one RgnnError (never a partial matrix).

        `progress=True` draws a bar on standard error as pairs finish; a callable is called as `progress(done, total)`
        (pairs). With progress and no client, the pairs go to the server `chunk` at a time so that there is something
        to report."""
        p, _, back = _points(points)
        if client is not None:
            from .cluster import distances_on

            return back(distances_on(client, self._spec(), p, metric, chunk, progress))
        if not progress:
            return back(from_wire(self._ask("distances", points=to_wire(p), metric=metric)["distances"]))
        from .cluster import Bar, fill, pairs_of, spans

        parts = spans(len(p), chunk)
        bar = Bar(progress, len(p) * (len(p) - 1) // 2)
        values = []
        for start, stop in parts:
            pairs = pairs_of(len(p), start, stop).tolist()
            values.append(from_wire(self._ask("distances", points=to_wire(p), pairs=pairs, metric=metric)["distances"]))
            bar.step(stop - start)
        return back(fill(len(p), parts, values))

    def _spec(self) -> dict:
        """How a worker loads the same spec: its file (absolute, with its weights beside it)."""
        if not os.path.isabs(self.file):
            raise RgnnError("a spec loaded from text cannot be sent to a cluster: load it from a file (rgnn.load)")
        return {"path": self.file}

    def figure(self, kind: str, points: Any, labels: Any = None, network: Optional[str] = None, title: Optional[str] = None) -> Figure:
        """A figure of `rgnn plot` (grid, data, ellipses, volume, geodesics) of the network over 2-D data points."""
        p, _, _ = _points(points)
        ys = None if labels is None else [int(v) for v in np.asarray(labels).reshape(-1)]
        r = self._ask("figure", kind=kind, points=to_wire(p), labels=ys, network=network, title=title)
        return Figure(r["svg"], base64.b64decode(r["png"]))

    def closed_form(self, form: str = "auto", metric: Optional[str] = None) -> ClosedForm:
        """The metric in closed form: auto, explicit, layers or matrix (the paper's recursion, weights named)."""
        r = self._ask("closedForm", form=form, metric=metric)
        return ClosedForm(r["form"], r["tex"], r)

    def flow(self, network: Optional[str] = None, depths: Optional[Sequence[int]] = None) -> dict:
        """How the network's residual (or higher-order) block converges to its ODE flow as depth grows."""
        return self._ask("flow", network=network, depths=list(depths) if depths else None)

    def derive(self, path: Optional[str] = None, format: Optional[str] = None, form: Optional[str] = None) -> Derivation:
        """The spec's derivation, every step witnessed; written to `path` if given (format from its extension). `form`:
        scalar, layered or matrix for every metric; by default each takes the one the format can hold (rgnn derive)."""
        fmt = format or (os.path.splitext(path)[1].lstrip(".").lower() if path else "html")
        fmt = {"htm": "html", "markdown": "md"}.get(fmt, fmt)
        r = self._ask("derive", format=fmt, form=form)
        d = Derivation(fmt, r["text"], r["steps"])
        if path:
            d.save(path)
        return d

    def _export(self, target: str) -> Any:
        text = self._ask("export", target=target)["module"]
        folder = tempfile.mkdtemp(prefix="rgnn-export-")
        path = os.path.join(folder, "rgnn_exported.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        name = f"rgnn_exported_{target}_{self._id}_{id(self)}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    def to_torch(self) -> Any:
        """The spec as a PyTorch module (rgnn export --target torch), imported."""
        return self._export("torch")

    def to_numpy(self) -> Any:
        """The spec as a NumPy module (rgnn export --target numpy), imported."""
        return self._export("numpy")

    def close(self) -> None:
        """Free the spec in the server (also done when the Geometry is collected)."""
        if self._id is not None:
            try:
                self._server.request("free", model=self._id)
            except RgnnError:
                pass
            self._id = None

    def __del__(self) -> None:
        try:
            if self._id is not None and self._server._proc.poll() is None:
                self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"Geometry({self.file!r}, metrics={self.metrics}, mappings={self.mappings})"


def load(path: str, values: Optional[dict] = None, server: Optional[Server] = None) -> Geometry:
    """A spec file (weights read beside it), with `values` overriding its constants: a Geometry."""
    s = server or default_server()
    return Geometry(s, s.request("load", path=os.path.abspath(path), values=values or {}))


def loads(text: str, file: str = "<text>", base_dir: str = ".", values: Optional[dict] = None, server: Optional[Server] = None) -> Geometry:
    """A spec given as text (`file` names it in messages; weights files are read relative to `base_dir`)."""
    s = server or default_server()
    return Geometry(s, s.request("load", text=text, file=file, baseDir=os.path.abspath(base_dir), values=values or {}))


def from_torch(model: Any, example_input: Any, name: str = "model", server: Optional[Server] = None) -> Geometry:
    """A PyTorch module's geometry: exported to ONNX in memory, imported as a spec and its weights (rgnn import)."""
    import torch

    buffer = io.BytesIO()
    was_training = model.training
    model.eval()
    try:
        torch.onnx.export(model, example_input, buffer, opset_version=13, input_names=["x"], output_names=["y"])
    finally:
        model.train(was_training)
    s = server or default_server()
    r = s.request("import", onnx=base64.b64encode(buffer.getvalue()).decode("ascii"), name=name)
    folder = tempfile.TemporaryDirectory(prefix="rgnn-torch-")
    spec = os.path.join(folder.name, f"{name}.rgnn")
    with open(spec, "w", encoding="utf-8") as f:
        f.write(r["spec"])
    with open(os.path.join(folder.name, r["weightsFile"]), "wb") as f:
        f.write(base64.b64decode(r["weights"]))
    return Geometry(s, s.request("load", path=spec), keep=folder)

