"""One row per processed upload event: what was found and what was decided (the scan record).

Its unique ``event_id`` makes the handler idempotent: an event retried after a crash finds its scan and
does nothing twice. Created by the ``decide`` branch's migration (the upload path's decision record).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.store.db import Base, UTCDateTime

__all__ = ["UploadScan"]


class UploadScan(Base):
    """``status``: ``clean`` (nothing fired), ``flagged`` (acted or sent to review), ``out_of_scope``
    (surface not scanned by policy) or ``rejected`` (the media could not be read; ``error`` says why)."""

    __tablename__ = "upload_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    content_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    account_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    surface: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rule: Mapped[str | None] = mapped_column(String(200), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
