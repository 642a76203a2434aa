"""Evidence rows: one per preserved file, and the hash-chained chain-of-custody log of every access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.store.db import Base, UTCDateTime

__all__ = ["CustodyEntry", "EvidenceItem"]


class EvidenceItem(Base):
    """A preserved file. The bytes live encrypted in the vault at ``blob_path``; hashes are of the plaintext.

    ``retain_until`` starts at preservation + the retention period and is moved to report + the period when
    the item is reported; ``legal_hold`` stops the purge job whatever the date.
    """

    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    md5: Mapped[str] = mapped_column(String(32), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    blob_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, nullable=False, default=dict)
    subject_account: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    content_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="preserved")
    preserved_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CustodyEntry(Base):
    """One access or change to an evidence item; sealed with the hash of the previous entry."""

    __tablename__ = "evidence_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_items.id"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)
