"""The chain of custody: every preservation, access, hold and purge of evidence, hash-chained.

Same construction as the audit log (``firstlight.audit``): each entry's hash covers its content and the
previous entry's hash, so removing or editing an access record breaks the chain and ``verify_custody``
finds it. Kept separate from the audit log because it is part of the evidence (it can be produced to a
court or to the NCA with the file) while the audit log covers everything else.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from firstlight.audit import canonical_time, chain_hash
from firstlight.evidence.models import CustodyEntry
from firstlight.store.db import utcnow

__all__ = ["CustodyCheck", "append_custody", "custody_of", "verify_custody"]

GENESIS = "0" * 64
_LOCK_KEY = 0x46494C45  # "FILE": PostgreSQL advisory lock serialising custody appends
_lock = threading.Lock()


def _hash(prev: str, seq: int, item_id: int, at: datetime, actor: str, action: str,
          reason: str | None, details: dict[str, Any] | None) -> str:
    return chain_hash(
        {"prev": prev, "seq": seq, "item": item_id, "at": canonical_time(at), "actor": actor,
         "action": action, "reason": reason, "details": details}
    )


def append_custody(
    session: Session,
    *,
    item_id: int,
    actor: str,
    action: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> CustodyEntry:
    """Append one custody entry in the caller's transaction."""
    details = json.loads(json.dumps(details, default=str)) if details is not None else None
    with _lock:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        last = session.execute(
            select(CustodyEntry.seq, CustodyEntry.entry_hash).order_by(CustodyEntry.seq.desc()).limit(1)
        ).first()
        seq = last.seq + 1 if last else 1
        prev = last.entry_hash if last else GENESIS
        at = utcnow()
        entry = CustodyEntry(seq=seq, item_id=item_id, at=at, actor=actor, action=action,
                             reason=reason, details=details, prev_hash=prev)
        entry.entry_hash = _hash(prev, seq, item_id, at, actor, action, reason, details)
        session.add(entry)
        session.flush()
    return entry


def custody_of(session: Session, item_id: int) -> list[CustodyEntry]:
    return list(session.scalars(
        select(CustodyEntry).where(CustodyEntry.item_id == item_id).order_by(CustodyEntry.seq)
    ))


@dataclass(frozen=True)
class CustodyCheck:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_custody(session: Session) -> CustodyCheck:
    """Recompute the whole chain; report the first gap, broken link or altered entry."""
    prev, expected, checked = GENESIS, 1, 0
    for row in session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq)):
        if row.seq != expected:
            return CustodyCheck(False, checked, row.seq, f"sequence gap: expected {expected}")
        if row.prev_hash != prev:
            return CustodyCheck(False, checked, row.seq, "link to the previous entry is broken")
        if _hash(row.prev_hash, row.seq, row.item_id, row.at, row.actor, row.action, row.reason,
                 row.details) != row.entry_hash:
            return CustodyCheck(False, checked, row.seq, "entry content does not match its hash")
        prev, expected, checked = row.entry_hash, expected + 1, checked + 1
    return CustodyCheck(True, checked)
