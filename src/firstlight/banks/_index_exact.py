"""``ExactMatchIndex``: MD5/SHA-256 (and any exact-match signal) lookup with the same shape as PDQ's."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO, Generic, TypeVar

import numpy as np
from threatexchange.signal_type.index import SignalTypeIndex

from firstlight.banks._index_common import IndexHit
from firstlight.banks._index_store import read_arrays, write_arrays, write_arrays_to_path
from firstlight.errors import Invalid

__all__ = ["ExactMatchIndex"]

T = TypeVar("T")
_FILE_KIND = "exact-match-index"


class ExactMatchIndex(SignalTypeIndex[T], Generic[T]):
    """A dict from normalised signal string to payloads; hits always have distance 0.

    Payloads must be hashable (bank entry ids are ints).

    Thread-safety: the writer replaces per-key tuples (never mutates them), so readers need no lock.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[T, ...]] = {}
        self._disabled: set[Any] = set()
        self._count_by_payload: dict[Any, int] = {}
        self._count = 0
        self._write_lock = threading.Lock()

    def add(self, signal_str: str, entry: T) -> None:
        key = signal_str.strip().lower()
        with self._write_lock:
            self._entries[key] = (*self._entries.get(key, ()), entry)
            self._count_by_payload[entry] = self._count_by_payload.get(entry, 0) + 1
            self._count += 1

    def add_all(self, entries: Iterable[tuple[str, T]]) -> None:
        for signal_str, entry in entries:
            self.add(signal_str, entry)

    def disable(self, payload: T) -> int:
        """Stop matching ``payload``; returns how many entries carry it (0 if none or already off)."""
        with self._write_lock:
            if payload in self._disabled:
                return 0
            carried = self._count_by_payload.get(payload, 0)
            if carried:
                self._disabled = self._disabled | {payload}
            return carried

    def enable(self, payload: T) -> int:
        with self._write_lock:
            if payload not in self._disabled:
                return 0
            self._disabled = self._disabled - {payload}
            return self._count_by_payload.get(payload, 0)

    remove = disable

    def __len__(self) -> int:
        return self._count - sum(self._count_by_payload.get(p, 0) for p in self._disabled)

    def query(self, query: str, threshold: int = 0) -> list[IndexHit[T]]:  # type: ignore[override]
        """Entries whose signal equals ``query`` (case and surrounding space ignored), each payload once."""
        disabled = self._disabled
        hits = self._entries.get(query.strip().lower(), ())
        return [IndexHit(p, 0) for p in dict.fromkeys(hits) if p not in disabled]

    def query_batch(self, queries: Sequence[str], threshold: int = 0) -> list[list[IndexHit[T]]]:
        return [self.query(q) for q in queries]

    def save(self, path: str | os.PathLike[str]) -> None:
        write_arrays_to_path(path, _FILE_KIND, self._export(), {"none": np.zeros(0, np.uint8)})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ExactMatchIndex[Any]:
        with open(path, "rb") as fin:
            return cls.deserialize(fin)

    def serialize(self, fout: BinaryIO) -> None:
        write_arrays(fout, _FILE_KIND, self._export(), {"none": np.zeros(0, np.uint8)})

    @classmethod
    def deserialize(cls, fin: BinaryIO) -> ExactMatchIndex[Any]:
        meta, _ = read_arrays(fin, _FILE_KIND)
        index: ExactMatchIndex[Any] = cls()
        try:
            for key, payloads in meta["entries"]:
                for payload in payloads:
                    index.add(key, payload)
            for payload in meta["disabled"]:
                index.disable(payload)
        except (TypeError, ValueError, KeyError) as exc:
            raise Invalid(f"corrupt index file: {exc}") from exc
        return index

    def _export(self) -> dict[str, Any]:
        return {
            "entries": [[k, list(v)] for k, v in self._entries.items()],
            "disabled": list(self._disabled),
        }
