"""Report tasks: the duty to report a confirmed case, with a priority and a deadline.

Priorities follow SI 2026/268 (as quoted in ``shared/research/regulation.md`` §4.2):

- **P1** — imminent risk to a child's life or of serious harm: report *immediately*;
- **P2** — as soon as reasonably practicable;
- **P3** — without undue delay.

The law gives words, not minutes, so "overdue" needs a number. The defaults (P1 15 minutes, P2 4 hours,
P3 24 hours) are the operational targets in the public compliance mapping the research cites; they are
*not* law and are configurable (``report_deadline_p1_s`` … in ``Settings``). A task is overdue when its
deadline has passed and it is still not delivered to every destination it needs.

Opening a task is idempotent per case: pipeline policy and the reviewer's confirmation both call
``open_report_task``, and the second call must not create a second report (zero threshold, no duplicates).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.errors import Invalid, NotFound
from firstlight.reports.models import ReportTask
from firstlight.store.db import utcnow

__all__ = [
    "DEFAULT_DEADLINES",
    "OPEN_STATUSES",
    "PRIORITIES",
    "close_report_task",
    "deadline_for",
    "get_report_task",
    "list_report_tasks",
    "open_report_task",
    "overdue",
]

PRIORITIES = ("P1", "P2", "P3")  # most urgent first
OPEN_STATUSES = ("open", "delivering")
DEFAULT_DEADLINES: Mapping[str, timedelta] = {
    "P1": timedelta(minutes=15),
    "P2": timedelta(hours=4),
    "P3": timedelta(hours=24),
}
DETECTED_BY = ("hash_match", "classifier", "user_report", "trusted_flagger", "moderator", "other")


def _check_priority(priority: str) -> str:
    normalised = priority.strip().upper()
    if normalised not in PRIORITIES:
        raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    return normalised


def configured_deadlines() -> dict[str, timedelta]:
    """Deadlines from ``Settings`` (``report_deadline_p{1,2,3}_s``), falling back to the defaults."""
    from firstlight.config import get_settings

    settings = get_settings()
    deadlines = dict(DEFAULT_DEADLINES)
    for priority in PRIORITIES:
        seconds = getattr(settings, f"report_deadline_{priority.lower()}_s", None)
        if seconds is not None:
            deadlines[priority] = timedelta(seconds=float(seconds))
    return deadlines


def deadline_for(
    priority: str, opened_at: datetime, deadlines: Mapping[str, timedelta] | None = None
) -> datetime:
    """When a task of this priority opened at ``opened_at`` becomes overdue."""
    table = deadlines if deadlines is not None else configured_deadlines()
    return opened_at + table[_check_priority(priority)]


def open_report_task(
    session: Session,
    *,
    case_id: int,
    priority: str,
    reason: str,
    detected_by: str | None = None,
    actor: str = "system",
    now: datetime | None = None,
    deadlines: Mapping[str, timedelta] | None = None,
) -> ReportTask:
    """Open the report task of a case, or return its open one (raising the priority if this is higher).

    Raising the priority pulls the deadline in to ``now + window(new priority)`` when that is earlier; a
    lower priority never pushes a deadline out. The caller owns the commit.
    """
    priority = _check_priority(priority)
    if not reason or not reason.strip():
        raise Invalid("a report task needs a reason")
    if detected_by is not None and detected_by not in DETECTED_BY:
        raise Invalid(f"detected_by must be one of {', '.join(DETECTED_BY)}, not {detected_by!r}")
    now = now or utcnow()

    existing = _open_task_for_case(session, case_id)
    if existing is None:
        task = ReportTask(
            case_id=case_id,
            open_case_id=case_id,
            priority=priority,
            reason=reason.strip(),
            detected_by=detected_by,
            status="open",
            opened_at=now,
            due_at=deadline_for(priority, now, deadlines),
        )
        try:
            with session.begin_nested():
                session.add(task)
                session.flush()
        except IntegrityError:  # another caller opened it between our read and our insert
            existing = _open_task_for_case(session, case_id)
            if existing is None:
                raise
        else:
            record(
                session,
                actor=actor,
                action="report.task_opened",
                object_type="report_task",
                object_id=str(task.id),
                details={"case_id": case_id, "priority": priority, "reason": task.reason,
                         "detected_by": detected_by, "due_at": task.due_at.isoformat()},
            )
            return task

    assert existing is not None
    if PRIORITIES.index(priority) < PRIORITIES.index(existing.priority):
        old_priority, old_due = existing.priority, existing.due_at
        existing.priority = priority
        existing.priority_changed_at = now
        existing.due_at = min(old_due, deadline_for(priority, now, deadlines))
        existing.reason = f"{existing.reason}\n[{now.isoformat()}] raised to {priority}: {reason.strip()}"
        if existing.detected_by is None:
            existing.detected_by = detected_by
        session.flush()
        record(
            session,
            actor=actor,
            action="report.priority_raised",
            object_type="report_task",
            object_id=str(existing.id),
            details={"case_id": case_id, "from": old_priority, "to": priority,
                     "reason": reason.strip(), "due_at": existing.due_at.isoformat()},
        )
    return existing


def _open_task_for_case(session: Session, case_id: int) -> ReportTask | None:
    return session.scalars(select(ReportTask).where(ReportTask.open_case_id == case_id)).first()


def get_report_task(session: Session, task_id: int) -> ReportTask:
    task = session.get(ReportTask, task_id)
    if task is None:
        raise NotFound(f"no report task {task_id}")
    return task


def list_report_tasks(
    session: Session,
    *,
    status: str | None = None,
    case_id: int | None = None,
    priority: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ReportTask]:
    """Tasks, most urgent first (priority, then deadline)."""
    query = select(ReportTask)
    if status is not None:
        query = query.where(ReportTask.status == status)
    if case_id is not None:
        query = query.where(ReportTask.case_id == case_id)
    if priority is not None:
        query = query.where(ReportTask.priority == _check_priority(priority))
    query = query.order_by(ReportTask.priority, ReportTask.due_at, ReportTask.id)
    return list(session.scalars(query.limit(max(1, min(limit, 1000))).offset(max(0, offset))))


def overdue(session: Session, now: datetime | None = None) -> list[ReportTask]:
    """Tasks past their deadline and not yet delivered to every destination they need."""
    now = now or utcnow()
    query = (
        select(ReportTask)
        .where(ReportTask.status.in_(OPEN_STATUSES), ReportTask.due_at < now)
        .order_by(ReportTask.priority, ReportTask.due_at, ReportTask.id)
    )
    return list(session.scalars(query))


def close_report_task(
    session: Session, task: ReportTask, *, status: str, actor: str, reason: str,
    now: datetime | None = None,
) -> ReportTask:
    """End a task (``delivered`` or ``cancelled``): frees the case for a later, new report task."""
    if status not in ("delivered", "cancelled"):
        raise Invalid(f"a task closes as delivered or cancelled, not {status!r}")
    now = now or utcnow()
    task.status = status
    task.open_case_id = None
    task.closed_at = now
    if status == "delivered":
        task.delivered_at = now
    session.flush()
    record(session, actor=actor, action=f"report.task_{status}", object_type="report_task",
           object_id=str(task.id), details={"case_id": task.case_id, "reason": reason})
    return task
