"""The delivery outbox: durable, resumable, and never two CyberTips (nor none) for one report.

Each ``Submission`` row walks ``pending → opened → finished`` for NCMEC. Every remote call that is not
idempotent is bracketed by two commits: the *intent* (``step = "upload:0"``) before the call, and the
*result* (file id, MD5, ``step = None``) after it. A crash can therefore leave exactly one kind of doubt —
an intent without a result — and resuming resolves it:

=================  =============================================================================
intent found       what the remote may hold, and what resume does
=================  =============================================================================
``submit``         maybe an opened report whose id we never stored: it is never finished, so NCMEC
                   deletes it (24 h / 1 h expiry). Submit again.
``upload:N``       maybe a file we do not know about inside our report: retract it (0 → gone,
``fileinfo:N``     5001 → already gone) and start again from submit; 5102 → it was finished: done.
``finish``         call ``/finish`` again: 0 → done; 5102 → it was already finished: done;
                   5001 → it expired unfinished: start again from submit.
=================  =============================================================================

``/finish`` is only ever called on the one report id stored in the row, and a stored id is replaced only
after that report was retracted or found gone, so at most one report per submission is ever finished.
A lease (``lease_owner``/``lease_until``) keeps two workers off the same row. For tests, the environment
variable ``FIRSTLIGHT_REPORTS_CRASH_AFTER`` (e.g. ``upload_call``) makes the process ``os._exit`` right
after that step, which is how the kill-at-every-step test is driven.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.reports.models import ReportTask, Submission, SubmissionFile
from firstlight.reports.ncmec_client import (
    CODE_FINISHED,
    CODE_UNKNOWN_REPORT,
    NcmecClient,
    NcmecResponse,
    NcmecUnavailable,
)
from firstlight.reports.ncmec_xml import render_file_details, render_report
from firstlight.reports.report import Report, ReportFile
from firstlight.reports.retention import record_delivery
from firstlight.store.db import Database, utcnow

__all__ = [
    "CRASH_ENV",
    "CRASH_POINTS",
    "DeliveryResult",
    "FileSource",
    "claim",
    "deliver_ncmec",
    "settle_task",
]

CRASH_ENV = "FIRSTLIGHT_REPORTS_CRASH_AFTER"
CRASH_POINTS = (
    "submit_call", "submit_stored", "upload_call", "upload_stored",
    "fileinfo_call", "fileinfo_stored", "finish_call", "finish_stored",
)
DONE_STATES = ("finished", "filed", "not_required")
ACTOR = "reports.outbox"

FileSource = Callable[[Session, ReportFile, str], bytes]
"""``(session, file, reason) -> bytes``: the plaintext of a preserved file, read with an audited reason."""


class _Restart(Exception):
    """The remote report is gone (expired or retracted): start again from ``/submit``."""


class _Failed(Exception):
    """A permanent failure (invalid XML, refused credentials): park the row for a person."""


class _Retry(Exception):
    """A transient failure: try again after a back-off."""


@dataclass(frozen=True)
class DeliveryResult:
    submission_id: int
    state: str
    remote_id: str | None
    detail: str = ""


def _crash_point(name: str) -> None:
    """Test hook: die here, like a ``kill -9``, without unwinding or committing anything more."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)


def claim(db: Database, submission_id: int, owner: str, *, lease_s: float,
          now: datetime | None = None) -> bool:
    """Take the row's lease if it is free or expired (atomic: one UPDATE)."""
    now = now or utcnow()
    with db.begin() as session:
        result = session.execute(
            update(Submission)
            .where(Submission.id == submission_id,
                   or_(Submission.lease_until.is_(None), Submission.lease_until < now,
                       Submission.lease_owner == owner))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
        )
        return result.rowcount == 1


def _log(sub: Submission, what: str, response: NcmecResponse | None = None, **extra: object) -> None:
    entry: dict[str, object] = {"at": utcnow().isoformat(), "what": what, **extra}
    if response is not None:
        entry.update(response.summary())
    sub.responses = [*(sub.responses or []), entry]


class _NcmecRun:
    """One worker's pass over one submission, each step in its own transaction."""

    def __init__(self, db: Database, submission_id: int, client: NcmecClient, files: FileSource,
                 owner: str) -> None:
        self.db, self.id, self.client, self.files, self.owner = db, submission_id, client, files, owner

    def _load(self, session: Session) -> tuple[Submission, Report]:
        sub = session.get(Submission, self.id)
        assert sub is not None
        if sub.lease_owner != self.owner:
            raise _Retry("lease lost to another worker")
        task = session.get(ReportTask, sub.task_id)
        assert task is not None and task.report is not None
        return sub, Report.model_validate(task.report)

    def _set(self, **values: object) -> None:
        with self.db.begin() as session:
            sub, _ = self._load(session)
            for key, value in values.items():
                setattr(sub, key, value)

    def run(self) -> None:
        restarts = 0
        while True:
            with self.db.session() as session:
                sub, report = self._load(session)
                state, step, remote_id = sub.state, sub.step, sub.remote_id
            if state == "finished":
                return
            try:
                if step is not None:
                    self._resolve(step, remote_id)
                elif state == "pending":
                    self._submit(report)
                elif state == "opened":
                    assert remote_id is not None
                    if not self._next_file(report, remote_id):
                        self._finish(remote_id)
                else:
                    return
            except _Restart as why:
                restarts += 1
                if restarts > 3:
                    raise _Retry(f"restarted {restarts - 1} times in one pass: {why}") from why
                self._restart(str(why))

    # --- steps -----------------------------------------------------------------------------------
    def _submit(self, report: Report) -> None:
        xml = render_report(report)
        self._set(step="submit", payload=xml.decode())
        response = self.client.submit(xml)
        _crash_point("submit_call")
        self._check(response, "submit")
        with self.db.begin() as session:
            sub, _ = self._load(session)
            sub.remote_id, sub.state, sub.step = response.report_id, "opened", None
            sub.opened_at = utcnow()
            _log(sub, "submit", response)
        _crash_point("submit_stored")

    def _next_file(self, report: Report, remote_id: str) -> bool:
        """Upload or describe the next file; False when every file is uploaded and described."""
        with self.db.session() as session:
            rows = {r.position: r for r in session.scalars(
                select(SubmissionFile).where(SubmissionFile.submission_id == self.id))}
        for position, file in enumerate(report.files):
            row = rows.get(position)
            if row is None:
                self._upload(report, file, position, remote_id)
                return True
            if not row.details_sent:
                self._fileinfo(report, file, row, remote_id)
                return True
        return False

    def _upload(self, report: Report, file: ReportFile, position: int, remote_id: str) -> None:
        with self.db.begin() as session:
            data = self.files(session, file, f"upload to NCMEC report {remote_id} ({report.reference})")
            sub, _ = self._load(session)
            sub.step = f"upload:{position}"
        response = self.client.upload(remote_id, _sent_name(file, position), data,
                                      file.media_type or "application/octet-stream")
        _crash_point("upload_call")
        self._check(response, "upload")
        if response.hash and response.hash != file.md5:
            # NCMEC holds bytes other than the ones we preserved: never finish that report.
            raise _Restart(f"MD5 mismatch on upload: sent {file.md5}, NCMEC saw {response.hash}")
        with self.db.begin() as session:
            sub, _ = self._load(session)
            session.add(SubmissionFile(
                submission_id=self.id, position=position, evidence_id=file.evidence_id,
                remote_report_id=remote_id, remote_file_id=response.file_id,
                md5_local=file.md5, md5_remote=response.hash, details_sent=False))
            sub.step = None
            _log(sub, "upload", response, position=position, evidence_id=file.evidence_id)
        _crash_point("upload_stored")

    def _fileinfo(self, report: Report, file: ReportFile, row: SubmissionFile, remote_id: str) -> None:
        xml = render_file_details(report, file, report_id=remote_id, file_id=row.remote_file_id or "",
                                  file_name=_sent_name(file, row.position))
        self._set(step=f"fileinfo:{row.position}")
        response = self.client.fileinfo(xml)
        _crash_point("fileinfo_call")
        self._check(response, "fileinfo")
        with self.db.begin() as session:
            sub, _ = self._load(session)
            stored = session.get(SubmissionFile, row.id)
            assert stored is not None
            stored.details_sent = True
            sub.step = None
            _log(sub, "fileinfo", response, position=row.position)
        _crash_point("fileinfo_stored")

    def _finish(self, remote_id: str) -> None:
        self._set(step="finish")
        response = self.client.finish(remote_id)
        _crash_point("finish_call")
        if response.code not in (0, CODE_FINISHED):
            self._check(response, "finish")
        self._finished(response)
        _crash_point("finish_stored")

    def _finished(self, response: NcmecResponse) -> None:
        with self.db.begin() as session:
            sub, report = self._load(session)
            sub.state, sub.step, sub.finished_at, sub.last_error = "finished", None, utcnow(), None
            _log(sub, "finish", response)
            record(session, actor=ACTOR, action="report.ncmec_finished", object_type="report_task",
                   object_id=str(sub.task_id), details={"report_id": sub.remote_id,
                                                        "retractions": sub.retractions})
            record_delivery(session, sub, report)
            settle_task(session, sub.task_id)

    # --- recovery --------------------------------------------------------------------------------
    def _resolve(self, step: str, remote_id: str | None) -> None:
        """An intent without a result: the process died mid-call. See the module table."""
        if step == "submit":
            self._set(step=None)  # any orphan report is unknown to us, never finished, and expires
            return
        assert remote_id is not None
        if step == "finish":
            response = self.client.finish(remote_id)
            if response.code in (0, CODE_FINISHED):
                self._finished(response)
                return
            self._check(response, "finish")
            return
        response = self.client.retract(remote_id)  # upload:N or fileinfo:N: contents unknown
        if response.code == CODE_FINISHED:
            self._finished(response)
            return
        if response.code not in (0, CODE_UNKNOWN_REPORT):
            self._check(response, "retract")
        with self.db.begin() as session:
            sub, _ = self._load(session)
            _log(sub, "retract", response, reason=f"interrupted at {step}")
        raise _Restart(f"retracted report {remote_id}: interrupted at {step}")

    def _restart(self, why: str) -> None:
        with self.db.begin() as session:
            sub, _ = self._load(session)
            session.execute(delete(SubmissionFile).where(SubmissionFile.submission_id == self.id))
            record(session, actor=ACTOR, action="report.ncmec_restarted", object_type="report_task",
                   object_id=str(sub.task_id), details={"report_id": sub.remote_id, "why": why})
            if sub.remote_id and sub.step not in (None, "submit") and "retracted" not in why:
                # the report may still be open (e.g. an MD5 mismatch): retract it before forgetting it
                response = self.client.retract(sub.remote_id)
                if response.code == CODE_FINISHED:
                    raise _Failed(f"report {sub.remote_id} finished while being restarted: {why}")
            sub.state, sub.step, sub.remote_id, sub.opened_at = "pending", None, None, None
            sub.retractions += 1
            _log(sub, "restart", why=why)

    def _check(self, response: NcmecResponse, what: str) -> None:
        if response.ok:
            return
        if response.code == CODE_UNKNOWN_REPORT:
            raise _Restart(f"{what}: report unknown or expired (5001)")
        if response.code == CODE_FINISHED:
            raise _Failed(f"{what}: report already finished (5102)")
        message = f"{what}: NCMEC answered {response.code} {response.description}".strip()
        if response.retryable:
            raise _Retry(message)
        raise _Failed(message)


def _sent_name(file: ReportFile, position: int) -> str:
    suffix = ""
    if file.filename and "." in file.filename:
        suffix = "." + file.filename.rsplit(".", 1)[1][:8]
    return f"file-{position + 1:04d}{suffix}"


def deliver_ncmec(
    db: Database,
    submission_id: int,
    client: NcmecClient,
    files: FileSource,
    *,
    owner: str | None = None,
    lease_s: float = 300.0,
    retry_base_s: float = 30.0,
    now: datetime | None = None,
) -> DeliveryResult:
    """Drive one NCMEC submission as far as it goes now; safe to call again at any time."""
    owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if not claim(db, submission_id, owner, lease_s=lease_s, now=now):
        return DeliveryResult(submission_id, "leased", None, "another worker holds this submission")
    detail = ""
    try:
        _NcmecRun(db, submission_id, client, files, owner).run()
    except (_Retry, NcmecUnavailable) as exc:
        detail = str(exc)
        _after_failure(db, submission_id, detail, retry_base_s, permanent=False)
    except _Failed as exc:
        detail = str(exc)
        _after_failure(db, submission_id, detail, retry_base_s, permanent=True)
    with db.begin() as session:
        sub = session.get(Submission, submission_id)
        assert sub is not None
        if sub.lease_owner == owner:
            sub.lease_owner, sub.lease_until = None, None
        return DeliveryResult(sub.id, sub.state, sub.remote_id, detail)


def _after_failure(db: Database, submission_id: int, error: str, base_s: float, *,
                   permanent: bool) -> None:
    with db.begin() as session:
        sub = session.get(Submission, submission_id)
        assert sub is not None
        sub.attempts += 1
        sub.last_error = error
        if permanent:
            sub.state = "failed"
            record(session, actor=ACTOR, action="report.delivery_failed", object_type="report_task",
                   object_id=str(sub.task_id), details={"destination": sub.destination,
                                                        "error": error})
            settle_task(session, sub.task_id)
        else:
            delay = min(base_s * 2 ** min(sub.attempts - 1, 10), 3600.0)
            sub.next_attempt_at = utcnow() + timedelta(seconds=delay * random.uniform(0.8, 1.2))


def settle_task(session: Session, task_id: int) -> None:
    """After a destination changed state: release NCA waits and close the task when all are done."""
    from firstlight.reports.tasks import close_report_task

    subs = list(session.scalars(select(Submission).where(Submission.task_id == task_id)))
    ncmec = next((s for s in subs if s.destination == "ncmec"), None)
    for sub in subs:
        if sub.destination == "nca" and sub.state == "waiting_ncmec" and ncmec is not None:
            if ncmec.state == "finished":
                sub.state = "not_required"
                sub.note = (f"OSA s.70(5): reported to NCMEC as CyberTip {ncmec.remote_id}, so not "
                            "'unreported'; the NCA receives UK-linked NCMEC reports from NCMEC")
            elif ncmec.state == "failed":
                sub.state = "pending"
                sub.note = "NCMEC delivery failed: the content is unreported, so it goes to the NCA"
    task = session.get(ReportTask, task_id)
    if task is not None and task.open_case_id is not None and subs and all(
        s.state in DONE_STATES for s in subs
    ):
        close_report_task(session, task, status="delivered", actor=ACTOR,
                          reason="every destination delivered or not required")
