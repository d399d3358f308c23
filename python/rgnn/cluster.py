"""Distance matrices on a Dask cluster: the pairs sharded over the workers, each with its own rgnn server."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._server import default_server, from_wire, to_wire

# per worker process: the loaded spec's handle in that worker's server, by spec file
_loaded: dict[str, int] = {}


def _model(server: Any, spec: dict) -> int:
    """This worker's handle of the spec, loaded once."""
    model = _loaded.get(spec["path"])
    if model is None:
        model = _loaded[spec["path"]] = server.request("load", path=spec["path"])["model"]
    return model


def _metric_block(block: np.ndarray, spec: dict, metric: Optional[str], layer: Optional[int]) -> np.ndarray:
    """Run on a worker: g at each row of one block of points."""
    server = default_server()
    params: dict[str, Any] = {"model": _model(server, spec), "points": to_wire(block)}
    if metric is not None:
        params["metric"] = metric
    if layer is not None:
        params["layer"] = layer
    return from_wire(server.request("metric", **params)["metric"])


def metric_on(points: Any, spec: dict, metric: Optional[str], layer: Optional[int]) -> Any:
    """g over a dask array of points [N, n], block by block of rows: a dask array [N, n, n] (lazy; .compute() runs it)."""
    x = points.rechunk({1: -1})
    n = x.shape[1]
    return x.map_blocks(
        _metric_block, spec=spec, metric=metric, layer=layer, dtype=np.float64, new_axis=2, chunks=(x.chunks[0], (n,), (n,))
    )


def _pair_distances(pairs: list[tuple[int, int]], spec: dict, points: np.ndarray, metric: Optional[str]) -> np.ndarray:
    """Run on a worker: the geodesic distances of `pairs` (indices into `points`)."""
    server = default_server()
    params: dict[str, Any] = {"model": _model(server, spec), "points": to_wire(points), "pairs": [list(p) for p in pairs]}
    if metric is not None:
        params["metric"] = metric
    return from_wire(server.request("distances", **params)["distances"])


def distances_on(client: Any, spec: dict, points: np.ndarray, metric: Optional[str], chunk: int) -> np.ndarray:
    """The symmetric distance matrix of `points`, its upper triangle computed `chunk` pairs a task on `client`."""
    n = len(points)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chunks = [pairs[k : k + chunk] for k in range(0, len(pairs), chunk)]
    shared = client.scatter(points, broadcast=True)
    futures = client.map(_pair_distances, chunks, spec=spec, points=shared, metric=metric, pure=False)
    out = np.zeros((n, n))
    for part, values in zip(chunks, client.gather(futures)):
        for (i, j), d in zip(part, values):
            out[i, j] = out[j, i] = d
    return out
