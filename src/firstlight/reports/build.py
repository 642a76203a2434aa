"""Build a ``Report`` from a confirmed case: its items, their evidence (hashes, upload context) and how
each was detected. Everything the case does not hold stays empty — Schedule 1 asks for what is
*available*, and nothing is invented.

Account facts beyond the case (emails, phone and its verification, billing, login IPs, linked accounts)
live with the platform; an ``AccountProvider`` supplies them, so an operator can plug in a lookup against
their user database without this module knowing its shape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.errors import Conflict, NotFound
from firstlight.reports.report import (
    Account,
    Detection,
    InternetDetail,
    IpEvent,
    Report,
    Reporter,
    ReportFile,
)

__all__ = ["AccountProvider", "build_report", "reporter_from_settings"]

AccountProvider = Callable[[Session, str], Account | None]
UK_CATEGORIES = {"A", "B", "C"}
INDUSTRY = {"A1", "A2", "B1", "B2"}


def reporter_from_settings(settings: object) -> Reporter:
    """The organisation's reporter block from ``Settings.report_reporter``."""
    fields = dict(getattr(settings, "report_reporter", {}) or {})
    known = {k: v for k, v in fields.items() if k in Reporter.model_fields and v}
    return Reporter(**known)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _detections(item: Any) -> tuple[Detection, ...]:
    """Turn a case item's signals/explanation into detections, keeping bank entry and distance."""
    found: list[Detection] = []
    explanation = item.explanation or {}
    matches = explanation.get("matches") or [s for s in (item.signals or []) if isinstance(s, dict)
                                              and (s.get("bank_name") or s.get("bank"))]
    for match in matches:
        if not isinstance(match, dict):
            continue
        found.append(Detection(
            method="hash_match",
            source=match.get("bank_name") or match.get("bank"),
            entry_id=str(match["entry_id"]) if match.get("entry_id") is not None else None,
            signal_type=match.get("signal_type"),
            distance=match.get("distance"),
            threshold=match.get("threshold"),
            detail=f"rule {item.rule}" if item.rule else None,
        ))
    if not found:
        method = {"user_report": "user_report", "classifier": "classifier"}.get(item.source, "other")
        found.append(Detection(method=method, source=item.source,
                               detail=f"rule {item.rule}" if item.rule else None))
    return tuple(found)


def _file(item: Any, evidence: Any, category: str | None, reviewed: bool) -> ReportFile | None:
    meta: dict[str, Any] = dict(getattr(evidence, "meta", None) or {}) if evidence else {}
    meta = {**(item.context or {}), **meta}
    sha256 = getattr(evidence, "sha256", None) or item.sha256
    md5 = getattr(evidence, "md5", None) or item.md5
    if not sha256 or not md5:
        return None
    uploaded_at = _parse_time(meta.get("uploaded_at"))
    ip = meta.get("uploader_ip")
    exif = meta.get("exif") if isinstance(meta.get("exif"), dict) else {}
    return ReportFile(
        evidence_id=str(evidence.id if evidence is not None else item.evidence_id or item.id),
        sha256=sha256, md5=md5,
        size=getattr(evidence, "size", None),
        media_type=getattr(evidence, "media_type", None) or item.media_type,
        filename=meta.get("filename"), original_filename=meta.get("filename"),
        uploaded_at=uploaded_at, url=meta.get("media_url") or meta.get("url"),
        upload_ip=IpEvent(ip=str(ip), event="Upload", at=uploaded_at,
                          port=meta.get("uploader_port")) if ip else None,
        exif={str(k): str(v) for k, v in exif.items()},
        publicly_available=(meta.get("surface") == "public") if meta.get("surface") else None,
        viewed_by_esp=reviewed,
        uk_category=category if category in UK_CATEGORIES else None,
        industry_classification=category if category in INDUSTRY else None,
        detections=_detections(item),
    )


def build_report(
    session: Session,
    case_id: int,
    *,
    reference: str,
    priority: str = "P3",
    escalation_reason: str | None = None,
    settings: object | None = None,
    accounts: AccountProvider | None = None,
) -> Report:
    """The report of a case: confirmed by a reviewer, or opened by policy on a hash match (then the
    files are marked as not viewed by us). A case marked false positive raises ``Conflict``."""
    from firstlight.cases.models import Case, CaseItem

    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status == "false_positive":
        raise Conflict(f"case {case_id} was marked a false positive: nothing to report")
    reviewed = case.status == "confirmed"  # a policy-opened task may be sent before review
    items = list(session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)
                                 .order_by(CaseItem.id)))
    evidence_by_id: dict[int, Any] = {}
    ids = [i.evidence_id for i in items if i.evidence_id is not None]
    if ids:
        from firstlight.evidence.models import EvidenceItem

        evidence_by_id = {e.id: e for e in session.scalars(
            select(EvidenceItem).where(EvidenceItem.id.in_(ids)))}
    files = [f for f in (_file(i, evidence_by_id.get(i.evidence_id), case.category, reviewed)
                         for i in items if i.status != "false_positive") if f is not None]
    if settings is None:
        from firstlight.config import get_settings

        settings = get_settings()
    reporter = reporter_from_settings(settings)
    account = accounts(session, case.subject_account) if accounts else None
    account = account or Account(esp_identifier=case.subject_account,
                                 esp_service=reporter.company)
    urls = tuple(f.url for f in files if f.url)
    times = [f.uploaded_at for f in files if f.uploaded_at] or [case.created_at]
    return Report(
        reference=reference,
        case_id=case_id,
        incident_at=min(times),
        incident_at_description="Time of the first upload of reported content"
        if any(f.uploaded_at for f in files) else "Time the case was opened",
        platform=getattr(settings, "report_reporter", {}).get("platform") or reporter.company,
        priority=priority,  # type: ignore[arg-type]
        escalation_reason=escalation_reason,
        detections=(Detection(method="moderator", source=case.decided_by,
                              detail=f"confirmed CSEA, category {case.category}"),)
        if case.decided_by else (),
        internet_details=(InternetDetail(kind="web", urls=urls),) if urls else (),
        reported=(account,),
        files=tuple(files),
        assessment=case.decision_note,
        reporter=reporter,
    )
