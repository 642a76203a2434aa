"""Tables of the streams room.

* ``stream_sessions``: one livestream or private call, from ``stream.start`` to its end — who is in it, how it
  is ingested, its live state (tier, frames analysed, last signals) and its per-session metrics (time to
  first alert, frames dropped under backpressure). The API's live view reads this row.
* ``stream_escalations``: every step up a tier, with the rule that fired and the signals behind it.

Frames themselves are never stored here: they are transient samples. What matched is preserved in the
evidence vault and linked from the escalation's explanation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.store.db import Base, UTCDateTime, utcnow

__all__ = ["StreamEscalationRow", "StreamSessionRow"]


class StreamSessionRow(Base):
    __tablename__ = "stream_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    streamer_account: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    viewer_accounts: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    visibility: Mapped[str] = mapped_column(String(20), nullable=False, default="public")
    paid: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    countries: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    ingest: Mapped[str] = mapped_column(String(10), nullable=False, default="push")
    stream_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="live")
    end_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tier: Mapped[str] = mapped_column(String(2), nullable=False, default="T0")
    prior: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    frames_analysed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    frames_dropped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_frame_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_signals: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    first_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    time_to_first_alert_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_alert_stream_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report_task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start_event_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_stream_sessions_status", "status", "ingest"),)


class StreamEscalationRow(Base):
    __tablename__ = "stream_escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("stream_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_tier: Mapped[str] = mapped_column(String(2), nullable=False)
    to_tier: Mapped[str] = mapped_column(String(2), nullable=False)
    rule: Mapped[str] = mapped_column(String(60), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    stream_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    actions: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
