"""Service functions of the compliance room: one per action; the CLI and the API both call these.

Each takes an open session (the caller commits) and the settings, gathers the activity snapshot itself
when it needs one, and raises ``FirstlightError`` subclasses on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firstlight.compliance._gather import gather_activity
from firstlight.compliance.assessment import Assessment, build_assessment
from firstlight.compliance.check import CheckResult, RecordSummary, check_compliance
from firstlight.compliance.models import AssessmentRow, ProfileRow
from firstlight.compliance.profile import ProfileDocument
from firstlight.compliance.records import (
    current_profile,
    get_assessment,
    latest_assessment,
    load_assessment,
    record_assessment,
    save_profile,
)
from firstlight.compliance.transparency import TransparencyData, transparency_data
from firstlight.errors import NotFound
from firstlight.store.db import utcnow

__all__ = [
    "RunResult",
    "assessment_for",
    "preview_assessment",
    "require_profile",
    "run_assessment",
    "run_check",
    "set_profile",
    "gather_transparency",
]


def set_profile(session: Session, document: ProfileDocument, *, author: str) -> tuple[ProfileRow, bool]:
    """Store a profile version (a no-op when unchanged). Returns the row and whether it is new."""
    return save_profile(session, document, author=author)


def require_profile(session: Session, document: ProfileDocument | None = None) -> ProfileDocument:
    """The given document, or the stored current profile; NotFound when there is neither."""
    if document is not None:
        return document
    stored = current_profile(session)
    if stored is None:
        raise NotFound(
            "no service profile: set one with `firstlight assess profile set FILE` "
            "or PUT /v1/compliance/profile"
        )
    return stored[1]


def preview_assessment(
    session: Session,
    settings: Any,
    *,
    document: ProfileDocument | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Assessment:
    """Compute an assessment without recording it (what `assess run --dry-run` shows)."""
    document = require_profile(session, document)
    return build_assessment(document, gather_activity(session, settings, since=since, until=until))


@dataclass(frozen=True)
class RunResult:
    record: AssessmentRow
    assessment: Assessment
    profile_version: int


def run_assessment(
    session: Session,
    settings: Any,
    *,
    author: str,
    document: ProfileDocument | None = None,
    reason: str | None = None,
    since: datetime | None = None,
) -> RunResult:
    """Gather the evidence, assess, and record the result as the next immutable version.

    A ``document`` given here is stored as the current profile first, so the record and the profile
    history always agree.
    """
    if document is not None:
        profile_row, _ = save_profile(session, document, author=author)
    else:
        stored = current_profile(session)
        if stored is None:
            require_profile(session)  # raises NotFound with the how-to
        assert stored is not None
        profile_row, document = stored
    snapshot = gather_activity(session, settings, since=since)
    assessment = build_assessment(document, snapshot)
    row = record_assessment(
        session,
        assessment,
        author=author,
        reason=reason,
        review_days=int(getattr(settings, "compliance_review_days", 365)),
    )
    return RunResult(record=row, assessment=assessment, profile_version=profile_row.version)


def run_check(
    session: Session, settings: Any, *, document: ProfileDocument | None = None, now: datetime | None = None
) -> CheckResult:
    """The enforcement check against the current profile (or ``document``) and the latest record."""
    now = now or utcnow()
    document = require_profile(session, document)
    snapshot = gather_activity(session, settings)
    current = build_assessment(document, snapshot)
    latest_row = latest_assessment(session)
    latest = (
        RecordSummary(
            version=latest_row.version,
            created_at=latest_row.created_at,
            review_due=latest_row.review_due,
            assessment=load_assessment(latest_row),
        )
        if latest_row is not None
        else None
    )
    return check_compliance(current=current, snapshot=snapshot, latest=latest, now=now)


def gather_transparency(
    session: Session, settings: Any, *, since: datetime | None = None, until: datetime | None = None
) -> TransparencyData:
    """Transparency figures for a period, named after the current profile's service."""
    stored = current_profile(session)
    name = stored[1].service.name if stored else "the service"
    return transparency_data(gather_activity(session, settings, since=since, until=until), service_name=name)


def assessment_for(session: Session, version: int | None) -> tuple[AssessmentRow, Assessment]:
    row = get_assessment(session, version)
    return row, load_assessment(row)
