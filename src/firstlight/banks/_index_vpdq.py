"""``VPDQMatchIndex``: video matching by vPDQ, with frame lookup through ``PDQMatchIndex``.

Same algorithm as pytx's ``VPDQIndex``: every distinct good-quality frame hash of every banked video goes into
a PDQ index; a query's frames find candidate videos there, then each candidate is scored with the full vPDQ
rule (share of query frames matched, share of the banked video's frames matched).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Generic, TypeVar

from threatexchange.signal_type.index import (
    IndexMatchUntyped,
    SignalSimilarityInfo,
    SignalTypeIndex,
)

from firstlight.banks._index_pdq import PDQMatchIndex
from firstlight.banks._index_store import read_arrays, write_arrays, write_arrays_to_path
from firstlight.errors import Invalid
from firstlight.signals import (
    PDQ_MIN_QUALITY,
    VPDQ_DISTANCE_THRESHOLD,
    VPDQFrame,
    vpdq_from_signal_str,
    vpdq_match,
    vpdq_to_signal_str,
)

__all__ = ["VPDQMatchIndex", "VPDQSimilarity"]

T = TypeVar("T")
_FILE_KIND = "vpdq-match-index"


@dataclass
class VPDQSimilarity(SignalSimilarityInfo):
    """pytx's ``VPDQSimilarityInfo`` shape: percent of query frames and of banked frames matched."""

    query_match_percent: float
    compared_match_percent: float

    def pretty_str(self) -> str:
        return f"{self.query_match_percent:.0f}%[{self.compared_match_percent:.0f}%]"


class VPDQMatchIndex(SignalTypeIndex[T], Generic[T]):
    """Banked videos by vPDQ; ``query`` returns pytx ``IndexMatch``es with ``VPDQSimilarity``."""

    def __init__(
        self,
        *,
        query_match_percent: float = 80.0,
        compared_match_percent: float = 80.0,
    ) -> None:
        self._frames = PDQMatchIndex[int]()
        self._videos: list[tuple[list[VPDQFrame], T]] = []
        self._disabled: set[int] = set()
        self.query_match_percent = query_match_percent
        self.compared_match_percent = compared_match_percent

    def add(self, signal_str: str, entry: T) -> None:
        frames = [f for f in vpdq_from_signal_str(signal_str) if f.quality >= PDQ_MIN_QUALITY]
        video_idx = len(self._videos)
        self._videos.append((frames, entry))
        distinct = dict.fromkeys(f.pdq_hex for f in frames)
        self._frames.add_all((pdq_hex, video_idx) for pdq_hex in distinct)

    def add_all(self, entries: Iterable[tuple[str, T]]) -> None:
        for signal_str, entry in entries:
            self.add(signal_str, entry)

    def disable(self, payload: T) -> int:
        hit = {i for i, (_, p) in enumerate(self._videos) if p == payload} - self._disabled
        self._disabled = self._disabled | hit
        return len(hit)

    def enable(self, payload: T) -> int:
        back = {i for i in self._disabled if self._videos[i][1] == payload}
        self._disabled = self._disabled - back
        return len(back)

    remove = disable

    def __len__(self) -> int:
        return len(self._videos) - len(self._disabled)

    def query(self, query: str) -> list[IndexMatchUntyped[VPDQSimilarity, T]]:
        """Banked videos that pass the vPDQ rule against ``query``, best query coverage first."""
        frames = vpdq_from_signal_str(query)
        return self.query_frames(frames)

    def query_frames(
        self, frames: Sequence[VPDQFrame]
    ) -> list[IndexMatchUntyped[VPDQSimilarity, T]]:
        good = list(dict.fromkeys(f.pdq_hex for f in frames if f.quality >= PDQ_MIN_QUALITY))
        if not good:
            return []
        frame_hits = self._frames.query_batch(good, VPDQ_DISTANCE_THRESHOLD)
        votes: Counter[int] = Counter()
        for hits in frame_hits:
            votes.update({video_idx for video_idx, _ in hits})
        needed = len(good) * self.query_match_percent / 100.0
        results = []
        disabled = self._disabled
        for video_idx, count in votes.most_common():
            if count < needed or video_idx in disabled:
                continue
            banked, payload = self._videos[video_idx]
            verdict = vpdq_match(
                frames,
                banked,
                query_match_percent=self.query_match_percent,
                compared_match_percent=self.compared_match_percent,
            )
            if verdict.is_match:
                similarity = VPDQSimilarity(
                    verdict.query_match_percent, verdict.compared_match_percent
                )
                results.append(IndexMatchUntyped(similarity, payload))
        return results

    def save(self, path: str | os.PathLike[str]) -> None:
        write_arrays_to_path(path, _FILE_KIND, self._export(), {})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> VPDQMatchIndex[Any]:
        with open(path, "rb") as fin:
            return cls.deserialize(fin)

    def serialize(self, fout: BinaryIO) -> None:
        write_arrays(fout, _FILE_KIND, self._export(), {})

    @classmethod
    def deserialize(cls, fin: BinaryIO) -> VPDQMatchIndex[Any]:
        meta, _ = read_arrays(fin, _FILE_KIND)
        try:
            index: VPDQMatchIndex[Any] = cls(
                query_match_percent=float(meta["query_match_percent"]),
                compared_match_percent=float(meta["compared_match_percent"]),
            )
            for signal_str, payload in meta["videos"]:
                index.add(signal_str, payload)
            index._disabled = {int(i) for i in meta["disabled"]}
        except (TypeError, ValueError, KeyError) as exc:
            raise Invalid(f"corrupt index file: {exc}") from exc
        return index

    def _export(self) -> dict[str, Any]:
        return {
            "query_match_percent": self.query_match_percent,
            "compared_match_percent": self.compared_match_percent,
            "videos": [[vpdq_to_signal_str(frames), payload] for frames, payload in self._videos],
            "disabled": sorted(self._disabled),
        }
