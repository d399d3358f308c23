"""Run by package.test.ts in the venv: a distance matrix on a 2-worker Dask cluster while things break under it.

- a worker process is killed (SIGKILL) as the first pairs come back: Dask runs its pairs again, the nanny starts a new
  worker, and the matrix still equals the one-process matrix;
- every worker's rgnn server is killed mid-run: each request runs again on a fresh server, the same matrix;
- the spec file is gone when the workers load it: one RgnnError naming the file, no matrix, no hang;
- a progress callback sees every pair once, in order, on the cluster and without it.

One JSON line out."""

import json
import os
import shutil
import signal
import sys
import tempfile
import time

import numpy as np
from distributed import Client, LocalCluster

import rgnn
import rgnn._server


def server_pid() -> int:
    """Run on a worker: the pid of its rgnn server (starting it if need be)."""
    return rgnn._server.default_server()._proc.pid


def kill_server() -> int:
    """Run on a worker: kill its rgnn server, as the kernel's OOM killer would."""
    pid = rgnn._server.default_server()._proc.pid
    os.kill(pid, signal.SIGKILL)
    return pid


def gone(pid: int) -> bool:
    """Whether a process has exited (a zombie counts as gone: it runs nothing)."""
    for _ in range(100):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    spec = sys.argv[1]
    g = rgnn.load(spec)
    rng = np.random.default_rng(7)
    points = rng.uniform(-1.0, 1.0, size=(12, 2))  # 66 pairs
    alone = g.distances(points)
    out: dict = {"pairs": 66}

    seen: list = []
    local = g.distances(points, chunk=10, progress=lambda done, total: seen.append([done, total]))
    out["local_difference"] = float(np.abs(local - alone).max())
    out["local_progress"] = seen

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(server_pid)  # start each worker's server before the clock of the run starts
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        victim_server = client.run(server_pid, workers=[victim])[victim]
        at_kill: dict = {}

        def kill_worker(done: int, total: int) -> None:
            if not at_kill:
                at_kill["done"] = done
                at_kill["processing"] = len(client.processing().get(victim, []))
                os.kill(pids[victim], signal.SIGKILL)

        killed = g.distances(points, client=client, chunk=2, progress=kill_worker)
        out["worker_killed_difference"] = float(np.abs(killed - alone).max())
        out["done_at_kill"] = at_kill["done"]
        out["victim_processing_at_kill"] = at_kill["processing"]
        out["worker_replaced"] = pids[victim] not in client.run(os.getpid).values()
        out["victim_server_gone"] = gone(victim_server)

        servers: list = []

        def kill_servers(done: int, total: int) -> None:
            if not servers:
                servers.extend(client.run(kill_server).values())

        restarted = g.distances(points, client=client, chunk=2, progress=kill_servers)
        out["servers_killed"] = len(servers)
        out["servers_killed_difference"] = float(np.abs(restarted - alone).max())

        folder = tempfile.mkdtemp()
        try:
            copy = os.path.join(folder, "moved.rgnn")
            shutil.copy(spec, copy)
            moved = rgnn.load(copy)
            os.remove(copy)
            try:
                moved.distances(points, client=client, chunk=2)
                out["missing_spec"] = None
            except rgnn.RgnnError as e:
                out["missing_spec"] = [type(e).__name__, str(e)]
        finally:
            shutil.rmtree(folder)
    print(json.dumps(out))
