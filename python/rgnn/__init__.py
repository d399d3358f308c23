"""rgnn from Python: the Riemannian geometry of neural networks (pulled-back metrics, curvature, geodesics, derivations).

>>> import rgnn
>>> g = rgnn.load("examples/polar.rgnn")
>>> g.metric([2.0, 0.5])          # array([[1., 0.], [0., 4.]])

It drives `rgnn serve` (set RGNN_CLI to the CLI's bin/rgnn.js, or put `rgnn` on PATH). See docs/python.md.
"""

from ._server import RgnnError, Server
from .geometry import ClosedForm, Derivation, Figure, Geodesic, Geometry, from_torch, load, loads
from .safetensors import read_safetensors, write_safetensors

__all__ = ["ClosedForm", "Derivation", "Figure", "Geodesic", "Geometry", "RgnnError", "Server", "from_torch", "load", "loads",
           "read_safetensors", "write_safetensors"]
__version__ = "0.1.0"
