"""The Dask suite's Python side (bench/dask.ts runs it): a geodesic distance matrix on a LocalCluster of 1, then 2
worker processes (one thread each, each with its own rgnn server), in one run.

For each cluster: the servers are started and the spec loaded before timing (a worker's start-up is paid once, as on a
long-lived cluster); then `rounds` runs of geometry.distances(points, client=…), each timed by wall clock and by CPU
seconds — the workers' Python processes and their rgnn servers (Node) together, read from /proc before and after. The
matrix of every run is compared with the one-process matrix. Usage: python3 dask_peer.py SPEC POINTS CHUNK ROUNDS.
Prints one JSON object."""

import json
import os
import sys
import time

import numpy as np
from distributed import Client, LocalCluster

import rgnn
import rgnn._server

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """Run on a worker: CPU seconds (user + system) of this worker process and of its rgnn server."""
    def of(pid: int) -> float:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    return of(os.getpid()) + of(rgnn._server.default_server()._proc.pid)


def warm(path: str) -> int:
    """Run on a worker: start its server and load the spec, as the first task would."""
    from rgnn.cluster import _model

    return _model(rgnn._server.default_server(), {"path": path})


if __name__ == "__main__":
    spec, n, chunk, rounds = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    g = rgnn.load(spec)
    points = np.random.default_rng(3).uniform(-1.0, 1.0, size=(n, 2))
    t0 = time.perf_counter()
    alone = g.distances(points)
    out: dict = {"points": n, "pairs": n * (n - 1) // 2, "chunk": chunk, "oneServerWall": time.perf_counter() - t0, "runs": {}}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with Client(cluster) as client:
                client.run(warm, spec)
                runs = []
                for _ in range(rounds):
                    load = os.getloadavg()[0]
                    before = sum(client.run(cpu_seconds).values())
                    t = time.perf_counter()
                    d = g.distances(points, client=client, chunk=chunk)
                    wall = time.perf_counter() - t
                    cpu = sum(client.run(cpu_seconds).values()) - before
                    runs.append({"wall": wall, "workerCpu": cpu, "load": load, "difference": float(np.abs(d - alone).max())})
                out["runs"][str(workers)] = runs
    best = {w: min(r["wall"] for r in runs) for w, runs in out["runs"].items()}
    out["speedup"] = best["1"] / best["2"]
    print(json.dumps(out))
