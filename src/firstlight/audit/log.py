"""Append to and verify the hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so editing, deleting or reordering any
past entry breaks every hash after it; ``verify`` finds the first break. Appends are serialised (a
process lock, a PostgreSQL transaction-scoped advisory lock, and a unique sequence number) so two writers
can never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from firstlight.audit.models import AuditEntry
from firstlight.store.db import utcnow

__all__ = ["GENESIS_HASH", "VerifyResult", "canonical_time", "chain_hash", "entry_hash", "record", "verify"]

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x46494C41  # "FILA": the audit log's PostgreSQL advisory lock
_append_lock = threading.Lock()


def chain_hash(material: dict[str, Any]) -> str:
    """SHA-256 of canonical JSON: what every hash chain here (audit log, chain of custody, compliance
    records) seals each link with, so the three cannot drift apart."""
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None,
) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the entry."""
    return chain_hash(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": canonical_time(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "details": details,
        }
    )


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it becomes durable when the caller commits)."""
    details = json.loads(json.dumps(details, default=str)) if details is not None else None
    with _append_lock:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        last = session.execute(
            select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
        seq = (last.seq + 1) if last else 1
        prev = last.entry_hash if last else GENESIS_HASH
        at = utcnow()
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details,
            prev_hash=prev,
        )
        entry.entry_hash = entry_hash(
            prev_hash=prev,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details,
        )
        session.add(entry)
        session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: how many entries were checked and the first one that failed."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Recompute the chain from the first entry; stop at the first mismatch, gap or broken link."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return VerifyResult(ok=True, checked=checked)
        for row in rows:
            if row.seq != expected_seq:
                return VerifyResult(False, checked, row.seq, f"sequence gap: expected {expected_seq}")
            if row.prev_hash != prev:
                return VerifyResult(False, checked, row.seq, "link to the previous entry is broken")
            recomputed = entry_hash(
                prev_hash=row.prev_hash,
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                details=row.details,
            )
            if recomputed != row.entry_hash:
                return VerifyResult(False, checked, row.seq, "entry content does not match its hash")
            prev = row.entry_hash
            expected_seq += 1
            checked += 1
            last_seq = row.seq
