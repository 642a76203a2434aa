"""OSA s.23 records: immutable, hash-chained versions of the profile and of every risk assessment.

* ``save_profile`` stores a new profile version when the document changed (same content: same version).
* ``record_assessment`` stores an assessment as the next version with its content hash, the previous
  version's hash, the author, what triggered it (``initial``, ``significant_change``, ``annual_review``,
  ``manual``) and its review date (created + ``review_days``, 365 by default; Ofcom's guidance assumes an
  annual cycle, S). Both write to the audit log in the caller's transaction.
* ``history`` lists the versions with what changed between each and the one before it.
* ``verify_records`` recomputes every hash and link, so an edited record is detected.

Superseded records stay: Ofcom's Record-Keeping and Review Guidance asks for at least three years (S).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight import audit
from firstlight.compliance.assessment import Assessment
from firstlight.compliance.models import AssessmentRow, ProfileRow
from firstlight.compliance.profile import ProfileDocument, parse_profile
from firstlight.errors import Invalid, NotFound
from firstlight.store.db import utcnow

__all__ = [
    "GENESIS",
    "TRIGGERS",
    "HistoryEntry",
    "RecordCheck",
    "content_hash",
    "current_profile",
    "get_assessment",
    "history",
    "latest_assessment",
    "list_assessments",
    "load_assessment",
    "record_assessment",
    "save_profile",
    "verify_records",
]

GENESIS = "0" * 64
TRIGGERS = ("initial", "significant_change", "annual_review", "manual")


def _time(at: datetime) -> str:
    if at.tzinfo is None:
        raise Invalid("record times must be timezone-aware")
    return at.astimezone(UTC).isoformat()


def content_hash(row: AssessmentRow) -> str:
    """SHA-256 over the record's content and the previous record's hash."""
    material = {
        "version": row.version,
        "prev": row.prev_hash,
        "created_at": _time(row.created_at),
        "author": row.author,
        "trigger": row.trigger,
        "reason": row.reason,
        "review_due": _time(row.review_due),
        "profile_sha256": row.profile_sha256,
        "catalogue_version": row.catalogue_version,
        "levels": row.levels,
        "body": row.body,
    }
    return audit.chain_hash(material)


# --- profiles -----------------------------------------------------------------------------------------


def current_profile(session: Session) -> tuple[ProfileRow, ProfileDocument] | None:
    row = session.scalars(select(ProfileRow).order_by(ProfileRow.version.desc()).limit(1)).first()
    if row is None:
        return None
    return row, parse_profile(row.document)


def save_profile(session: Session, document: ProfileDocument, *, author: str) -> tuple[ProfileRow, bool]:
    """Store the document as the next profile version unless it equals the current one.

    Returns the row and whether a new version was created.
    """
    current = current_profile(session)
    if current is not None and current[0].sha256 == document.sha256:
        return current[0], False
    row = ProfileRow(
        version=(current[0].version + 1) if current else 1,
        sha256=document.sha256,
        created_at=utcnow(),
        author=author,
        document=document.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=author,
        action="compliance.profile.save",
        object_type="compliance_profile",
        object_id=row.version,
        details={"sha256": row.sha256, "service": document.service.name},
    )
    return row, True


# --- assessments --------------------------------------------------------------------------------------


def latest_assessment(session: Session) -> AssessmentRow | None:
    return session.scalars(select(AssessmentRow).order_by(AssessmentRow.version.desc()).limit(1)).first()


def list_assessments(session: Session) -> list[AssessmentRow]:
    return list(session.scalars(select(AssessmentRow).order_by(AssessmentRow.version)))


def get_assessment(session: Session, version: int | None = None) -> AssessmentRow:
    """One version, or the latest when ``version`` is None."""
    if version is None:
        row = latest_assessment(session)
        if row is None:
            raise NotFound("no risk assessment has been recorded yet: run `firstlight assess run`")
        return row
    row = session.scalars(select(AssessmentRow).where(AssessmentRow.version == version)).first()
    if row is None:
        raise NotFound(f"no risk assessment version {version}")
    return row


def load_assessment(row: AssessmentRow) -> Assessment:
    return Assessment.model_validate(row.body)


def _trigger_for(
    assessment: Assessment, previous: AssessmentRow | None, now: datetime
) -> tuple[str, str | None]:
    if previous is None:
        return "initial", None
    earlier = load_assessment(previous).profile.service
    changes = assessment.profile.service.significant_changes(earlier)
    if changes:
        return "significant_change", "; ".join(changes)
    if previous.review_due <= now:
        return "annual_review", None
    return "manual", None


def record_assessment(
    session: Session,
    assessment: Assessment,
    *,
    author: str,
    trigger: str | None = None,
    reason: str | None = None,
    review_days: int = 365,
    now: datetime | None = None,
) -> AssessmentRow:
    """Store ``assessment`` as the next immutable version and audit it (the caller commits)."""
    if not author.strip():
        raise Invalid("an assessment record needs an author")
    if trigger is not None and trigger not in TRIGGERS:
        raise Invalid(f"trigger must be one of {', '.join(TRIGGERS)}")
    previous = latest_assessment(session)
    created = (now or utcnow()).astimezone(UTC)
    auto_trigger, auto_reason = _trigger_for(assessment, previous, created)
    row = AssessmentRow(
        version=(previous.version + 1) if previous else 1,
        prev_hash=previous.content_hash if previous else GENESIS,
        created_at=created,
        author=author.strip(),
        trigger=trigger or auto_trigger,
        reason=reason or auto_reason,
        review_due=created + timedelta(days=review_days),
        profile_sha256=assessment.profile_sha256,
        catalogue_version=assessment.catalogue_version,
        levels=assessment.levels_summary(),
        body=json.loads(assessment.model_dump_json()),
    )
    row.content_hash = content_hash(row)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=row.author,
        action="compliance.assessment.record",
        object_type="compliance_assessment",
        object_id=row.version,
        details={
            "content_hash": row.content_hash,
            "trigger": row.trigger,
            "review_due": row.review_due.isoformat(),
            "csea_levels": assessment.csea_levels,
        },
    )
    return row


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    created_at: datetime
    author: str
    trigger: str
    reason: str | None
    review_due: datetime
    content_hash: str
    level_changes: list[str] = field(default_factory=list)
    measure_changes: list[str] = field(default_factory=list)


def history(session: Session) -> list[HistoryEntry]:
    """Every version, oldest first, with the level and measure-status changes since the version before."""
    entries: list[HistoryEntry] = []
    before_levels: dict[str, Any] = {}
    before_measures: dict[str, str] = {}
    for row in list_assessments(session):
        measures = {m["id"]: m["status"] for m in row.body.get("measures", [])}
        level_changes = [
            f"{harm}: {before_levels.get(harm) or 'not assessed'} → {level or 'not assessed'}"
            for harm, level in row.levels.items()
            if before_levels and before_levels.get(harm) != level
        ]
        measure_changes = [
            f"{mid}: {before_measures.get(mid)} → {status}"
            for mid, status in measures.items()
            if before_measures and before_measures.get(mid) != status
        ]
        entries.append(
            HistoryEntry(
                version=row.version,
                created_at=row.created_at,
                author=row.author,
                trigger=row.trigger,
                reason=row.reason,
                review_due=row.review_due,
                content_hash=row.content_hash,
                level_changes=level_changes,
                measure_changes=measure_changes,
            )
        )
        before_levels, before_measures = row.levels, measures
    return entries


@dataclass(frozen=True)
class RecordCheck:
    ok: bool
    checked: int
    first_bad_version: int | None = None
    reason: str | None = None


def verify_records(session: Session) -> RecordCheck:
    """Recompute every assessment record's hash and its link to the one before."""
    prev = GENESIS
    checked = 0
    for expected, row in enumerate(list_assessments(session), start=1):
        if row.version != expected:
            return RecordCheck(False, checked, row.version, f"version gap: expected {expected}")
        if row.prev_hash != prev:
            return RecordCheck(False, checked, row.version, "link to the previous version is broken")
        if content_hash(row) != row.content_hash:
            return RecordCheck(False, checked, row.version, "record content does not match its hash")
        prev = row.content_hash
        checked += 1
    return RecordCheck(True, checked)
