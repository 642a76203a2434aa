"""The in-memory matcher: one per process and database, kept in step with the banks without rebuilds.

It holds a PDQ index, one exact index per hash family (MD5, SHA-256) and a PDQ index of vPDQ frames, each
filled with the signals of enabled entries and keyed by entry id. It stays current three ways:

* **This process**: when a transaction that changed entries commits, the change goes straight into the
  indexes (``_deliver_local``), so a hash added here matches on the next query.
* **Other processes**: before a lookup, at most every ``poll_seconds``, it reads new rows of the
  ``bank_changes`` log and applies them one entry run at a time (no full rebuild). Ids that are missing
  from the log (a transaction that took its id but has not committed yet) are remembered and read again
  until they appear or are clearly rolled back, so an out-of-order commit on PostgreSQL is never skipped.
* **Start-up**: it loads the last saved snapshot from the data dir (``save``) and reads only the log rows
  written since; without a usable snapshot it builds from the tables once.

The index only proposes candidates. Every candidate is then read from the database in the caller's session
(entry enabled, bank enabled, per-bank threshold, bank kind), so a stale index can delay a new match by at
most one poll but can never produce a wrong one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firstlight.banks._changes import LocalChanges
from firstlight.banks._signal_types import MAX_THRESHOLDS, is_exact, normalise_signal
from firstlight.banks.models import Bank, BankChange, BankEntry, BankMeta, BankSignal
from firstlight.banks.report import BankMatch, MatchReport, apply_allow_suppression
from firstlight.errors import Invalid

__all__ = ["Matcher", "get_matcher", "match_bytes", "match_signals"]

log = logging.getLogger(__name__)

# Disabling one id costs a scan of the index (~1 ms per million PDQ hashes, more for exact indexes), so
# when one poll removes more entries than this (a deleted bank), building afresh is the faster way.
MASS_REMOVAL = 2000
GAP_TTL_SECONDS = 300.0  # a change id still missing after this long was rolled back
BUILD_GAP_WINDOW = 1000  # on a fresh build, look this far back for uncommitted change ids
EXACT_FAMILIES = {
    "md5": "md5",
    "photo_md5": "md5",
    "video_md5": "md5",
    "sha256": "sha256",
    "photo_sha256": "sha256",
    "video_sha256": "sha256",
}
SNAPSHOT_FORMAT = 1
AUTOSAVE_MIN_HASHES = 10_000  # after a build from the tables, save a snapshot when the index is this big
SNAPSHOT_KEEP_SECONDS = 600  # older snapshots are removed once this old (another process may be reading)
# vPDQ uses pytx's fixed rule (frames within 31 bits; >= 80% of the query's and of the entry's frames).
# Its "distance" is 100 minus the smaller of the two percentages, so the rule reads distance <= 20.
VPDQ_THRESHOLD = 20


def _family(signal_type: str) -> str:
    return EXACT_FAMILIES.get(signal_type, signal_type)


def _new_pdq_index() -> Any:
    from firstlight.banks.index import PDQMatchIndex

    return PDQMatchIndex()


def _new_exact_index() -> Any:
    from firstlight.banks.index import ExactMatchIndex

    return ExactMatchIndex()


class _Bitmap:
    """Which entry ids are in the indexes: one bit per id (a million entries cost 125 KB)."""

    def __init__(self, data: bytes = b"") -> None:
        self._bits = bytearray(data)

    def __contains__(self, i: int) -> bool:
        byte = i >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (i & 7)))

    def add(self, i: int) -> None:
        byte = i >> 3
        if byte >= len(self._bits):
            self._bits.extend(b"\0" * max(byte + 1 - len(self._bits), len(self._bits) // 2))
        self._bits[byte] |= 1 << (i & 7)

    def discard(self, i: int) -> None:
        byte = i >> 3
        if byte < len(self._bits):
            self._bits[byte] &= ~(1 << (i & 7)) & 0xFF

    def to_bytes(self) -> bytes:
        return bytes(self._bits)


@dataclass
class _Indexes:
    """The indexes of one generation. A rebuild fills a new one and swaps it in with one assignment, so
    lookups running meanwhile keep using the old one instead of seeing a half-filled index."""

    pdq: Any
    vpdq: Any
    exact: dict[str, Any]
    indexed: _Bitmap

    @classmethod
    def empty(cls) -> _Indexes:
        return cls(_new_pdq_index(), _new_pdq_index(), {}, _Bitmap())

    def all(self) -> list[Any]:
        return [self.pdq, self.vpdq, *self.exact.values()]


@dataclass(frozen=True)
class _Candidate:
    query: Any
    entry_id: int
    distance: int
    detail: dict[str, Any] | None = None


def _index_signal(ix: _Indexes, entry_id: int, signal_type: str, value: str) -> None:
    if signal_type == "pdq":
        index = ix.pdq
    elif signal_type == "vpdq":
        from firstlight.signals import PDQ_MIN_QUALITY, vpdq_from_signal_str

        try:
            frames = vpdq_from_signal_str(value)
        except Invalid:
            log.warning("bank entry %s has an unreadable vPDQ signal; not indexed", entry_id)
            return
        good = dict.fromkeys(f.pdq_hex for f in frames if f.quality >= PDQ_MIN_QUALITY)
        ix.vpdq.add_all((h, entry_id) for h in good)
        ix.indexed.add(entry_id)
        return
    elif is_exact(signal_type):
        fam = _family(signal_type)
        index = ix.exact.get(fam)
        if index is None:
            index = ix.exact[fam] = _new_exact_index()
    else:
        return
    try:
        index.add(value, entry_id)
    except Invalid:
        log.warning("bank entry %s has an unreadable %s signal; not indexed", entry_id, signal_type)
        return
    ix.indexed.add(entry_id)


class Matcher:
    """Indexes of every enabled bank entry for one database; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        *,
        index_dir: Path | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._engine_ref = weakref.ref(engine)  # weak: the registry must not keep dead databases alive
        self.index_dir = Path(index_dir) if index_dir else None
        self.poll_seconds = poll_seconds
        self._lock = threading.RLock()
        self._loaded = False
        self._ix = _Indexes.empty()
        self._cursor = 0
        self._gaps: dict[int, float] = {}
        self._last_poll = 0.0
        self._force_poll = False
        self._epoch: str | None = None
        self.loaded_from: str | None = None

    @property
    def engine(self) -> Engine:
        engine = self._engine_ref()
        if engine is None:
            raise RuntimeError("the database of this matcher is gone")
        return engine

    # --- loading ---------------------------------------------------------------------------------------

    def ensure_loaded(self) -> None:
        """Load the saved snapshot, or build from the tables; then catch up with the change log."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._epoch = self._db_epoch()
            built = not self._load_snapshot()
            if built:
                self._build()
            self._loaded = True
        self.sync(force=True)
        if built and self.index_dir is not None and len(self._ix.pdq) >= AUTOSAVE_MIN_HASHES:
            try:
                self.save()
            except OSError:
                log.warning("could not save a bank index snapshot in %s", self.index_dir, exc_info=True)

    def _db_epoch(self) -> str:
        """A random id stored in the database, so a snapshot is never applied to another database."""
        with Session(self.engine) as session:
            value = session.get(BankMeta, "index_epoch")
            if value is not None:
                return value.value
            epoch = uuid.uuid4().hex
            try:
                session.execute(insert(BankMeta), [{"key": "index_epoch", "value": epoch}])
                session.commit()
                return epoch
            except IntegrityError:
                session.rollback()
                row = session.get(BankMeta, "index_epoch")
                assert row is not None
                return row.value

    def _build(self) -> None:
        started = time.perf_counter()
        ix = _Indexes.empty()
        with Session(self.engine) as session:
            top = session.execute(select(func.max(BankChange.id))).scalar() or 0
            present = set(
                session.execute(select(BankChange.id).where(BankChange.id > top - BUILD_GAP_WINDOW)).scalars()
            )
            now = time.monotonic()
            gaps = {i: now for i in range(max(1, top - BUILD_GAP_WINDOW + 1), top + 1) if i not in present}
            rows = session.execute(
                select(BankSignal.entry_id, BankSignal.signal_type, BankSignal.value)
                .join(BankEntry, BankEntry.id == BankSignal.entry_id)
                .where(BankEntry.enabled.is_(True))
                .execution_options(yield_per=20_000)
            )
            for entry_id, st, value in rows:
                _index_signal(ix, entry_id, st, value)
        self._ix, self._cursor, self._gaps = ix, top, gaps
        self.loaded_from = "database"
        log.info("bank matcher built in %.2fs: %s", time.perf_counter() - started, self.stats())

    # --- applying changes ------------------------------------------------------------------------------

    def _add_entry(self, entry_id: int, pairs: Iterable[tuple[str, str]]) -> None:
        ix = self._ix
        if entry_id in ix.indexed:
            return
        # An entry's signals never change, so a re-enabled entry revives the rows it had.
        if sum(index.enable(entry_id) for index in ix.all()):
            ix.indexed.add(entry_id)
            return
        for st, value in pairs:
            _index_signal(ix, entry_id, st, value)

    def _remove_entry(self, entry_id: int) -> None:
        ix = self._ix
        if entry_id not in ix.indexed:
            return
        for index in ix.all():
            index.disable(entry_id)
        ix.indexed.discard(entry_id)

    def _removal_count(self, ids: Iterable[int]) -> int:
        return sum(1 for i in ids if i in self._ix.indexed)

    def apply_local(self, changes: LocalChanges) -> None:
        """Apply changes committed by this process (called from the commit hook)."""
        if not self._loaded:
            return
        # Never make a committing thread wait for a build or a long poll: if the index is busy, the next
        # lookup reads these changes from the log instead.
        if not self._lock.acquire(blocking=False):
            self._force_poll = True
            return
        try:
            if changes.overflow:
                self._force_poll = True  # too many to carry: the next lookup reads the log
            if self._removal_count(changes.removed) > MASS_REMOVAL:
                self._force_poll = True  # the next lookup rebuilds (see ``MASS_REMOVAL``)
            else:
                for eid in changes.removed:
                    self._remove_entry(eid)
            for eid, pairs in changes.added.items():
                self._add_entry(eid, pairs)
        finally:
            self._lock.release()

    def sync(self, *, force: bool = False) -> int:
        """Read and apply change-log rows written since the last poll; returns how many were applied."""
        if not self._loaded:
            self.ensure_loaded()
            return 0
        now = time.monotonic()
        if not (force or self._force_poll) and now - self._last_poll < self.poll_seconds:
            return 0
        # A lookup never waits for another thread's poll or rebuild: it answers from the current index.
        if not self._lock.acquire(blocking=force):
            return 0
        try:
            return self._sync_locked(now)
        finally:
            self._lock.release()

    def _sync_locked(self, now: float) -> int:
        self._force_poll = False
        self._last_poll = now
        with Session(self.engine) as session:
            q = select(BankChange).where(BankChange.id > self._cursor)
            rows = list(session.execute(q.order_by(BankChange.id)).scalars())
            if self._gaps:
                gap_ids = sorted(self._gaps)
                for i in range(0, len(gap_ids), 500):
                    rows.extend(
                        session.execute(
                            select(BankChange).where(BankChange.id.in_(gap_ids[i : i + 500]))
                        ).scalars()
                    )
            rows.sort(key=lambda r: r.id)
            removals = sum(
                r.entry_hi - r.entry_lo + 1
                for r in rows
                if r.op in ("disable", "delete") and r.entry_lo is not None and r.entry_hi is not None
            )
            if removals > MASS_REMOVAL:
                session.close()
                self._build()
                return len(rows)
            for row in rows:
                self._apply_row(session, row)
                self._gaps.pop(row.id, None)
            if rows:
                top = max(self._cursor, rows[-1].id)
                seen = {r.id for r in rows}
                for i in range(self._cursor + 1, top):
                    if i not in seen:
                        self._gaps.setdefault(i, now)
                self._cursor = top
            self._gaps = {i: t for i, t in self._gaps.items() if now - t < GAP_TTL_SECONDS}
        return len(rows)

    def _apply_row(self, session: Session, row: BankChange) -> None:
        if row.entry_lo is None or row.entry_hi is None:
            return  # bank-level change: thresholds and kinds are read at match time
        lo, hi = row.entry_lo, row.entry_hi
        if row.op in ("add", "enable"):
            signals: dict[int, list[tuple[str, str]]] = {}
            q = (
                select(BankSignal.entry_id, BankSignal.signal_type, BankSignal.value)
                .join(BankEntry, BankEntry.id == BankSignal.entry_id)
                .where(BankEntry.id.between(lo, hi), BankEntry.enabled.is_(True))
                .execution_options(yield_per=20_000)
            )
            for eid, st, value in session.execute(q):
                signals.setdefault(eid, []).append((st, value))
            for eid, pairs in signals.items():
                self._add_entry(eid, pairs)
        else:
            for eid in range(lo, hi + 1):
                self._remove_entry(eid)

    # --- snapshots -------------------------------------------------------------------------------------

    def save(self, index_dir: Path | None = None) -> Path:
        """Write a snapshot (indexes, cursor, pending ids) that a later start loads instead of building."""
        target = Path(index_dir or self.index_dir or "")
        if not str(target):
            raise Invalid("no index folder configured for the matcher snapshot")
        self.ensure_loaded()
        with self._lock:
            target.mkdir(parents=True, exist_ok=True)
            snap = target / f"snapshot-{self._cursor}-{uuid.uuid4().hex[:8]}"
            snap.mkdir()
            ix = self._ix
            ix.pdq.save(snap / "pdq.idx")
            ix.vpdq.save(snap / "vpdq.idx")
            for fam, index in ix.exact.items():
                index.save(snap / f"exact-{fam}.idx")
            (snap / "indexed.bin").write_bytes(ix.indexed.to_bytes())
            state = {
                "format": SNAPSHOT_FORMAT,
                "epoch": self._epoch,
                "cursor": self._cursor,
                "gaps": sorted(self._gaps),
                "exact": sorted(ix.exact),
                "saved_at": time.time(),
            }
            (snap / "state.json").write_text(json.dumps(state))
            tmp = target / f".CURRENT.{os.getpid()}"
            tmp.write_text(snap.name)
            os.replace(tmp, target / "CURRENT")
            for old in target.glob("snapshot-*"):
                try:
                    stale = time.time() - old.stat().st_mtime > SNAPSHOT_KEEP_SECONDS
                except OSError:
                    continue
                if old != snap and stale:
                    shutil.rmtree(old, ignore_errors=True)
        return snap

    def _load_snapshot(self) -> bool:
        if self.index_dir is None:
            return False
        pointer = self.index_dir / "CURRENT"
        try:
            snap = self.index_dir / pointer.read_text().strip()
            state = json.loads((snap / "state.json").read_text())
        except (OSError, ValueError):
            return False
        if state.get("format") != SNAPSHOT_FORMAT or state.get("epoch") != self._epoch:
            log.info("bank matcher snapshot in %s is for another database; rebuilding", snap)
            return False
        with Session(self.engine) as session:
            top = session.execute(select(func.max(BankChange.id))).scalar() or 0
        if state["cursor"] > top:
            return False
        try:
            from firstlight.banks.index import ExactMatchIndex, PDQMatchIndex

            pdq = PDQMatchIndex.load(snap / "pdq.idx")
            vpdq = PDQMatchIndex.load(snap / "vpdq.idx")
            exact = {fam: ExactMatchIndex.load(snap / f"exact-{fam}.idx") for fam in state["exact"]}
            indexed = _Bitmap((snap / "indexed.bin").read_bytes())
        except Exception:
            log.exception("bank matcher snapshot %s is unreadable; rebuilding", snap)
            return False
        self._ix = _Indexes(pdq, vpdq, exact, indexed)
        self._cursor = int(state["cursor"])
        now = time.monotonic()
        self._gaps = {int(i): now for i in state.get("gaps", [])}
        self.loaded_from = str(snap)
        return True

    # --- lookups ---------------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        ix = self._ix
        return {
            "pdq": len(ix.pdq),
            "vpdq_frames": len(ix.vpdq),
            **{fam: len(index) for fam, index in ix.exact.items()},
            "cursor": self._cursor,
            "pending_ids": len(self._gaps),
            "loaded_from": self.loaded_from,
        }

    def candidates(self, signals: Sequence[Any], *, pdq_threshold: int) -> list[_Candidate]:
        """Entries whose indexed signals are near the query signals (not yet checked against the DB)."""
        self.ensure_loaded()
        self.sync()
        ix = self._ix
        out: list[_Candidate] = []
        pdq = [s for s in signals if s.signal_type == "pdq"]
        if pdq:
            results = ix.pdq.query_batch([s.value for s in pdq], pdq_threshold)
            for s, hits in zip(pdq, results, strict=True):
                out.extend(_Candidate(s, int(eid), int(d)) for eid, d in hits)
        for s in signals:
            if s.signal_type == "vpdq":
                out.extend(_vpdq_candidates(ix, s))
            elif s.signal_type != "pdq" and is_exact(s.signal_type):
                index = ix.exact.get(_family(s.signal_type))
                if index is not None:
                    out.extend(_Candidate(s, int(eid), 0) for eid, _ in index.query(s.value))
        return out


def _vpdq_candidates(ix: _Indexes, signal: Any) -> list[_Candidate]:
    """Videos with a frame within 31 bits of enough of the query's frames to possibly pass the rule
    (the rule itself is checked against the stored frames in ``_verify``). A one-frame query gives
    every video holding a near frame, which is what live-stream matching asks."""
    from firstlight.signals import PDQ_MIN_QUALITY, VPDQ_QUERY_MATCH_PERCENT, vpdq_from_signal_str

    frames = vpdq_from_signal_str(signal.value)
    hashes = list(dict.fromkeys(f.pdq_hex for f in frames if f.quality >= PDQ_MIN_QUALITY))
    if not hashes:
        return []
    votes: dict[int, int] = {}
    for hits in ix.vpdq.query_batch(hashes, 31):
        for eid in {int(eid) for eid, _ in hits}:
            votes[eid] = votes.get(eid, 0) + 1
    needed = len(hashes) * VPDQ_QUERY_MATCH_PERCENT / 100.0
    return [_Candidate(signal, eid, 0) for eid, n in sorted(votes.items()) if n >= needed]


# --- one matcher per database, per process -----------------------------------------------------------------

_MATCHERS: weakref.WeakKeyDictionary[Engine, Matcher] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def get_matcher(db: Any, *, index_dir: Path | str | None = None) -> Matcher:
    """This process's matcher for a ``Database`` (or engine); created on first use.

    ``index_dir`` names the folder of saved snapshots. By default it is ``<data_dir>/indexes`` when ``db`` is
    the configured database (what ``serve``, ``scan`` and the pipeline use), and none otherwise (tests and
    other databases build from the tables on first use; ``save`` then needs a folder argument).
    """
    engine: Engine = getattr(db, "engine", db)
    if index_dir is None:
        index_dir = _default_index_dir(engine)
    with _REGISTRY_LOCK:
        matcher = _MATCHERS.get(engine)
        if matcher is None:
            matcher = _MATCHERS[engine] = Matcher(engine, index_dir=Path(index_dir) if index_dir else None)
        elif index_dir and matcher.index_dir is None:
            matcher.index_dir = Path(index_dir)
    return matcher


def _default_index_dir(engine: Engine) -> Path | None:
    try:
        from firstlight.config import get_settings
        from firstlight.store.db import normalise_url

        settings = get_settings()
        configured = normalise_url(settings.resolved_database_url)
        if engine.url.render_as_string(hide_password=False) == configured:
            return settings.data_dir / "indexes"
    except Exception:  # settings that cannot be read must not stop matching
        return None
    return None


def _deliver_local(engine: Engine, changes: LocalChanges) -> None:
    matcher = _MATCHERS.get(engine)
    if matcher is not None:
        matcher.apply_local(changes)


def _session_engine(session: Session) -> Engine:
    bind: Any = session.get_bind()
    return getattr(bind, "engine", bind)


# --- the public lookups ------------------------------------------------------------------------------------


def _query_signals(signals: Iterable[Any]) -> tuple[list[Any], list[str]]:
    """The signals worth looking up, normalised, and notes on those left out."""
    usable: list[Any] = []
    notes: list[str] = []
    for s in signals:
        if not getattr(s, "matchable", True):
            notes.append(f"{s.signal_type} of quality {s.quality} not matched (below 50: too flat to match)")
            continue
        st, value = normalise_signal(s.signal_type, s.value)
        if (st, value) != (s.signal_type, s.value):
            s = _Query(st, value, getattr(s, "quality", None), dict(getattr(s, "extra", None) or {}))
        usable.append(s)
    return usable, notes


@dataclass(frozen=True)
class _Query:
    """A query signal (same fields as ``firstlight.signals.Signal``)."""

    signal_type: str
    value: str
    quality: int | None = None
    extra: dict[str, Any] | None = None

    @property
    def matchable(self) -> bool:
        return not (self.signal_type == "pdq" and self.quality is not None and self.quality < 50)


def match_signals(session: Session, signals: Sequence[Any]) -> MatchReport:
    """Look signals up in every enabled bank; each match names bank, entry, distance and threshold."""
    usable, notes = _query_signals(signals)
    matcher = get_matcher(_session_engine(session))
    banks = {b.id: b for b in session.execute(select(Bank)).scalars()}
    pdq_threshold = max(
        [int((b.thresholds or {}).get("pdq", 31)) for b in banks.values() if b.enabled] or [0]
    )
    candidates = matcher.candidates(usable, pdq_threshold=min(pdq_threshold, MAX_THRESHOLDS["pdq"]))
    matches = _confirm(session, banks, candidates) if candidates else []
    matches = apply_allow_suppression(matches)
    kind_order = {"block": 0, "allow": 1, "survivor": 2}
    matches.sort(key=lambda m: (kind_order.get(m.bank_kind, 9), m.distance, m.entry_id))
    return MatchReport(signals=tuple(signals), matches=tuple(matches), notes=tuple(notes))


def _confirm(session: Session, banks: dict[int, Bank], candidates: list[_Candidate]) -> list[BankMatch]:
    """Candidates that really match: entry enabled, bank enabled, within the bank's threshold."""
    from firstlight.banks.service import DEFAULT_THRESHOLDS

    ids = sorted({c.entry_id for c in candidates})
    entries: dict[int, Any] = {}
    signals: dict[int, dict[str, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for e in session.execute(
            select(
                BankEntry.id,
                BankEntry.bank_id,
                BankEntry.enabled,
                BankEntry.source,
                BankEntry.category_iwf,
                BankEntry.category_ncmec,
            ).where(BankEntry.id.in_(chunk))
        ):
            entries[e.id] = e
        for eid, st, value in session.execute(
            select(BankSignal.entry_id, BankSignal.signal_type, BankSignal.value).where(
                BankSignal.entry_id.in_(chunk)
            )
        ):
            signals.setdefault(eid, {})[st] = value
    out: dict[tuple[int, str, str], BankMatch] = {}
    for c in candidates:
        e = entries.get(c.entry_id)
        if e is None or not e.enabled:
            continue
        bank = banks.get(e.bank_id)
        if bank is None or not bank.enabled:
            continue
        stored = signals.get(e.id, {})
        matched_type, matched_value, distance, detail = _verify(c, stored)
        if matched_type is None:
            continue
        if matched_type == "vpdq":
            threshold = VPDQ_THRESHOLD
        elif is_exact(matched_type):
            threshold = 0
        else:
            threshold = int(
                (bank.thresholds or {}).get(matched_type, DEFAULT_THRESHOLDS.get(matched_type, 31))
            )
        if distance > threshold:
            continue
        if c.query.extra:
            detail = {**(detail or {}), **dict(c.query.extra)}
        if e.category_iwf and e.category_ncmec:  # ``category`` holds one scale; keep both here
            detail = {**(detail or {}), "category_iwf": e.category_iwf, "category_ncmec": e.category_ncmec}
        m = BankMatch(
            bank_name=bank.name,
            bank_kind=bank.kind,
            entry_id=e.id,
            signal_type=matched_type,
            matched_signal=matched_value,
            query_signal=c.query.value,
            distance=distance,
            threshold=threshold,
            category=e.category_ncmec or (f"iwf:{e.category_iwf}" if e.category_iwf else None),
            source=e.source,
            detail=detail,
        )
        key = (e.id, matched_type, c.query.value)
        if key not in out or out[key].distance > m.distance:
            out[key] = m
    return list(out.values())


def _verify(c: _Candidate, stored: dict[str, str]) -> tuple[str | None, str, int, dict[str, Any] | None]:
    """Which stored signal the candidate matched, and the distance, re-checked from the stored value."""
    q = c.query
    if q.signal_type == "pdq":
        value = stored.get("pdq")
        if value is None:
            return None, "", 0, None
        distance = bin(int(value, 16) ^ int(q.value, 16)).count("1")
        return "pdq", value, distance, None
    if q.signal_type == "vpdq":
        value = stored.get("vpdq")
        if value is None:
            return None, "", 0, None
        from firstlight.signals import vpdq_from_signal_str, vpdq_match

        result = vpdq_match(vpdq_from_signal_str(q.value), vpdq_from_signal_str(value))
        if not result.is_match:
            return None, "", 0, None
        q_pct, c_pct = result.query_match_percent, result.compared_match_percent
        detail = {"query_match_percent": round(q_pct, 1), "compared_match_percent": round(c_pct, 1)}
        return "vpdq", value, round(100 - min(q_pct, c_pct)), detail
    fam = _family(q.signal_type)
    for st, value in stored.items():
        if _family(st) == fam and value == q.value:
            return st, value, 0, None
    return None, "", 0, None


def match_bytes(session: Session, data: bytes, *, dihedral: bool = False) -> MatchReport:
    """Hash media bytes (``firstlight.signals.hash_bytes``) and look the signals up."""
    from firstlight.signals import hash_bytes

    return match_signals(session, hash_bytes(data, dihedral=dihedral))


def signals_from_pairs(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Query signals from ``(type, value)`` pairs (hash strings given by an API caller or the CLI)."""
    out = []
    for st, value in pairs:
        st, value = normalise_signal(st, value)
        out.append(_Query(st, value))
    return out
