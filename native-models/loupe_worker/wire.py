"""Length-prefixed frames over a byte stream (the worker's stdin/stdout).

A frame is: 4 bytes little-endian header length, the header as UTF-8 JSON, then the binary blobs the
header lists in `blobs` ([{name, dtype, shape, nbytes}], in order). Arrays travel as raw little-endian
bytes, so an attention map of a full-size model costs no JSON encoding. electron/engine/torch/wire.ts
is the other side.
"""

from __future__ import annotations

import json
import struct
from typing import BinaryIO

import numpy as np

DTYPES = {"float32": "<f4", "uint8": "|u1", "int64": "<i8"}


def write_frame(out: BinaryIO, header: dict, blobs: dict[str, np.ndarray] | None = None) -> None:
    arrays = []
    listed = []
    for name, a in (blobs or {}).items():
        kind = next(k for k, v in DTYPES.items() if np.dtype(v) == a.dtype.newbyteorder("<") or np.dtype(v) == a.dtype)
        data = np.ascontiguousarray(a, dtype=DTYPES[kind]).tobytes()
        listed.append({"name": name, "dtype": kind, "shape": list(a.shape), "nbytes": len(data)})
        arrays.append(data)
    head = json.dumps({**header, "blobs": listed}, separators=(",", ":")).encode()
    out.write(struct.pack("<I", len(head)) + head)
    for data in arrays:
        out.write(data)
    out.flush()


def _read_exact(inp: BinaryIO, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = inp.read(n - got)
        if not chunk:
            raise EOFError("stream closed mid-frame" if got or chunks else "stream closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(inp: BinaryIO) -> tuple[dict, dict[str, np.ndarray]]:
    (n,) = struct.unpack("<I", _read_exact(inp, 4))
    header = json.loads(_read_exact(inp, n))
    blobs = {}
    for b in header.get("blobs", []):
        raw = _read_exact(inp, int(b["nbytes"]))
        blobs[b["name"]] = np.frombuffer(raw, dtype=DTYPES[b["dtype"]]).reshape(b["shape"])
    return header, blobs
