"""``ActivitySnapshot``: everything the compliance room reads from the rest of Firstlight, in one typed value.

The risk assessment, the Codes evidence, the transparency data and the enforcement check all take a
snapshot and never query another room's tables themselves. ``gather_activity(session, settings)`` (in
``_gather``) builds one from the database; tests build one directly. ``available`` says which rooms' data
the snapshot could read, so "no evidence" (the room is missing) is never confused with "evidence of none"
(the room is there and found nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "PROACTIVE_SOURCES",
    "ActionStats",
    "ActivitySnapshot",
    "BankFact",
    "ConfigFacts",
    "ConfirmedCase",
    "DetectionCount",
    "ReportCount",
]

DetectionSource = Literal[
    "hash_match", "url_list", "classifier", "rule", "user_report", "trusted_flagger", "moderator", "other"
]
PROACTIVE_SOURCES = frozenset({"hash_match", "url_list", "classifier", "rule"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BankFact(_Model):
    """One hash or URL bank as the evidence for ICU C9/C10 needs it."""

    name: str
    kind: str = Field(description="block | allow | survivor")
    signal_types: list[str] = Field(default_factory=list, description="pdq, vpdq, md5, sha256, url …")
    entries: int = 0
    sources: list[str] = Field(default_factory=list, description="who curated the entries: IWF, NCMEC …")
    enabled: bool = True


class ConfigFacts(_Model):
    """Configuration facts. ``None`` means "could not be determined" (the room is not installed)."""

    hash_matching_on: bool | None = None
    url_matching_on: bool | None = None
    classifiers_on: bool | None = None
    livestream_monitoring_on: bool | None = None
    webhook_configured: bool | None = None
    scanned_surfaces: list[str] = Field(
        default_factory=list, description="surfaces proactively scanned: public, private, livestream"
    )
    banks: list[BankFact] = Field(default_factory=list)


class DetectionCount(_Model):
    """Flagged items in the period by harm and by how they were found."""

    harm: str = Field(description="csea.image_csam | csea.csam_urls | csea.grooming | other")
    source: DetectionSource
    count: int = Field(ge=0)

    @property
    def proactive(self) -> bool:
        return self.source in PROACTIVE_SOURCES


class ConfirmedCase(_Model):
    """A case a reviewer confirmed as CSEA, with what the regulator asks about it."""

    case_id: int
    harm: str = "csea.image_csam"
    subject_account: str
    confirmed_at: datetime | None = None
    detected_by: DetectionSource = "other"
    account_country: str | None = None
    victim_countries: list[str] = Field(default_factory=list, description="where the children harmed are")
    involved_countries: list[str] = Field(
        default_factory=list, description="countries of other accounts involved, e.g. livestream viewers"
    )
    reported_to: list[str] = Field(default_factory=list, description="destinations delivered: NCA, NCMEC")
    report_task_status: Literal["none", "open", "delivered", "closed"] = "none"
    report_overdue: bool = False

    @property
    def reported(self) -> bool:
        return bool(self.reported_to)


class ActionStats(_Model):
    """Actions of one kind in the period, with the accepted → delivered times ("time to takedown")."""

    kind: str
    total: int = Field(ge=0)
    delivered: int = Field(default=0, ge=0)
    failed: int = Field(default=0, ge=0)
    seconds: list[float] = Field(default_factory=list, description="time to action of each delivery")


class ReportCount(_Model):
    """Reports (to the NCA or NCMEC) in the period for one destination and priority."""

    destination: str
    priority: str
    count: int = Field(ge=0)
    delivered: int = Field(default=0, ge=0)
    overdue: int = Field(default=0, ge=0)


class ActivitySnapshot(_Model):
    """What Firstlight's own data says about the service over a period."""

    generated_at: datetime
    period_start: datetime | None = None
    period_end: datetime | None = None
    available: dict[str, bool] = Field(
        default_factory=dict, description="room -> whether its data could be read (banks, events, …)"
    )
    config: ConfigFacts = Field(default_factory=ConfigFacts)
    detections: list[DetectionCount] = Field(default_factory=list)
    pending_review: dict[str, int] = Field(
        default_factory=dict, description="harm -> flagged items not yet decided by a reviewer"
    )
    false_positives: int = 0
    user_reports: dict[str, int] = Field(
        default_factory=dict, description="harm (or 'other') -> user reports received"
    )
    confirmed_cases: list[ConfirmedCase] = Field(default_factory=list)
    actions: list[ActionStats] = Field(default_factory=list)
    reports: list[ReportCount] = Field(default_factory=list)
    accounts_by_country: dict[str, int] = Field(
        default_factory=dict, description="accounts seen in the period by country (account events)"
    )
    age_signals: int = Field(default=0, description="accounts with an age band or age-assurance result")

    def has(self, room: str) -> bool:
        return bool(self.available.get(room))

    def detections_for(self, harm: str, *, proactive: bool | None = None) -> int:
        return sum(
            d.count
            for d in self.detections
            if d.harm == harm and (proactive is None or d.proactive == proactive)
        )

    def confirmed_for(self, harm: str) -> list[ConfirmedCase]:
        return [case for case in self.confirmed_cases if case.harm == harm]

    def reports_filed(self) -> int:
        return sum(r.delivered for r in self.reports)
