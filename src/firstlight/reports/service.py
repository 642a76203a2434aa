"""The reports room's service functions: the CLI commands and API routes all call these.

``queue_submissions`` freezes the report into its task and writes one outbox row per destination (in the
caller's transaction, so an accepted submit is durable before anyone answers); ``deliver_due`` is one pass
of the delivery worker; ``record_nca_reference`` is how the person who filed in the NCA portal closes it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.reports.models import ReportTask, Submission, SubmissionFile
from firstlight.reports.nca import ManualPortalTransport, NcaTransport, render_bundle, render_document
from firstlight.reports.ncmec_client import NcmecClient
from firstlight.reports.ncmec_xml import render_report
from firstlight.reports.outbox import DeliveryResult, FileSource, deliver_ncmec, settle_task
from firstlight.reports.report import Report, ReportFile
from firstlight.reports.retention import record_delivery
from firstlight.reports.routing import RoutingConfig, route
from firstlight.reports.tasks import get_report_task
from firstlight.store.db import Database, utcnow

__all__ = [
    "FORMATS",
    "deliver_due",
    "evidence_file_source",
    "ncmec_client_from_settings",
    "queue_submissions",
    "record_nca_reference",
    "render_task",
    "task_status",
]

FORMATS = {"xml": "text/xml", "json": "application/json", "html": "text/html"}


def frozen_report(session: Session, task: ReportTask, *, settings: object | None = None) -> Report:
    """The task's report: the frozen one once submitted, else built from its case now."""
    if task.report is not None:
        return Report.model_validate(task.report)
    from firstlight.reports.build import build_report

    return build_report(session, task.case_id, reference=f"firstlight-task-{task.id}",
                        priority=task.priority, settings=settings,
                        escalation_reason=task.reason if task.priority == "P1" else None)


def queue_submissions(
    session: Session,
    task_id: int,
    *,
    actor: str,
    report: Report | None = None,
    config: RoutingConfig | None = None,
    settings: object | None = None,
) -> list[Submission]:
    """Freeze the report, route it, and queue one outbox row per destination (idempotent)."""
    task = get_report_task(session, task_id)
    existing = list(session.scalars(select(Submission).where(Submission.task_id == task.id)))
    if existing:
        return existing
    if task.status not in ("open",):
        raise Conflict(f"report task {task_id} is {task.status}")
    if settings is None:
        from firstlight.config import get_settings

        settings = get_settings()
    report = report or frozen_report(session, task, settings=settings)
    report = report.model_copy(update={"priority": task.priority})
    config = config or RoutingConfig.from_settings(settings)
    decision = route(session, report, config)
    task.report = report.model_dump(mode="json")
    task.routing = decision.as_dict()
    task.status = "delivering"
    environment = "prod" if "report.cybertip.org" in getattr(settings, "ncmec_base_url", "") else "test"
    now = utcnow()
    subs = []
    for destination, state in decision.states.items():
        sub = Submission(task_id=task.id, destination=destination, state=state, created_at=now,
                         attempts=0, retractions=0, note=decision.reasons[destination],
                         environment=environment if destination == "ncmec" else "portal")
        if destination == "nca":
            sub.payload = json.dumps(render_bundle(report), indent=2)
        session.add(sub)
        subs.append(sub)
    session.flush()
    record(session, actor=actor, action="report.queued", object_type="report_task",
           object_id=str(task.id), details=decision.as_dict())
    settle_task(session, task.id)
    return subs


def ncmec_client_from_settings(settings: object) -> NcmecClient:
    username = getattr(settings, "ncmec_username", None)
    password = getattr(settings, "ncmec_password", None)
    if not username or not password:
        raise Invalid("NCMEC credentials are not configured (FIRSTLIGHT_NCMEC_USERNAME / _PASSWORD)")
    return NcmecClient(settings.ncmec_base_url, username, password)


def evidence_file_source(settings: object) -> FileSource:
    """Read files from the evidence vault, each read recorded in the chain of custody."""

    def read(session: Session, file: ReportFile, reason: str) -> bytes:
        from firstlight.evidence.service import open_item
        from firstlight.evidence.vault import Vault

        if not file.evidence_id.isdigit():
            raise NotFound(f"evidence {file.evidence_id} is not in the vault")
        return open_item(session, Vault.open(settings), int(file.evidence_id), actor="reports",
                         reason=reason, purpose="report_upload")

    return read


def deliver_due(
    db: Database,
    *,
    settings: object | None = None,
    task_id: int | None = None,
    client: NcmecClient | None = None,
    files: FileSource | None = None,
    nca: NcaTransport | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> list[DeliveryResult]:
    """One pass of the delivery worker over submissions that are due (or only one task's)."""
    if settings is None:
        from firstlight.config import get_settings

        settings = get_settings()
    now = now or utcnow()
    with db.session() as session:
        query = select(Submission.id, Submission.destination).where(
            Submission.state.in_(("pending", "opened")),
            or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now),
        )
        if task_id is not None:
            query = query.where(Submission.task_id == task_id)
        due = list(session.execute(query.order_by(Submission.id).limit(limit)))
    results: list[DeliveryResult] = []
    own_client = None
    try:
        for submission_id, destination in due:
            if destination == "nca":
                results.append(_deliver_nca(db, submission_id, nca or ManualPortalTransport()))
                continue
            if client is None:
                try:
                    client = own_client = ncmec_client_from_settings(settings)
                except Invalid as exc:  # keep going: NCA rows in this pass still move
                    results.append(DeliveryResult(submission_id, "pending", None, exc.message))
                    continue
            results.append(deliver_ncmec(
                db, submission_id, client, files or evidence_file_source(settings),
                lease_s=float(getattr(settings, "report_delivery_lease_s", 300)),
                retry_base_s=float(getattr(settings, "report_retry_base_s", 30)), now=now))
    finally:
        if own_client is not None:
            own_client.close()
    return results


def _deliver_nca(db: Database, submission_id: int, transport: NcaTransport) -> DeliveryResult:
    with db.begin() as session:
        sub = session.get(Submission, submission_id)
        assert sub is not None
        receipt = transport.send(json.loads(sub.payload or "{}"))
        if receipt is None:
            sub.state = "awaiting_reference"
            sub.note = (f"{sub.note or ''}\nReady for entry in the NCA CSEA Industry Reporting "
                        "Portal; record the NCA reference when filed.").strip()
        else:
            _filed(session, sub, receipt.reference, declared_by=f"api:{transport.name}")
        return DeliveryResult(sub.id, sub.state, sub.remote_id)


def _filed(session: Session, sub: Submission, reference: str, *, declared_by: str) -> None:
    task = session.get(ReportTask, sub.task_id)
    assert task is not None and task.report is not None
    sub.state, sub.remote_id, sub.declared_by, sub.finished_at = "filed", reference, declared_by, utcnow()
    record_delivery(session, sub, Report.model_validate(task.report))
    settle_task(session, sub.task_id)


def record_nca_reference(
    session: Session, task_id: int, *, reference: str, declared_by: str, actor: str
) -> Submission:
    """The authorised person filed the report in the NCA portal: keep its reference (5 years)."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 64 or any(c.isspace() for c in reference):
        raise Invalid("the NCA reference must be 1-64 characters without spaces")
    if not declared_by or not declared_by.strip():
        raise Invalid("the para 7 declaration needs the name of the person who made it")
    sub = session.scalars(select(Submission).where(Submission.task_id == task_id,
                                                   Submission.destination == "nca")).first()
    if sub is None:
        raise NotFound(f"report task {task_id} has no NCA submission")
    if sub.state == "filed":
        if sub.remote_id == reference:
            return sub
        raise Conflict(f"report task {task_id} is already filed with the NCA as {sub.remote_id}")
    if sub.state not in ("awaiting_reference", "pending"):
        raise Conflict(f"the NCA submission of task {task_id} is {sub.state}; nothing to file")
    _filed(session, sub, reference, declared_by=declared_by.strip())
    record(session, actor=actor, action="report.nca_reference_recorded", object_type="report_task",
           object_id=str(task_id), details={"reference": reference, "declared_by": declared_by})
    return sub


def task_status(session: Session, task_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """A task and each destination's state, for ``show``/``status`` (what a person needs to act)."""
    task = get_report_task(session, task_id)
    now = now or utcnow()
    subs = list(session.scalars(select(Submission).where(Submission.task_id == task.id)
                                .order_by(Submission.id)))
    return {
        "id": task.id, "case_id": task.case_id, "priority": task.priority, "status": task.status,
        "reason": task.reason, "detected_by": task.detected_by,
        "opened_at": task.opened_at.isoformat(), "due_at": task.due_at.isoformat(),
        "overdue": task.status in ("open", "delivering") and task.due_at < now,
        "delivered_at": task.delivered_at.isoformat() if task.delivered_at else None,
        "routing": task.routing,
        "submissions": [
            {"destination": s.destination, "state": s.state, "remote_id": s.remote_id,
             "step": s.step, "attempts": s.attempts, "retractions": s.retractions,
             "last_error": s.last_error, "note": s.note, "declared_by": s.declared_by,
             "files": session.query(SubmissionFile).filter_by(submission_id=s.id).count(),
             "finished_at": s.finished_at.isoformat() if s.finished_at else None}
            for s in subs
        ],
    }


def render_task(session: Session, task_id: int, fmt: str, *, settings: object | None = None
                ) -> tuple[str, bytes]:
    """``xml`` (NCMEC ``<report>``), ``json`` (NCA Schedule 1 bundle) or ``html`` (portal document)."""
    if fmt not in FORMATS:
        raise Invalid(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    task = get_report_task(session, task_id)
    report = frozen_report(session, task, settings=settings)
    if fmt == "xml":
        return FORMATS[fmt], render_report(report)
    bundle = render_bundle(report)
    nca = session.scalars(select(Submission).where(Submission.task_id == task.id,
                                                   Submission.destination == "nca")).first()
    if nca is not None and nca.declared_by:
        bundle["para7_declaration"].update(declared_by=nca.declared_by,
                                           declared_at=_iso(nca.finished_at))
    if fmt == "json":
        return FORMATS[fmt], json.dumps(bundle, indent=2).encode()
    reference = nca.remote_id if nca is not None else None
    return FORMATS[fmt], render_document(bundle, nca_reference=reference).encode()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
