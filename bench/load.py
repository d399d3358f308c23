"""The NumPy peer of bench/load.ts: read a safetensors file of float64 weights into arrays (np.frombuffer views, as
a NumPy user loads them). Usage: python3 load.py FILE ROUNDS. Prints the best CPU seconds (time.process_time)."""

import json
import struct
import sys
import time

import numpy as np


def load(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = memoryview(raw)[8 + n :]
    return {
        k: np.frombuffer(data[t["data_offsets"][0] : t["data_offsets"][1]], dtype="<f8").reshape(t["shape"])
        for k, t in header.items()
        if k != "__metadata__"
    }


best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.process_time()
    load(sys.argv[1])
    best = min(best, time.process_time() - t)
print(best)
