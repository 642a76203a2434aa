"""The on-disk form of an index: a small JSON header and raw little-endian arrays, written atomically.

Why not pickle (pytx's default ``serialize``): pickle executes code on load, so a tampered index file in the
data dir would be code execution; and raw arrays load with one read each (~0.1 s for 1M PDQ hashes).
Payloads that are not ints are stored as JSON, so they must be JSON-serialisable.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from firstlight.errors import Invalid

__all__ = ["read_arrays", "write_arrays", "write_arrays_to_path"]

MAGIC = b"FLIDX001"


def write_arrays(
    out: BinaryIO, kind: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Write ``arrays`` (C-contiguous, fixed dtype) after a header naming each one's dtype and shape."""
    specs = {
        name: {"dtype": array.dtype.str, "shape": list(array.shape)} for name, array in arrays.items()
    }
    header = json.dumps({"kind": kind, "meta": meta, "arrays": specs}).encode()
    out.write(MAGIC)
    out.write(len(header).to_bytes(8, "little"))
    out.write(header)
    for array in arrays.values():
        out.write(np.ascontiguousarray(array).tobytes())


def write_arrays_to_path(
    path: str | os.PathLike[str], kind: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """``write_arrays`` to a temp file beside ``path``, fsync, rename: readers never see half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write_arrays(out, kind, meta, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_arrays(fin: BinaryIO, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read what ``write_arrays`` wrote; ``Invalid`` for a wrong kind, a truncated or corrupt file."""
    if fin.read(len(MAGIC)) != MAGIC:
        raise Invalid("not a Firstlight index file")
    try:
        header_len = int.from_bytes(fin.read(8), "little")
        if not 0 < header_len < 1 << 24:
            raise ValueError("bad header length")
        header = json.loads(fin.read(header_len))
        if header.get("kind") != kind:
            raise ValueError(f"file holds a {header.get('kind')!r} index, not {kind!r}")
        arrays = {}
        for name, spec in header["arrays"].items():
            dtype = np.dtype(spec["dtype"])
            if dtype.hasobject:
                raise ValueError("object arrays are not allowed")
            shape = tuple(int(n) for n in spec["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            array = np.empty(count, dtype=dtype)
            if count and fin.readinto(array.view(np.uint8).data) != array.nbytes:
                raise ValueError(f"file is truncated in array {name!r}")
            arrays[name] = array.reshape(shape)
        return header["meta"], arrays
    except (ValueError, KeyError, TypeError) as exc:
        raise Invalid(f"corrupt index file: {exc}") from exc
