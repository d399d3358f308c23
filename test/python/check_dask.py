"""Run by package.test.ts in the venv: a distance matrix sharded over a 2-worker Dask cluster (each worker with its own
rgnn server) against the single-process one. One JSON line out."""

import json
import sys

import numpy as np
from distributed import Client, LocalCluster

import rgnn

if __name__ == "__main__":
    g = rgnn.load(sys.argv[1])
    points = np.array([[-1.2, 0.9], [-0.4, 0.3], [0.3, -0.7], [0.9, 0.6], [1.4, -0.2], [-0.8, -0.9], [0.1, 1.3]])
    alone = g.distances(points)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        sharded = g.distances(points, client=client, chunk=4)
        import dask.array as da

        blocks = g.metric(da.from_array(points, chunks=(3, 2))).compute()
        workers = len(client.scheduler_info()["workers"])
    metric = float(np.abs(blocks - g.metric(points)).max())
    print(
        json.dumps(
            {
                "difference": float(np.abs(sharded - alone).max()),
                "metric": metric,
                "workers": workers,
                "smallest": float(alone[alone > 0].min()),
            }
        )
    )
