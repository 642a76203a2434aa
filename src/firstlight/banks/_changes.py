"""The bank change log, and handing committed changes to this process's matcher.

A service that changes what can match writes rows to ``bank_changes`` in the caller's transaction: one row
per run of consecutive entry ids (a bulk import of a million entries writes a handful of rows, not a
million). It also notes the change, with the signals when it has them, in ``session.info``; when that
session commits, the note goes straight to the matcher of the same database in this process, so a hash
added here matches on the next query. A rollback drops the note. Other processes read the rows.

Order matters only per entry, and the services update the entry row *before* they append its change row:
two transactions that touch one entry are serialised by the row lock, so their change ids follow their
commit order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from firstlight.banks.models import BankChange
from firstlight.store.db import utcnow

__all__ = ["LocalChanges", "record", "record_entries", "runs"]

_KEY = "firstlight.banks.changes"
MAX_LOCAL_SIGNALS = 50_000  # beyond this a commit just asks the matcher to read the log


@dataclass
class LocalChanges:
    """Changes made in one transaction of this process, waiting for its commit."""

    added: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    banks: set[int] = field(default_factory=set)
    overflow: bool = False  # too many to carry: the matcher should read the log instead

    def note_added(self, entry_id: int, pairs: Sequence[tuple[str, str]] | None) -> None:
        self.removed.discard(entry_id)
        if pairs is None or self.overflow:
            self.overflow = True
            return
        self.added[entry_id] = list(pairs)
        if len(self.added) > MAX_LOCAL_SIGNALS:
            self.added.clear()
            self.overflow = True

    def note_removed(self, entry_id: int) -> None:
        self.added.pop(entry_id, None)
        self.removed.add(entry_id)


def runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted ids as inclusive ``(lo, hi)`` runs of consecutive values."""
    out: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if out and i == out[-1][1] + 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def _local(session: Session) -> LocalChanges:
    changes = session.info.get(_KEY)
    if changes is None:
        changes = session.info[_KEY] = LocalChanges()
    return changes


def record(session: Session, op: str, *, bank_id: int | None = None) -> None:
    """A change that is not about particular entries (a bank created, changed or deleted)."""
    session.execute(insert(BankChange), [{"op": op, "bank_id": bank_id, "at": utcnow()}])
    if bank_id is not None:
        _local(session).banks.add(bank_id)


def record_entries(
    session: Session,
    op: str,
    entry_ids: Sequence[int],
    *,
    bank_id: int | None = None,
    signals: Mapping[int, Sequence[tuple[str, str]]] | None = None,
) -> None:
    """Entries added, enabled (``signals`` carries their hashes where known), disabled or deleted."""
    if not entry_ids:
        return
    now = utcnow()
    session.execute(
        insert(BankChange),
        [
            {"op": op, "bank_id": bank_id, "entry_lo": lo, "entry_hi": hi, "at": now}
            for lo, hi in runs(entry_ids)
        ],
    )
    local = _local(session)
    for eid in entry_ids:
        if op in ("add", "enable"):
            local.note_added(eid, (signals or {}).get(eid))
        else:
            local.note_removed(eid)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changes: LocalChanges | None = session.info.pop(_KEY, None)
    if changes is None:
        return
    from firstlight.banks.matcher import _deliver_local

    try:
        bind: Any = session.get_bind()
    except Exception:
        return
    _deliver_local(getattr(bind, "engine", bind), changes)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
