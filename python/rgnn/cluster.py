"""Distance matrices on a Dask cluster: the pairs sharded over the workers, each with its own rgnn server."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional, Union

import numpy as np

from ._server import RgnnError, Server, ServerStopped, default_server, from_wire, to_wire

# per worker process: the server the spec was loaded into and its handle there, by spec file
_loaded: dict[str, tuple[Server, int]] = {}

Progress = Union[bool, Callable[[int, int], Any], None]


def _model(server: Server, spec: dict) -> int:
    """This worker's handle of the spec in `server`, loaded once per server (a restarted server loads it again)."""
    known = _loaded.get(spec["path"])
    if known is None or known[0] is not server:
        known = _loaded[spec["path"]] = (server, server.request("load", path=spec["path"])["model"])
    return known[1]


def _on_worker(method: str, key: str, spec: dict, **params: Any) -> np.ndarray:
    """One request to this worker's server. If the server itself stops (killed, out of memory) the request runs once
    more on a fresh one; a second stop, or any error of rgnn's, is the task's error."""
    for attempt in (0, 1):
        server = default_server()
        try:
            return from_wire(server.request(method, model=_model(server, spec), **params)[key])
        except ServerStopped:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _metric_block(block: np.ndarray, spec: dict, metric: Optional[str], layer: Optional[int]) -> np.ndarray:
    """Run on a worker: g at each row of one block of points."""
    params: dict[str, Any] = {"points": to_wire(block)}
    if metric is not None:
        params["metric"] = metric
    if layer is not None:
        params["layer"] = layer
    g = _on_worker("metric", "metric", spec, **params)
    if g.shape != (len(block), block.shape[1], block.shape[1]):
        raise RgnnError(f"a worker's server answered a block of {len(block)} points with an array of shape {g.shape}")
    return g


def metric_on(points: Any, spec: dict, metric: Optional[str], layer: Optional[int]) -> Any:
    """g over a dask array of points [N, n], block by block of rows: a dask array [N, n, n] (lazy; .compute() runs it)."""
    x = points.rechunk({1: -1})
    n = x.shape[1]
    return x.map_blocks(
        _metric_block, spec=spec, metric=metric, layer=layer, dtype=np.float64, new_axis=2, chunks=(x.chunks[0], (n,), (n,))
    )


def pairs_of(n: int, start: int, stop: int) -> np.ndarray:
    """The pairs numbered start … stop − 1 of the upper triangle of n points, row by row: (0, 1), (0, 2), …, (1, 2), …
    as an int array [stop − start, 2]. Only the numbers travel to a worker, never a list of all pairs."""
    offset = lambda i: i * (2 * n - i - 1) // 2  # noqa: E731 — the number of the pair (i, i + 1)
    i = max(0, int(((2 * n - 1) - ((2 * n - 1) ** 2 - 8 * start) ** 0.5) / 2))
    while i > 0 and offset(i) > start:
        i -= 1
    while offset(i + 1) <= start:
        i += 1
    out = np.empty((stop - start, 2), dtype=np.int64)
    j = start - offset(i) + i + 1
    for k in range(stop - start):
        if j >= n:
            i, j = i + 1, i + 2
        out[k] = (i, j)
        j += 1
    return out


def _pair_distances(span: tuple[int, int], spec: dict, points: np.ndarray, metric: Optional[str]) -> np.ndarray:
    """Run on a worker: the geodesic distances of the pairs numbered span[0] … span[1] − 1 (see pairs_of)."""
    pairs = pairs_of(len(points), *span)
    params: dict[str, Any] = {"points": to_wire(points), "pairs": pairs.tolist()}
    if metric is not None:
        params["metric"] = metric
    return _on_worker("distances", "distances", spec, **params)


class Bar:
    """A one-line progress bar on standard error (redrawn in place), or a caller's `callback(done, total)`."""

    def __init__(self, progress: Progress, total: int, stream: Any = None) -> None:
        self.total = total
        self.done = 0
        self.callback = progress if callable(progress) else None
        self.stream = stream or sys.stderr
        self.draw = progress is True
        self.start = time.monotonic()

    def step(self, count: int) -> None:
        self.done += count
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.draw:
            filled = int(30 * self.done / max(self.total, 1))
            spent = time.monotonic() - self.start
            left = spent / self.done * (self.total - self.done) if self.done else 0.0
            self.stream.write(f"\rdistances [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} pairs, {left:.0f} s left ")
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


# One matrix on a cluster: at most this many points (an N × N float64 matrix of 2 GiB), and at most this many tasks
# (the scheduler keeps each one's state; a larger `chunk` makes fewer).
MAX_CLUSTER_POINTS = 16384
MAX_TASKS = 100_000


def spans(n: int, chunk: int) -> list[tuple[int, int]]:
    """The pairs of n points, `chunk` at a time, as ranges of pair numbers."""
    if chunk < 1:
        raise RgnnError(f"chunk must be a positive number of pairs, not {chunk}")
    total = n * (n - 1) // 2
    return [(k, min(k + chunk, total)) for k in range(0, total, chunk)]


def check_cluster_size(n: int, chunk: int) -> None:
    """Refuse, before any work, a matrix too large for one client's memory or a task list too long for the scheduler."""
    if chunk < 1:
        raise RgnnError(f"chunk must be a positive number of pairs, not {chunk}")
    total = n * (n - 1) // 2
    if n > MAX_CLUSTER_POINTS:
        raise RgnnError(
            f"a distance matrix of {n:,} points is {total:,} geodesic problems and a matrix of {n} × {n} "
            f"({n * n * 8 / 1e9:.1f} GB): more than the {MAX_CLUSTER_POINTS:,} points of one matrix; compute it for a "
            "sample of the points, or for groups of them one matrix each"
        )
    tasks = -(-total // chunk)
    if tasks > MAX_TASKS:
        raise RgnnError(
            f"{total:,} pairs {chunk} a task are {tasks:,} Dask tasks: more than the {MAX_TASKS:,} a scheduler keeps "
            f"well; pass chunk={-(-total // MAX_TASKS)} or more"
        )


def fill(n: int, parts: list[tuple[int, int]], values: list[Any]) -> np.ndarray:
    """The symmetric matrix from each part's distances, checked whole: every pair answered once, a number or +inf."""
    out = np.full((n, n), np.nan)
    np.fill_diagonal(out, 0.0)
    for (start, stop), d in zip(parts, values):
        if d is None or d.shape != (stop - start,):
            shape = None if d is None else d.shape
            raise RgnnError(f"the {stop - start} pairs from number {start} came back as {shape}: the matrix is not complete")
        ij = pairs_of(n, start, stop)
        out[ij[:, 0], ij[:, 1]] = d
        out[ij[:, 1], ij[:, 0]] = d
    if np.isnan(out).any():
        raise RgnnError(f"{int(np.isnan(out).sum()) // 2} pairs were not computed: the matrix is not complete")
    return out


def distances_on(client: Any, spec: dict, points: np.ndarray, metric: Optional[str], chunk: int, progress: Progress = None) -> np.ndarray:
    """The symmetric distance matrix of `points`, its upper triangle computed `chunk` pairs a task on `client`.

    A worker lost mid-run (killed, its machine gone) costs only time: Dask runs its tasks again on the others (and
    a worker whose rgnn server stops runs the request again on a fresh server). A task that fails — an error of rgnn's,
    or a worker that died running it three times (Dask's `distributed.scheduler.allowed-failures`) — cancels the rest
    and raises one RgnnError; no partial matrix is returned."""
    from distributed import as_completed

    n = len(points)
    check_cluster_size(n, chunk)
    parts = spans(n, chunk)
    bar = Bar(progress, n * (n - 1) // 2)
    shared = client.scatter(points, broadcast=True)
    futures = client.map(_pair_distances, parts, spec=spec, points=shared, metric=metric, pure=False)
    index = {f.key: k for k, f in enumerate(futures)}
    values: list[Any] = [None] * len(parts)
    try:
        for future in as_completed(futures):
            k = index[future.key]
            values[k] = future.result()
            bar.step(parts[k][1] - parts[k][0])
    except RgnnError:
        client.cancel(futures)
        raise
    except Exception as e:  # noqa: BLE001 — a worker's death or Dask's own failure, said as one error
        client.cancel(futures)
        raise RgnnError(f"the distance matrix failed on the cluster: {type(e).__name__}: {e}") from None
    return fill(n, parts, values)
