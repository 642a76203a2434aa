"""Report tasks: one per case, priorities that only go up, deadlines, and overdue reports surfaced."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from firstlight.audit import AuditEntry
from firstlight.errors import Invalid
from firstlight.reports import close_report_task, list_report_tasks, open_report_task, overdue
from firstlight.store import Database
from firstlight.store.db import utcnow


def test_second_open_returns_the_same_task_and_raises_priority(db: Database) -> None:
    now = utcnow()
    with db.begin() as session:
        first = open_report_task(session, case_id=5, priority="P3", reason="policy", now=now)
        again = open_report_task(session, case_id=5, priority="P1", reason="imminent risk",
                                 detected_by="moderator", now=now + timedelta(minutes=1))
        assert again.id == first.id
        assert again.priority == "P1"
        assert again.due_at == now + timedelta(minutes=16)  # pulled in from P3's 24 h
        lower = open_report_task(session, case_id=5, priority="P3", reason="reviewer confirmed")
        assert lower.priority == "P1"  # a lower priority never lowers it
    with db.session() as session:
        assert len(list_report_tasks(session, case_id=5)) == 1
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert actions == ["report.task_opened", "report.priority_raised"]


def test_p1_report_is_flagged_overdue_after_its_deadline(db: Database) -> None:
    opened = utcnow()
    with db.begin() as session:
        task = open_report_task(session, case_id=1, priority="P1", reason="live abuse", now=opened)
        open_report_task(session, case_id=2, priority="P3", reason="confirmed", now=opened)
    with db.session() as session:
        assert overdue(session, opened + timedelta(minutes=14)) == []
        late = overdue(session, opened + timedelta(minutes=16))
        assert [t.id for t in late] == [task.id]
        assert len(overdue(session, opened + timedelta(hours=25))) == 2


def test_delivered_task_is_no_longer_overdue_and_frees_the_case(db: Database) -> None:
    opened = utcnow()
    with db.begin() as session:
        task = open_report_task(session, case_id=3, priority="P1", reason="x", now=opened)
        close_report_task(session, task, status="delivered", actor="test", reason="sent")
    with db.begin() as session:
        assert overdue(session, opened + timedelta(days=2)) == []
        newer = open_report_task(session, case_id=3, priority="P2", reason="new content")
        assert newer.id != task.id


def test_deadlines_are_configurable(db: Database) -> None:
    now = utcnow()
    with db.begin() as session:
        task = open_report_task(session, case_id=9, priority="P2", reason="x", now=now,
                                deadlines={"P1": timedelta(hours=1), "P2": timedelta(hours=2),
                                           "P3": timedelta(hours=3)})
        assert task.due_at == now + timedelta(hours=2)


@pytest.mark.parametrize("bad", [{"priority": "P4"}, {"reason": " "}, {"detected_by": "magic"}])
def test_bad_input_is_refused_with_a_clear_error(db: Database, bad: dict) -> None:
    arguments = {"case_id": 1, "priority": "P2", "reason": "x", **bad}
    with db.begin() as session, pytest.raises(Invalid):
        open_report_task(session, **arguments)


def test_worker_job_warns_about_overdue_tasks(db: Database, caplog) -> None:
    from firstlight.reports import handlers

    with db.begin() as session:
        open_report_task(session, case_id=77, priority="P1", reason="imminent",
                         now=utcnow() - timedelta(hours=1))
    handlers._last_warned.clear()
    with caplog.at_level("WARNING", logger="firstlight.reports"):
        handlers.reports_job(db)
    assert "OVERDUE report tasks" in caplog.text and "case 77" in caplog.text
