"""Weights in the safetensors layout rgnn reads (`weights "FILE.safetensors"` in a spec) and writes (`rgnn import`,
`rgnn train`): an 8-byte little-endian header length, a JSON header, the raw little-endian data. NumPy only, so a
training script can hand rgnn its weights without torch's or Hugging Face's packages."""

import json
import struct

import numpy as np

from ._server import RgnnError

_DTYPES = {"F64": "<f8", "F32": "<f4"}


def read_safetensors(path):
    """{name: array} of a safetensors file's F64/F32 tensors, as read-only views of the file's bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise RgnnError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise RgnnError(f"{path}: its header length {n} runs past the end of the file ({len(raw)} bytes)")
    header = json.loads(raw[8 : 8 + n])
    data = memoryview(raw)[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t.get("dtype") not in _DTYPES:
            raise RgnnError(f"{path}: tensor {name!r} has dtype {t.get('dtype')!r}; rgnn reads F64 and F32")
        begin, end = t["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=_DTYPES[t["dtype"]]).reshape(t["shape"])
    return out


def write_safetensors(path, tensors):
    """Writes {name: array} as F64 tensors (rgnn computes in float64), in the order given."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(np.shape(array)), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
