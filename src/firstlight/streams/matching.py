"""Frame matchers: the banks room's matcher for live frames, and a small in-memory one.

:class:`BankFrameMatcher` keeps the hot path off the database. Each sampled frame is first looked up in the
process's in-memory index (``firstlight.banks.get_matcher``: exact recall within the threshold, microseconds
per query); only a frame with candidates opens a database session, where ``firstlight.banks.match_signals``
confirms them (entry and bank enabled, the bank's own threshold, allow-bank suppression) exactly as for
uploads. Near matches (past the bank's threshold by at most ``near_margin`` bits) are looked up for the
original orientation only, which keeps the index probe small.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import select

from firstlight.streams.analysis import FrameMatch, KnownVideo, pdq_words

__all__ = ["BankFrameMatcher", "StaticFrameMatcher"]


def _hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


class StaticFrameMatcher:
    """Matches against hashes given in memory: ``(pdq_hex, bank_name, bank_kind, entry_id, threshold)``.

    For ``firstlight watch --hashes FILE`` without a database, and for tests. Known videos are
    ``{entry_id: (bank_name, bank_kind, [pdq_hex, ...])}``.
    """

    def __init__(
        self,
        entries: Iterable[tuple[str, str, str, int, int]] = (),
        videos: dict[int, tuple[str, str, list[str]]] | None = None,
    ) -> None:
        self.entries = [(h.lower(), b, k, int(e), int(t)) for h, b, k, e, t in entries]
        self.videos = {
            eid: KnownVideo(eid, bank, kind, pdq_words([h.lower() for h in hashes]))
            for eid, (bank, kind, hashes) in (videos or {}).items()
        }

    def match_pdq(self, variants: dict[str, str], *, near_margin: int) -> list[FrameMatch]:
        best: dict[int, FrameMatch] = {}
        for variant, query in variants.items():
            for value, bank, kind, entry_id, threshold in self.entries:
                d = _hamming(value, query)
                limit = threshold + (near_margin if variant == "original" and kind == "block" else 0)
                if d > limit:
                    continue
                m = FrameMatch(bank, kind, entry_id, d, threshold, variant, "pdq", value, query)
                if entry_id not in best or best[entry_id].distance > d:
                    best[entry_id] = m
        matches = list(best.values())
        allow = [m for m in matches if m.bank_kind == "allow" and m.within_threshold]
        out = []
        for m in matches:
            if m.bank_kind == "block" and m.within_threshold:
                sup = [a for a in allow if a.distance <= m.distance]
                if sup:
                    m = FrameMatch(**{**m.__dict__, "suppressed_by":
                                      f"allow bank '{sup[0].bank_name}' entry {sup[0].entry_id}"})
            out.append(m)
        return out

    def video_candidates(self, pdq_hex: str) -> list[int]:
        q = pdq_words([pdq_hex.lower()])
        return [
            eid for eid, v in self.videos.items()
            if len(v.frames) and int(np.bitwise_count(v.frames ^ q).sum(axis=1).min()) <= 31
        ]

    def known_video(self, entry_id: int) -> KnownVideo | None:
        return self.videos.get(entry_id)


class BankFrameMatcher:
    """The banks room's matcher, shaped for live frames (see the module docstring)."""

    BANK_TTL_S = 2.0
    VIDEO_CACHE = 256

    def __init__(self, db: Any) -> None:
        from firstlight.banks import get_matcher

        self.db = db
        self.matcher = get_matcher(db)
        self._banks: dict[int, tuple[str, str, int, bool]] = {}
        self._banks_at = 0.0
        self._videos: OrderedDict[int, KnownVideo | None] = OrderedDict()
        self._lock = threading.Lock()

    # --- banks -------------------------------------------------------------------------------------------

    def _bank_info(self) -> dict[int, tuple[str, str, int, bool]]:
        now = time.monotonic()
        if now - self._banks_at < self.BANK_TTL_S and self._banks:
            return self._banks
        from firstlight.banks.models import Bank

        with self.db.session() as session:
            rows = session.execute(select(Bank.id, Bank.name, Bank.kind, Bank.thresholds, Bank.enabled))
            info = {
                r.id: (r.name, r.kind, int((r.thresholds or {}).get("pdq", 31)), bool(r.enabled))
                for r in rows
            }
        self._banks, self._banks_at = info, now
        return info

    # --- FrameMatcher ------------------------------------------------------------------------------------

    def match_pdq(self, variants: dict[str, str], *, near_margin: int) -> list[FrameMatch]:
        from firstlight.signals import Signal

        banks = self._bank_info()
        enabled = [b for b in banks.values() if b[3]]
        if not enabled:
            return []
        max_t = min(31, max(b[2] for b in enabled))
        near_t = min(256, max_t + max(0, near_margin))
        queries = [Signal("pdq", h, 100, {"dihedral": name}) for name, h in variants.items()]
        original = [q for q in queries if q.extra["dihedral"] == "original"]
        others = [q for q in queries if q.extra["dihedral"] != "original"]
        self.matcher.ensure_loaded()
        candidates = list(self.matcher.candidates(original, pdq_threshold=near_t))
        if others:
            candidates += self.matcher.candidates(others, pdq_threshold=max_t)
        if not candidates:
            return []  # the common case: no database round trip
        return self._confirm(candidates, queries, banks)

    def _confirm(self, candidates: list[Any], queries: list[Any], banks: dict) -> list[FrameMatch]:
        from firstlight.banks import match_signals
        from firstlight.banks.models import BankEntry

        close = {c.query.value for c in candidates}
        out: dict[int, FrameMatch] = {}
        with self.db.session() as session:
            report = match_signals(session, [q for q in queries if q.value in close])
            for m in report.matches:
                if m.signal_type != "pdq":
                    continue
                variant = str((m.detail or {}).get("dihedral", "original"))
                sup = m.suppressed_by
                fm = FrameMatch(
                    bank_name=m.bank_name, bank_kind=m.bank_kind, entry_id=m.entry_id,
                    distance=m.distance, threshold=m.threshold, variant=variant,
                    matched_signal=m.matched_signal, query_signal=m.query_signal,
                    category=m.category,
                    suppressed_by=None if sup is None else
                    f"allow bank '{sup.bank_name}' entry {sup.entry_id} (distance {sup.distance})",
                )
                if m.entry_id not in out or out[m.entry_id].distance > fm.distance:
                    out[m.entry_id] = fm
            near = {
                c.entry_id: c for c in candidates
                if c.entry_id not in out and c.query.extra.get("dihedral") == "original"
            }
            if near:
                rows = session.execute(
                    select(BankEntry.id, BankEntry.bank_id, BankEntry.enabled).where(
                        BankEntry.id.in_(sorted(near))
                    )
                )
                for r in rows:
                    bank = banks.get(r.bank_id)
                    if not r.enabled or bank is None or not bank[3] or bank[1] != "block":
                        continue
                    c = near[r.id]
                    if c.distance <= bank[2]:
                        continue  # within threshold but not confirmed: leave it to match_signals
                    out[r.id] = FrameMatch(
                        bank_name=bank[0], bank_kind=bank[1], entry_id=r.id, distance=c.distance,
                        threshold=bank[2], variant="original", query_signal=c.query.value,
                    )
        return list(out.values())

    def video_candidates(self, pdq_hex: str) -> list[int]:
        from firstlight.signals import Signal, VPDQFrame, vpdq_to_signal_str

        if not self.matcher.stats().get("vpdq_frames"):
            self.matcher.ensure_loaded()
            if not self.matcher.stats().get("vpdq_frames"):
                return []
        probe = Signal("vpdq", vpdq_to_signal_str([VPDQFrame(pdq_hex, 100, 0.0)]))
        return sorted({c.entry_id for c in self.matcher.candidates([probe], pdq_threshold=31)})

    def known_video(self, entry_id: int) -> KnownVideo | None:
        with self._lock:
            if entry_id in self._videos:
                self._videos.move_to_end(entry_id)
                return self._videos[entry_id]
        video = self._load_video(entry_id)
        with self._lock:
            self._videos[entry_id] = video
            while len(self._videos) > self.VIDEO_CACHE:
                self._videos.popitem(last=False)
        return video

    def _load_video(self, entry_id: int) -> KnownVideo | None:
        from firstlight.banks.models import BankEntry, BankSignal
        from firstlight.signals import vpdq_from_signal_str

        banks = self._bank_info()
        with self.db.session() as session:
            entry = session.execute(
                select(BankEntry.bank_id, BankEntry.enabled).where(BankEntry.id == entry_id)
            ).first()
            value = session.scalar(
                select(BankSignal.value).where(
                    BankSignal.entry_id == entry_id, BankSignal.signal_type == "vpdq"
                )
            )
        if entry is None or not entry.enabled or value is None:
            return None
        bank = banks.get(entry.bank_id)
        if bank is None or not bank[3]:
            return None
        frames = [f.pdq_hex for f in vpdq_from_signal_str(value) if f.quality >= 50]
        return KnownVideo(entry_id, bank[0], bank[1], pdq_words(list(dict.fromkeys(frames))))
