"""The enforcement check: the view a regulator would take of the records and the data behind them.

``check_compliance`` compares the latest recorded assessment with one recomputed from the current profile
and the current snapshot, and lists findings, each with the duty it rests on:

* no assessment recorded (OSA s.9(2), s.23(2));
* a review overdue (s.9(3), s.23(6)(a)), or a significant change since the last assessment (s.9(4),
  s.23(6)(b)), or a risk level the current evidence puts higher than the record (s.9(3));
* a kind of priority harm not assessed (s.9(5)(b));
* an applicable Codes measure with no evidence, statement or recorded alternative (s.23(3)–(4)), or an
  alternative without the s.23(4)(c)–(d) reasoning;
* **any confirmed CSEA incidence not reported** to the NCA or a foreign agency (s.66; reports to NCMEC count,
  s.70(5)) — with no prevalence threshold: one unreported case fails the check once it has no report task,
  its task was closed without a delivered report, or its task is past the SI 2026/268 timeframe (a task still
  within its timeframe is a warning: the report is on its way);
* report tasks past their SI 2026/268 timeframe.

Severity ``fail`` is a likely contravention, ``warn`` needs attention, ``info`` is context. The check passes
when nothing fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from firstlight.compliance.assessment import Assessment
from firstlight.compliance.catalogue import CSEA_HARMS
from firstlight.compliance.profile import ServiceProfile
from firstlight.compliance.snapshot import ActivitySnapshot, ConfirmedCase
from firstlight.compliance.transparency import UK

__all__ = ["CheckResult", "Finding", "RecordSummary", "check_compliance", "uk_linked"]

Severity = Literal["fail", "warn", "info"]


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    message: str
    ref: str
    subject: str | None = None


class RecordSummary(BaseModel):
    """What the check needs of the latest stored record."""

    model_config = ConfigDict(frozen=True)

    version: int
    created_at: datetime
    review_due: datetime
    assessment: Assessment


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    checked_at: datetime
    ok: bool
    findings: list[Finding] = Field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "fail"]


def uk_linked(case: ConfirmedCase) -> bool | None:
    """OSA s.70(6): a link to the UK by a suspect's or the child's location (None: not known)."""
    countries = [c for c in [case.account_country, *case.involved_countries, *case.victim_countries] if c]
    if UK in countries:
        return True
    return None if not countries else False


def _reporting_findings(snapshot: ActivitySnapshot, profile: ServiceProfile) -> list[Finding]:
    findings: list[Finding] = []
    if not snapshot.has("cases"):
        findings.append(
            Finding(
                severity="warn",
                code="cases_unreadable",
                message="confirmed CSEA cases could not be read, so reporting could not be checked",
                ref="OSA s.66",
            )
        )
        return findings
    for case in snapshot.confirmed_cases:
        if case.reported:
            continue
        linked = uk_linked(case)
        subject = f"case {case.case_id}"
        what = f"case {case.case_id} ({case.harm}, account {case.subject_account})"
        when = f" confirmed {case.confirmed_at:%Y-%m-%d %H:%M} UTC" if case.confirmed_at else " confirmed"
        if not profile.uk_provider and linked is False:
            findings.append(
                Finding(
                    severity="info",
                    code="csea_not_uk_linked",
                    message=f"{what}{when}, not reported; not UK-linked, so a non-UK provider must not "
                    "report it to the NCA (report it where the provider's own law requires)",
                    ref="OSA s.66(2), s.70(6)",
                    subject=subject,
                )
            )
            continue
        if case.report_task_status == "open" and not case.report_overdue:
            findings.append(
                Finding(
                    severity="warn",
                    code="csea_report_pending",
                    message=f"{what}{when}, not reported yet; its report task is open and within its "
                    "priority timeframe",
                    ref="OSA s.66; SI 2026/268 (priority timeframes)",
                    subject=subject,
                )
            )
            continue
        task = {
            "none": "no report task exists",
            "open": "its report task is open and past its priority timeframe",
            "delivered": "its report task shows no delivered destination",
            "closed": "its report task was closed without a delivered report",
        }[case.report_task_status]
        findings.append(
            Finding(
                severity="fail",
                code="csea_unreported",
                message=f"confirmed CSEA incidence not reported: {what}{when}; {task}. "
                "Every detected, unreported CSEA item must be reported (no prevalence threshold)",
                ref="OSA s.66, s.70(4)–(5); SI 2026/268",
                subject=subject,
            )
        )
    overdue = sum(r.overdue for r in snapshot.reports)
    if overdue:
        findings.append(
            Finding(
                severity="fail",
                code="report_overdue",
                message=f"{overdue} report(s) past their priority timeframe",
                ref="SI 2026/268 (priority timeframes)",
            )
        )
    return findings


def _record_findings(latest: RecordSummary | None, current: Assessment, now: datetime) -> list[Finding]:
    if latest is None:
        return [
            Finding(
                severity="fail",
                code="no_assessment",
                message="no illegal content risk assessment has been recorded",
                ref="OSA s.9(2), s.23(2)",
            )
        ]
    findings: list[Finding] = []
    if latest.review_due <= now:
        findings.append(
            Finding(
                severity="fail",
                code="review_overdue",
                message=f"assessment version {latest.version} was due for review on "
                f"{latest.review_due:%Y-%m-%d}",
                ref="OSA s.9(3), s.23(6)(a)",
            )
        )
    changes = current.profile.service.significant_changes(latest.assessment.profile.service)
    if changes:
        findings.append(
            Finding(
                severity="fail",
                code="significant_change",
                message=f"the service changed since assessment version {latest.version} "
                f"({'; '.join(changes)}): review due now",
                ref="OSA s.9(4), s.23(6)(b)",
            )
        )
    for harm in CSEA_HARMS:
        recorded = latest.assessment.risk.harms[harm].level
        now_level = current.risk.harms[harm].level
        if recorded is not None and now_level is not None and now_level > recorded:
            findings.append(
                Finding(
                    severity="fail",
                    code="risk_out_of_date",
                    message=f"{current.risk.harms[harm].name}: the evidence now supports {now_level}, the "
                    f"record says {recorded}: {current.risk.harms[harm].decisive}",
                    ref="OSA s.9(3)",
                    subject=harm,
                )
            )
    return findings


def _measure_findings(current: Assessment) -> list[Finding]:
    findings: list[Finding] = []
    for m in current.measures:
        if m.status == "missing":
            gaps = [f.text for f in m.evidence if f.required and not f.ok]
            detail = f" ({'; '.join(gaps)})" if gaps else ""
            findings.append(
                Finding(
                    severity="fail",
                    code="measure_without_evidence",
                    message=f"{m.id} {m.title} applies but has no evidence, statement or recorded "
                    f"alternative{detail}",
                    ref="OSA s.23(3)–(4); Illegal Content Codes",
                    subject=m.id,
                )
            )
        elif m.status == "undetermined":
            unknown = [name for name, value in m.bindings.items() if value in ("not assessed", "unknown")]
            findings.append(
                Finding(
                    severity="warn",
                    code="measure_undetermined",
                    message=f"{m.id} {m.title}: applicability depends on {', '.join(unknown)}",
                    ref="Illegal Content Codes",
                    subject=m.id,
                )
            )
        elif m.status == "alternative" and m.alternative is not None:
            if not (m.alternative.how_compliant and m.alternative.rights_considered):
                findings.append(
                    Finding(
                        severity="warn",
                        code="alternative_incomplete",
                        message=f"{m.id}: the alternative measure's record should say how it complies and "
                        "how "
                        "freedom of expression and privacy were considered",
                        ref="OSA s.23(4)(c)–(d), s.49(5)",
                        subject=m.id,
                    )
                )
        elif m.status == "upcoming":
            findings.append(
                Finding(
                    severity="info",
                    code="measure_upcoming",
                    message=f"{m.id} {m.title} will apply once in force",
                    ref="Illegal Content Codes (amendments)",
                    subject=m.id,
                )
            )
    return findings


def check_compliance(
    *,
    current: Assessment,
    snapshot: ActivitySnapshot,
    latest: RecordSummary | None,
    now: datetime,
) -> CheckResult:
    """Findings for the recorded assessment, the recomputed one and the activity behind them."""
    findings = _record_findings(latest, current, now)
    for harm in current.risk.not_assessed:
        findings.append(
            Finding(
                severity="fail",
                code="harm_not_assessed",
                message=f"{current.risk.harms[harm].name} has not been assessed",
                ref="OSA s.9(5)(b)",
                subject=harm,
            )
        )
    findings += _measure_findings(current)
    findings += _reporting_findings(snapshot, current.profile.service)
    order = {"fail": 0, "warn": 1, "info": 2}
    findings.sort(key=lambda f: order[f.severity])
    return CheckResult(checked_at=now, ok=not any(f.severity == "fail" for f in findings), findings=findings)
