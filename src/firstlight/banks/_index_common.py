"""Shared pieces of Firstlight's match indexes: the hit record and payload storage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import numpy as np
from threatexchange.signal_type.index import (
    IndexMatchUntyped,
    SignalSimilarityInfoWithIntDistance,
)

__all__ = ["IndexHit", "PayloadColumn"]

T = TypeVar("T")


class IndexHit(IndexMatchUntyped[SignalSimilarityInfoWithIntDistance, T], Generic[T]):
    """A pytx ``IndexMatch`` that also behaves like the pair ``(payload, distance)``.

    Why both: pytx callers read ``.metadata`` and ``.similarity_info.distance``; Firstlight code reads
    ``for payload, distance in index.query(h)``. One object serves both without a conversion step.
    """

    __slots__ = ()

    def __init__(self, payload: T, distance: int) -> None:
        super().__init__(SignalSimilarityInfoWithIntDistance(int(distance)), payload)

    @property
    def payload(self) -> T:
        return self.metadata

    @property
    def distance(self) -> int:
        return int(self.similarity_info.distance)

    def __iter__(self) -> Iterator[Any]:
        yield self.metadata
        yield self.distance

    def __len__(self) -> int:
        return 2

    def __getitem__(self, item: int) -> Any:
        return (self.metadata, self.distance)[item]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return (self.metadata, self.distance) == other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash((self.metadata, self.distance))

    def __repr__(self) -> str:
        return f"IndexHit(payload={self.metadata!r}, distance={self.distance})"


class PayloadColumn:
    """Payloads by entry position: an int64 array while every payload is an int, else an object array.

    Why: bank entry ids are ints, and 1M of them cost 8 MB as int64 but ~36 MB as Python ints in a list;
    ``disable(payload)`` is then a vectorised compare rather than a dict of lists.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.values: np.ndarray = np.zeros(capacity, dtype=np.int64)

    @property
    def is_int(self) -> bool:
        return self.values.dtype == np.int64

    def ensure(self, capacity: int, used: int) -> None:
        if capacity > len(self.values):
            grown = np.zeros(capacity, dtype=self.values.dtype)
            if not self.is_int:
                grown = np.empty(capacity, dtype=object)
            grown[:used] = self.values[:used]
            self.values = grown

    def write(self, start: int, payloads: list[Any]) -> None:
        if self.is_int and not all(_is_int(p) for p in payloads):
            as_objects = np.empty(len(self.values), dtype=object)
            as_objects[:start] = [int(v) for v in self.values[:start]]
            self.values = as_objects
        if self.is_int:
            self.values[start : start + len(payloads)] = np.asarray(payloads, dtype=np.int64)
        else:
            column = np.empty(len(payloads), dtype=object)
            column[:] = payloads
            self.values[start : start + len(payloads)] = column

    def write_one(self, position: int, payload: Any) -> None:
        if self.is_int and _is_int(payload):
            self.values[position] = payload
        else:
            self.write(position, [payload])

    def positions_of(self, payload: Any, used: int) -> np.ndarray:
        column = self.values[:used]
        if self.is_int:
            if not _is_int(payload):
                return np.zeros(0, dtype=np.int64)
            return np.flatnonzero(column == int(payload))
        return np.flatnonzero(np.fromiter((v == payload for v in column), dtype=bool, count=used))

    def get(self, position: int) -> Any:
        value = self.values[position]
        return int(value) if self.is_int else value


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and -(2**63) <= value < 2**63
