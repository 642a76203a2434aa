"""The retention ledger: what a delivered report obliges us to keep, on what basis, and until when.

- NCA: the report reference for **5 years** and, for **1 year** from the report, the content, the
  information submitted and the information used to judge it CSEA (SI 2026/268 reg 8, as quoted in
  ``shared/research/regulation.md`` §4.2);
- NCMEC: a finished CyberTip is a request to preserve its contents for **1 year** (18 U.S.C. §2258A(h) as
  amended by the REPORT Act).

A legal hold keeps an entry past its date until released. The ledger says what may go; the evidence room's
purge does the deleting, and ``record_delivery`` moves each reported evidence item's own retention date
(``firstlight.evidence.mark_reported``) so the two never disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.errors import Invalid, NotFound
from firstlight.reports.models import RetentionEntry, Submission
from firstlight.reports.report import Report
from firstlight.store.db import utcnow

__all__ = ["due_for_disposal", "place_hold", "record_delivery", "release_hold", "retention_of"]

ONE_YEAR = timedelta(days=365)
FIVE_YEARS = timedelta(days=5 * 365 + 1)
BASIS = {
    "ncmec": "18 U.S.C. §2258A(h)(1) (REPORT Act): preserve 1 year from the report",
    "nca": "SI 2026/268 reg 8: keep 1 year from the report",
    "nca_reference": "SI 2026/268 reg 8: keep the NCA report reference 5 years",
}


def _add(session: Session, sub: Submission, kind: str, ref: str, basis: str, start: datetime,
         keep: timedelta) -> None:
    exists = session.scalars(select(RetentionEntry).where(
        RetentionEntry.submission_id == sub.id, RetentionEntry.kind == kind,
        RetentionEntry.object_ref == ref)).first()
    if exists is None:
        session.add(RetentionEntry(task_id=sub.task_id, submission_id=sub.id, kind=kind,
                                   object_ref=ref, basis=basis, starts_at=start,
                                   keep_until=start + keep))


def record_delivery(session: Session, sub: Submission, report: Report,
                    now: datetime | None = None) -> None:
    """Write the ledger entries of a delivered submission (idempotent)."""
    start = now or sub.finished_at or utcnow()
    basis = BASIS["ncmec" if sub.destination == "ncmec" else "nca"]
    for file in report.files:
        _add(session, sub, "content", f"evidence:{file.evidence_id}", basis, start, ONE_YEAR)
        _mark_evidence_reported(session, file.evidence_id, start)
    _add(session, sub, "submitted_information", f"submission:{sub.id}", basis, start, ONE_YEAR)
    if report.case_id is not None:
        _add(session, sub, "associated_data", f"case:{report.case_id}", basis, start, ONE_YEAR)
    if sub.destination == "nca" and sub.remote_id:
        _add(session, sub, "nca_reference", sub.remote_id, BASIS["nca_reference"], start, FIVE_YEARS)
    session.flush()


def _mark_evidence_reported(session: Session, evidence_id: str, at: datetime) -> None:
    """Tell the vault the item was reported, when it is one of its items (tests use free-form ids)."""
    if not evidence_id.isdigit():
        return
    try:
        from firstlight.evidence import mark_reported
    except ImportError:  # the evidence room is optional for the reports room
        return
    try:
        mark_reported(session, int(evidence_id), reported_at=at, actor="reports")
    except NotFound:
        return


def retention_of(session: Session, task_id: int) -> list[RetentionEntry]:
    return list(session.scalars(select(RetentionEntry).where(RetentionEntry.task_id == task_id)
                                .order_by(RetentionEntry.id)))


def due_for_disposal(session: Session, now: datetime | None = None) -> list[RetentionEntry]:
    """Entries whose period is over and that no legal hold keeps."""
    now = now or utcnow()
    return list(session.scalars(select(RetentionEntry).where(
        RetentionEntry.keep_until < now, RetentionEntry.hold_reason.is_(None))))


def place_hold(session: Session, task_id: int, *, actor: str, reason: str) -> list[RetentionEntry]:
    """Keep everything of a report past its dates (e.g. law enforcement asked us to preserve longer)."""
    if not reason or not reason.strip():
        raise Invalid("a legal hold needs a reason")
    entries = retention_of(session, task_id)
    if not entries:
        raise NotFound(f"report task {task_id} has no retention entries yet")
    now = utcnow()
    for entry in entries:
        entry.hold_reason, entry.held_by, entry.held_at = reason.strip(), actor, now
        if entry.kind == "content":
            _hold_evidence(session, entry.object_ref, actor, reason.strip())
    record(session, actor=actor, action="report.legal_hold", object_type="report_task",
           object_id=str(task_id), details={"reason": reason.strip(), "entries": len(entries)})
    return entries


def _hold_evidence(session: Session, ref: str, actor: str, reason: str) -> None:
    evidence_id = ref.removeprefix("evidence:")
    if not evidence_id.isdigit():
        return
    try:
        from firstlight.evidence import place_hold as hold_item
    except ImportError:
        return
    try:
        hold_item(session, int(evidence_id), actor=actor, reason=reason)
    except NotFound:
        return


def release_hold(session: Session, task_id: int, *, actor: str, reason: str) -> list[RetentionEntry]:
    entries = retention_of(session, task_id)
    for entry in entries:
        entry.hold_reason, entry.held_by, entry.held_at = None, None, None
    record(session, actor=actor, action="report.legal_hold_released", object_type="report_task",
           object_id=str(task_id), details={"reason": reason})
    return entries
