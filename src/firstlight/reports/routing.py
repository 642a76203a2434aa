"""Which receivers a report goes to, and why — per-jurisdiction configuration, explained.

- A **US** service reports to NCMEC (18 U.S.C. §2258A).
- A **UK** provider reports *detected and unreported* CSEA to the NCA (OSA s.66(1)); a non-UK provider only
  UK-linked content (s.66(2), ``report_uk_linked_only``), and must not send the NCA anything else.
- Content reported to NCMEC is not "unreported" (s.70(5)), and the NCA asks for no duplicate referrals:
  when a report also goes to NCMEC, its NCA submission waits (``waiting_ncmec``) and becomes
  ``not_required`` once the CyberTip is finished — or ``pending`` if NCMEC delivery fails, because the
  content is then still unreported. Content already in a finished NCMEC report is ``not_required`` at once.
  ``report_nca_when_reported_to_ncmec`` sends both anyway, for operators whose counsel says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.errors import Invalid
from firstlight.reports.models import ReportTask, Submission
from firstlight.reports.report import Report

__all__ = ["Route", "RoutingConfig", "already_reported_to_ncmec", "route"]

JURISDICTIONS = ("UK", "US")


@dataclass(frozen=True)
class RoutingConfig:
    jurisdictions: tuple[str, ...] = ("UK",)
    uk_linked_only: bool = False
    nca_when_reported_to_ncmec: bool = False

    @classmethod
    def from_settings(cls, settings: object) -> RoutingConfig:
        names = tuple(str(j).upper() for j in getattr(settings, "service_jurisdictions", ["UK"]))
        unknown = set(names) - set(JURISDICTIONS)
        if unknown:
            raise Invalid(f"unknown service jurisdictions {sorted(unknown)}; use UK and/or US")
        return cls(names, bool(getattr(settings, "report_uk_linked_only", False)),
                   bool(getattr(settings, "report_nca_when_reported_to_ncmec", False)))


@dataclass(frozen=True)
class Route:
    """Destination → initial submission state, with the reason for each decision."""

    states: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"destinations": self.states, "reasons": self.reasons}


def already_reported_to_ncmec(session: Session, sha256s: Iterable[str]) -> bool:
    """True when every one of these files is in a finished NCMEC submission of ours."""
    wanted = set(sha256s)
    if not wanted:
        return False
    finished = session.execute(
        select(ReportTask.report).join(Submission, Submission.task_id == ReportTask.id)
        .where(Submission.destination == "ncmec", Submission.state == "finished")
    ).scalars()
    seen: set[str] = set()
    for frozen in finished:
        seen.update(f.get("sha256", "") for f in (frozen or {}).get("files", []))
    return wanted <= seen


def route(session: Session, report: Report, config: RoutingConfig) -> Route:
    states: dict[str, str] = {}
    reasons: dict[str, str] = {}
    if "US" in config.jurisdictions:
        states["ncmec"] = "pending"
        reasons["ncmec"] = "US service: 18 U.S.C. §2258A"
    if "UK" in config.jurisdictions:
        if config.uk_linked_only and not report.uk_linked:
            reasons["nca"] = ("not sent: non-UK provider and no evidence of a UK link (OSA s.66(2), "
                              "s.70(6))")
        elif not config.nca_when_reported_to_ncmec and already_reported_to_ncmec(
            session, (f.sha256 for f in report.files)
        ):
            states["nca"] = "not_required"
            reasons["nca"] = "OSA s.70(5): this content is already in a finished NCMEC report"
        elif "ncmec" in states and not config.nca_when_reported_to_ncmec:
            states["nca"] = "waiting_ncmec"
            reasons["nca"] = ("OSA s.70(5): not required once the NCMEC report is finished; "
                              "sent to the NCA if NCMEC delivery fails")
        else:
            states["nca"] = "pending"
            basis = "UK-linked content, s.66(2)" if config.uk_linked_only else "UK provider, s.66(1)"
            reasons["nca"] = f"OSA {basis}: detected and unreported CSEA content"
    if not states:
        raise Invalid("no destination for this report: " + "; ".join(reasons.values()),
                      details=reasons)
    return Route(states, reasons)
