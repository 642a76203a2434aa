"""Cases (one open case per subject account) and the flagged items they collect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.store.db import Base, UTCDateTime

__all__ = ["Case", "CaseItem"]


class Case(Base):
    """A subject (account) under review. ``status``: open → in_review (claimed) → confirmed |
    false_positive | escalated (→ in_review again) ; ``priority`` orders the queue (highest first)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_queue", "status", "priority"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_account: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    priority: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    severity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    likelihood: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    reach: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    harm_to_children: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    item_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CaseItem(Base):
    """One flagged piece of content in a case, with the decision's explanation and its evidence."""

    __tablename__ = "case_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    content_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    evidence_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(40), nullable=False, default="upload")
    surface: Mapped[str | None] = mapped_column(String(20), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    rule: Mapped[str | None] = mapped_column(String(200), nullable=True)
    severity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    likelihood: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    reach: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
