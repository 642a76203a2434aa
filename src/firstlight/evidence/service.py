"""Preserve, open, reveal, hold and purge evidence; every step goes through the chain of custody.

Retention (``Settings.evidence_retention_days``, default 365): an item is kept one year from the report
(18 U.S.C. §2258A(h) as amended by the REPORT Act; SI 2026/268 reg 8 for NCA reports). Before it is
reported it is kept one year from preservation, so nothing awaiting review can expire first. A legal hold
stops the purge whatever the date. The purge job deletes expired files and records each deletion.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.evidence.custody import append_custody
from firstlight.evidence.models import EvidenceItem
from firstlight.evidence.rendition import protected_rendition
from firstlight.evidence.vault import Vault, VaultError, new_uid
from firstlight.store.db import utcnow

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "get_item",
    "list_items",
    "mark_reported",
    "open_item",
    "place_hold",
    "preserve",
    "purge_expired",
    "release_hold",
    "rendition",
    "reveal",
]

DEFAULT_RETENTION_DAYS = 365


def _retention(days: int | None) -> timedelta:
    if days is None:
        from firstlight.config import get_settings

        days = getattr(get_settings(), "evidence_retention_days", DEFAULT_RETENTION_DAYS)
    return timedelta(days=int(days))


def preserve(
    session: Session,
    vault: Vault,
    data: bytes,
    *,
    metadata: dict[str, Any],
    actor: str = "system:intake",
    media_type: str | None = None,
    subject_account: str | None = None,
    content_id: str | None = None,
    event_id: str | None = None,
    retention_days: int | None = None,
) -> EvidenceItem:
    """Encrypt ``data`` into the vault and record it, with SHA-256 and MD5 of the plaintext.

    ``metadata`` holds the platform context (upload time, IP, port, URL, EXIF, surface …) and is kept
    in the database, not in the encrypted file, so reports can be built without opening the media.
    """
    if not data:
        raise Invalid("cannot preserve an empty file")
    now = utcnow()
    uid = new_uid()
    rel_path, key_id = vault.seal(uid, data)
    item = EvidenceItem(
        uid=uid,
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        size=len(data),
        media_type=media_type,
        key_id=key_id,
        blob_path=rel_path,
        meta=dict(metadata),
        subject_account=subject_account,
        content_id=content_id,
        event_id=event_id,
        status="preserved",
        preserved_at=now,
        retain_until=now + _retention(retention_days),
        legal_hold=False,
    )
    session.add(item)
    session.flush()
    append_custody(session, item_id=item.id, actor=actor, action="preserve",
                   details={"sha256": item.sha256, "md5": item.md5, "size": item.size,
                            "key_id": key_id, "event_id": event_id})
    return item


def get_item(session: Session, item_id: int) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFound(f"no evidence item {item_id}")
    return item


def list_items(
    session: Session, *, subject_account: str | None = None, status: str | None = None,
    ids: Sequence[int] | None = None, limit: int = 100,
) -> list[EvidenceItem]:
    query = select(EvidenceItem).order_by(EvidenceItem.id).limit(max(1, min(limit, 1000)))
    if subject_account:
        query = query.where(EvidenceItem.subject_account == subject_account)
    if status:
        query = query.where(EvidenceItem.status == status)
    if ids is not None:
        query = query.where(EvidenceItem.id.in_(list(ids)))
    return list(session.scalars(query))


def _read(vault: Vault, item: EvidenceItem) -> bytes:
    if item.status == "purged" or not item.blob_path:
        raise Conflict(f"evidence item {item.id} was purged on {item.purged_at}", code="purged")
    data = vault.unseal(item.uid, item.blob_path)
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise VaultError(f"evidence item {item.id} does not match its SHA-256", code="vault_corrupt")
    return data


def open_item(
    session: Session, vault: Vault, item_id: int, *, actor: str, reason: str, purpose: str = "open"
) -> bytes:
    """The plaintext of an item, for a stated reason (e.g. "upload to NCMEC report 123"); recorded in the
    chain of custody. Checks the SHA-256 so tampered evidence is never served as genuine."""
    if not reason or not reason.strip():
        raise Invalid("a reason is required to open evidence", code="reason_required")
    item = get_item(session, item_id)
    data = _read(vault, item)
    append_custody(session, item_id=item.id, actor=actor, action=purpose, reason=reason.strip())
    return data


def reveal(session: Session, vault: Vault, item_id: int, *, actor: str, reason: str) -> bytes:
    """The original media for a reviewer who states why; recorded in custody and the audit log."""
    data = open_item(session, vault, item_id, actor=actor, reason=reason, purpose="reveal")
    record(session, actor=actor, action="evidence.reveal", object_type="evidence", object_id=item_id,
           details={"reason": reason.strip()})
    return data


def rendition(session: Session, vault: Vault, item_id: int, *, actor: str) -> bytes:
    """The protected (blurred, greyscale) rendition; viewing it is recorded in custody too."""
    item = get_item(session, item_id)
    data = protected_rendition(_read(vault, item))
    append_custody(session, item_id=item.id, actor=actor, action="view_protected")
    return data


def mark_reported(
    session: Session, item_id: int, *, reported_at: datetime | None = None, actor: str,
    retention_days: int | None = None,
) -> EvidenceItem:
    """Record that the item was reported; it is then kept ``retention_days`` from the report."""
    item = get_item(session, item_id)
    reported_at = reported_at or utcnow()
    item.reported_at = reported_at
    item.retain_until = max(item.retain_until, reported_at + _retention(retention_days))
    append_custody(session, item_id=item.id, actor=actor, action="reported",
                   details={"reported_at": reported_at.isoformat(),
                            "retain_until": item.retain_until.isoformat()})
    return item


def place_hold(session: Session, item_id: int, *, actor: str, reason: str) -> EvidenceItem:
    """Legal hold: the item survives the purge until the hold is released."""
    if not reason or not reason.strip():
        raise Invalid("a legal hold needs a reason (e.g. the request's reference)", code="reason_required")
    item = get_item(session, item_id)
    if item.status == "purged":
        raise Conflict(f"evidence item {item_id} was already purged", code="purged")
    item.legal_hold = True
    item.hold_reason = reason.strip()
    append_custody(session, item_id=item.id, actor=actor, action="hold", reason=reason.strip())
    record(session, actor=actor, action="evidence.hold", object_type="evidence", object_id=item_id,
           details={"reason": reason.strip()})
    return item


def release_hold(session: Session, item_id: int, *, actor: str, reason: str) -> EvidenceItem:
    item = get_item(session, item_id)
    if not item.legal_hold:
        raise Conflict(f"evidence item {item_id} has no legal hold")
    item.legal_hold = False
    append_custody(session, item_id=item.id, actor=actor, action="release_hold", reason=reason)
    record(session, actor=actor, action="evidence.release_hold", object_type="evidence",
           object_id=item_id, details={"reason": reason})
    return item


def purge_expired(
    session: Session, vault: Vault, *, now: datetime | None = None, actor: str = "system:retention",
    limit: int = 1000,
) -> list[int]:
    """Delete the files of items past ``retain_until`` and not on hold; keep the row and record why.

    The row (hashes, metadata, custody) stays so the record of what was held and when it was destroyed
    survives the destruction. Returns the purged item ids; the caller commits.
    """
    now = now or utcnow()
    expired = session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.status == "preserved")
        .where(EvidenceItem.legal_hold.is_(False))
        .where(EvidenceItem.retain_until < now)
        .order_by(EvidenceItem.id)
        .limit(limit)
    ).all()
    purged: list[int] = []
    for item in expired:
        existed = vault.delete(item.blob_path) if item.blob_path else False
        item.status = "purged"
        item.purged_at = now
        item.blob_path = None
        append_custody(session, item_id=item.id, actor=actor, action="purge",
                       details={"retain_until": item.retain_until.isoformat(),
                                "file_existed": existed})
        purged.append(item.id)
    if purged:
        record(session, actor=actor, action="evidence.purge", object_type="evidence",
               object_id=",".join(map(str, purged))[:200], details={"count": len(purged)})
    return purged
