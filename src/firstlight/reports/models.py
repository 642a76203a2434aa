"""Tables of the reports room: report tasks, the per-destination delivery outbox, and the retention ledger.

There is no foreign key to the cases table on purpose: each room migrates on its own Alembic branch, and a
report task must outlive a purged case (the NCA reference is kept five years, longer than the case data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.store.db import Base, UTCDateTime

__all__ = ["ReportTask", "RetentionEntry", "Submission", "SubmissionFile"]


class ReportTask(Base):
    """A duty to report one confirmed case, with its priority and deadline.

    ``open_case_id`` equals ``case_id`` while the task is open and is NULL once it is closed: a unique
    constraint on it makes "one open task per case" hold even under concurrent callers, on SQLite and
    PostgreSQL alike (both treat NULLs as distinct).
    """

    __tablename__ = "report_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    open_case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    priority: Mapped[str] = mapped_column(String(2), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    detected_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    priority_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Submission(Base):
    """One destination's delivery of one report task: the durable outbox row and its state machine.

    ``step`` is the intent marker written *before* each non-idempotent remote call and cleared after its
    result is stored; finding it set on resume means the remote state is unknown (see ``outbox``).
    """

    __tablename__ = "report_submissions"
    __table_args__ = (UniqueConstraint("task_id", "destination", name="uq_report_submission_dest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("report_tasks.id"), nullable=False, index=True)
    destination: Mapped[str] = mapped_column(String(10), nullable=False)
    environment: Mapped[str] = mapped_column(String(10), nullable=False, default="test")
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="pending", index=True)
    step: Mapped[str | None] = mapped_column(String(40), nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    responses: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retractions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    declared_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SubmissionFile(Base):
    """One file of a submission as uploaded into one remote report (rows go when that report is retracted)."""

    __tablename__ = "report_submission_files"
    __table_args__ = (
        UniqueConstraint("submission_id", "position", name="uq_report_submission_file_pos"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("report_submissions.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    evidence_id: Mapped[str] = mapped_column(String(100), nullable=False)
    remote_report_id: Mapped[str] = mapped_column(String(64), nullable=False)
    remote_file_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    md5_local: Mapped[str] = mapped_column(String(32), nullable=False)
    md5_remote: Mapped[str | None] = mapped_column(String(32), nullable=True)
    details_sent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class RetentionEntry(Base):
    """What must be kept, why, and until when; a legal hold keeps it past ``keep_until``."""

    __tablename__ = "report_retention"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("report_tasks.id"), nullable=False, index=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_submissions.id"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    object_ref: Mapped[str] = mapped_column(String(200), nullable=False)
    basis: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    keep_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    hold_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    held_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
