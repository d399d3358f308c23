"""The connection to `rgnn serve`: one Node process per Server, JSON-RPC with Content-Length framing over its pipes."""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
from typing import Any, Optional, Sequence

import numpy as np


class RgnnError(Exception):
    """An error rgnn reports: a bad spec (its message reads `file:line:col: error: …` with a caret), input or request."""


class ServerStopped(RgnnError):
    """The rgnn server process stopped (killed, crashed, out of memory) before it answered; the next request starts a
    new one."""


def _command() -> list[str]:
    """How to start the CLI: $RGNN_CLI (a .js file run with $RGNN_NODE or node, or an executable), else `rgnn` on PATH."""
    cli = os.environ.get("RGNN_CLI")
    if cli:
        if cli.endswith((".js", ".mjs")):
            node = os.environ.get("RGNN_NODE") or shutil.which("node")
            if not node:
                raise RgnnError("RGNN_CLI names a .js file, but no `node` is on PATH (set RGNN_NODE to Node 20)")
            return [node, cli]
        return [cli]
    found = shutil.which("rgnn")
    if found:
        return [found]
    raise RgnnError(
        "cannot find the rgnn CLI: set RGNN_CLI to its bin/rgnn.js (e.g. RGNN_CLI=/path/to/rgnn/bin/rgnn.js), "
        "or put `rgnn` on PATH"
    )


def to_wire(a: Any) -> dict:
    """An array (anything numpy.asarray reads) as rgnn's wire form: base64 little-endian float64 and its shape."""
    x = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
    return {"dtype": "float64", "shape": list(x.shape), "data": base64.b64encode(x.tobytes()).decode("ascii")}


def from_wire(w: dict) -> np.ndarray:
    """rgnn's wire form as a numpy float64 array."""
    return np.frombuffer(base64.b64decode(w["data"]), dtype="<f8").reshape(w["shape"]).copy()


class Server:
    """A running `rgnn serve`. Requests are answered in order; the process lives until `close()` or exit."""

    def __init__(self, command: Optional[Sequence[str]] = None) -> None:
        self._errors = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [*(command or _command()), "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors
        )
        self._next = 0
        self._lock = threading.Lock()

    def request(self, method: str, **params: Any) -> Any:
        """Send one request; return its result, or raise RgnnError with rgnn's message."""
        with self._lock:
            self._next += 1
            body = json.dumps({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params}).encode("utf-8")
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                self._proc.stdin.flush()
                reply = self._read()
            except (BrokenPipeError, OSError, EOFError) as e:
                # make sure it is gone (a half-dead process must not take the next request): default_server() then
                # starts a new one
                self._proc.kill()
                self._proc.wait()
                raise ServerStopped(f"the rgnn server stopped: {self._stderr() or e}") from None
        if "error" in reply:
            raise RgnnError(reply["error"]["message"])
        return reply["result"]

    def _read(self) -> dict:
        out = self._proc.stdout
        assert out is not None
        length = None
        while True:
            line = out.readline()
            if not line:
                raise EOFError("end of output")
            line = line.strip()
            if not line:
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if length is None:
            raise EOFError("a reply without Content-Length")
        return json.loads(out.read(length).decode("utf-8"))

    def _stderr(self) -> str:
        self._errors.seek(0)
        return self._errors.read()[-4000:].decode("utf-8", "replace").strip()

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
        self._errors.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


_default: Optional[Server] = None


def default_server() -> Server:
    """The process-wide server, started on first use and closed at exit."""
    global _default
    if _default is None or _default._proc.poll() is not None:
        _default = Server()
        atexit.register(_default.close)
    return _default
