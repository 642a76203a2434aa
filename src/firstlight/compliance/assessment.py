"""The assessment: Ofcom's four steps in one value, built from a profile document and an activity snapshot.

1. **Understand the harms**: the kinds of priority illegal harm and the risk factors present (profile).
2. **Assess the risk**: a level and reasons for each kind (``risk.assess_risk``).
3. **Decide measures**: each Codes measure's applicability and evidence (``measures.evaluate_measures``).
4. **Report, review and update**: the record (``records``), its review date and the enforcement check.

``build_assessment`` is pure: the same profile and snapshot give the same assessment, which is what lets
tests read like Ofcom's tables and lets the check recompute an assessment to compare with the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from firstlight.compliance.catalogue import CSEA_HARMS, load_catalogue, load_risk_profiles
from firstlight.compliance.measures import MeasureResult, evaluate_measures
from firstlight.compliance.profile import ProfileDocument
from firstlight.compliance.risk import RiskAssessment, assess_risk
from firstlight.compliance.snapshot import ActivitySnapshot

__all__ = ["METHOD", "Assessment", "build_assessment"]

METHOD = [
    "Step 1, understand the harms: the 17+ kinds of priority illegal harm (CSEA as image-based CSAM, CSAM "
    "URLs and grooming) and the risk factors in the service's Risk Profile (Ofcom codes 1a–8).",
    "Step 2, assess the risk: for the three CSEA sub-kinds, Firstlight applies RAG Tables 13.1–13.3 to the "
    "profile and its own evidence (detections, confirmed cases, user reports, reports filed); where evidence "
    "is inconclusive the higher level is chosen, and a confirmed CSEA incidence never rates below medium. "
    "The other priority harms are recorded from the operator's input.",
    "Step 3, decide measures: each Illegal Content Codes measure's condition is evaluated over the profile "
    "and the levels; each applicable measure is evidenced from Firstlight's configuration and activity, "
    "by an "
    "operator statement, or by a recorded alternative with its reason (OSA s.23(3)–(4)).",
    "Step 4, report, review and update: this record is immutable; it is reviewed annually and after any "
    "significant change (OSA s.9(3)–(4), s.23(6)).",
]


class Assessment(BaseModel):
    """Everything an OSA s.23(2) record holds about one assessment (before it is stored)."""

    model_config = ConfigDict(frozen=True)

    service_name: str
    generated_at: datetime
    period_start: datetime | None = None
    period_end: datetime | None = None
    method: list[str] = Field(default_factory=lambda: list(METHOD))
    profile: ProfileDocument
    profile_sha256: str
    catalogue_version: str
    catalogue_sha256: str
    risk_profiles_version: str
    evidence_available: dict[str, bool]
    evidence_summary: dict[str, Any]
    risk: RiskAssessment
    measures: list[MeasureResult]

    @property
    def csea_levels(self) -> dict[str, str]:
        return {harm: str(self.risk.harms[harm].level) for harm in CSEA_HARMS}

    def measure(self, measure_id: str) -> MeasureResult:
        for result in self.measures:
            if result.id == measure_id:
                return result
        raise KeyError(measure_id)

    @property
    def applicable(self) -> list[MeasureResult]:
        return [m for m in self.measures if m.applies]

    def levels_summary(self) -> dict[str, str | None]:
        return {harm: (None if r.level is None else str(r.level)) for harm, r in self.risk.harms.items()}


def _evidence_summary(snapshot: ActivitySnapshot) -> dict[str, Any]:
    return {
        "detections_proactive": sum(d.count for d in snapshot.detections if d.proactive),
        "detections_user_reported": sum(d.count for d in snapshot.detections if not d.proactive),
        "confirmed_csea_cases": len(snapshot.confirmed_cases),
        "confirmed_unreported": sum(1 for c in snapshot.confirmed_cases if not c.reported),
        "user_reports": sum(snapshot.user_reports.values()),
        "reports_filed": snapshot.reports_filed(),
        "pending_review": sum(snapshot.pending_review.values()),
    }


def build_assessment(document: ProfileDocument, snapshot: ActivitySnapshot) -> Assessment:
    """Run steps 1–3 for a profile against a snapshot of Firstlight's data."""
    catalogue = load_catalogue()
    risk = assess_risk(document, snapshot, large_threshold=catalogue.large_threshold)
    measures = evaluate_measures(document, risk, snapshot, catalogue=catalogue)
    return Assessment(
        service_name=document.service.name,
        generated_at=snapshot.generated_at,
        period_start=snapshot.period_start,
        period_end=snapshot.period_end,
        profile=document,
        profile_sha256=document.sha256,
        catalogue_version=catalogue.version,
        catalogue_sha256=catalogue.sha256,
        risk_profiles_version=load_risk_profiles().version,
        evidence_available=dict(snapshot.available),
        evidence_summary=_evidence_summary(snapshot),
        risk=risk,
        measures=measures,
    )
