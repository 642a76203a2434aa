"""Tables of the banks room: banks, their entries and signals, the change log, and exchanges.

* ``banks``: a named list of known hashes with a kind (``block``, ``allow``, ``survivor``) and per-signal-type
  thresholds.
* ``bank_entries``: one piece of known content (HMA calls it "bank content"), with its provenance and
  categories. Its integer id is what the match index stores and what HMA clients see as
  ``bank_content_id``. Ids are never reused (``AUTOINCREMENT`` on SQLite, a sequence on PostgreSQL), so an
  index that still holds a rolled-back or deleted id can never point at someone else's entry.
* ``bank_signals``: the hashes of an entry (a file gives PDQ, MD5 and SHA-256; an exchange may give one).
  ``value_key`` is the value itself, or its SHA-256 when it is long (vPDQ), so it can be indexed everywhere.
* ``bank_changes``: an append-only log of what changed (entries added, disabled, enabled, deleted; banks
  changed). Matchers in other processes poll it to stay in sync without rebuilding their index.
* ``bank_exchanges``: configured signal exchanges (pytx ``SignalExchangeAPI``) with their resumable
  checkpoints and fetch status.
* ``bank_meta``: small key/value facts, such as the epoch that ties a saved index file to this database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firstlight.store.db import Base, UTCDateTime, utcnow

__all__ = ["Bank", "BankChange", "BankEntry", "BankExchange", "BankMeta", "BankSignal"]


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = ({"sqlite_autoincrement": True},)


class BankEntry(Base):
    __tablename__ = "bank_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("banks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="manual")
    category_iwf: Mapped[str | None] = mapped_column(String(1), nullable=True)
    category_ncmec: Mapped[str | None] = mapped_column(String(2), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    original_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    exchange_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("bank_exchanges.id", ondelete="SET NULL"), nullable=True
    )
    exchange_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    added_by: Mapped[str] = mapped_column(String(200), nullable=False, default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    bank: Mapped[Bank] = relationship(lazy="joined", innerjoin=True)
    signals: Mapped[list[BankSignal]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True, order_by="BankSignal.id"
    )

    __table_args__ = (
        Index("ix_bank_entries_exchange", "exchange_id", "exchange_key"),
        {"sqlite_autoincrement": True},
    )


class BankSignal(Base):
    __tablename__ = "bank_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("bank_entries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    bank_id: Mapped[int] = mapped_column(Integer, nullable=False)
    signal_type: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    value_key: Mapped[str] = mapped_column(String(128), nullable=False)

    __table_args__ = (
        UniqueConstraint("bank_id", "signal_type", "value_key", name="uq_bank_signals_value"),
        Index("ix_bank_signals_lookup", "signal_type", "value_key"),
    )


class BankChange(Base):
    __tablename__ = "bank_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op: Mapped[str] = mapped_column(String(20), nullable=False)
    bank_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entry_lo: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entry_hi: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = ({"sqlite_autoincrement": True},)


class BankExchange(Base):
    __tablename__ = "bank_exchanges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    api: Mapped[str] = mapped_column(String(40), nullable=False)
    bank_id: Mapped[int] = mapped_column(Integer, ForeignKey("banks.id", ondelete="CASCADE"), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    fetch_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetch_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetch_succeeded: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetched_items: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    bank: Mapped[Bank] = relationship(lazy="joined", innerjoin=True)


class BankMeta(Base):
    __tablename__ = "bank_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
