"""Transparency data (OSA s.77, Sch 8 paras 1–3, 6 and 12), computed from an activity snapshot.

Ofcom's notices set the actual metrics, and no source the research read lists the CSEA metrics they ask for;
this is the *proposed* schema of ``regulation.md`` §5 and §8, labelled as such in every rendering:
detections (proactive vs user-reported), actions, time to takedown (p50, p90), reports by destination and
priority, and a **cross-border breakdown**: the countries of accounts involved in confirmed CSEA and of the
children harmed, including UK-based accounts involved in harm to children abroad. OSA s.59(11) makes
content illegal whatever the place, and s.70(6)(b)–(c) makes a UK suspect's content UK-linked; no Ofcom
guidance addresses UK offenders abusing children abroad expressly, which is why the figure is shown.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from firstlight.compliance.catalogue import load_risk_profiles
from firstlight.compliance.measures import TAKEDOWN_KINDS
from firstlight.compliance.measures import percentile as _percentile
from firstlight.compliance.snapshot import ActivitySnapshot

__all__ = ["UK", "CrossBorder", "TransparencyData", "transparency_data"]

UK = "GB"  # ISO 3166-1 alpha-2 for the United Kingdom
LABEL = (
    "Proposed schema (Firstlight), consistent with OSA Sch 8 paras 1–3, 6 and 12; not metrics prescribed "
    "by an Ofcom transparency notice."
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class DetectionRow(_Model):
    harm: str
    harm_name: str
    source: str
    proactive: bool
    count: int


class ActionRow(_Model):
    kind: str
    total: int
    delivered: int
    failed: int
    p50_s: float | None
    p90_s: float | None


class ReportRow(_Model):
    destination: str
    priority: str
    count: int
    delivered: int
    overdue: int


class Corridor(_Model):
    account_country: str
    victim_country: str
    cases: int


class CrossBorder(_Model):
    offender_accounts_by_country: dict[str, int] = Field(
        description="accounts in confirmed CSEA cases (subjects and others involved) by country"
    )
    victims_by_country: dict[str, int]
    corridors: list[Corridor]
    uk_accounts_harming_children_abroad: int = Field(
        description="confirmed cases in which a UK-based account was involved and a child was abroad"
    )
    foreign_accounts_harming_uk_children: int
    cases_with_unknown_countries: int
    accounts_seen_by_country: dict[str, int]


class TransparencyData(_Model):
    service_name: str
    generated_at: datetime
    period_start: datetime | None
    period_end: datetime | None
    label: str = LABEL
    detections: list[DetectionRow]
    detections_proactive: int
    detections_user_reported: int
    proactive_share_pct: float | None
    actions: list[ActionRow]
    takedowns: int
    time_to_takedown_p50_s: float | None
    time_to_takedown_p90_s: float | None
    reports: list[ReportRow]
    confirmed_csea_cases: int
    confirmed_unreported: int
    cross_border: CrossBorder
    data_available: dict[str, bool]


def percentile(values: list[float], q: float) -> float | None:
    value = _percentile(values, q)
    return None if value is None else round(value, 3)


def _cross_border(snapshot: ActivitySnapshot) -> CrossBorder:
    offenders: Counter[str] = Counter()
    victims: Counter[str] = Counter()
    corridors: Counter[tuple[str, str]] = Counter()
    uk_abroad = foreign_uk = unknown = 0
    for case in snapshot.confirmed_cases:
        # The subject account and the other accounts involved (e.g. viewers directing a livestream).
        involved = [case.account_country or "unknown", *case.involved_countries]
        offenders.update(involved)
        if not case.victim_countries or not case.account_country:
            unknown += 1
        for victim in case.victim_countries:
            victims[victim] += 1
            for country in sorted(set(involved)):
                corridors[(country, victim)] += 1
        abroad = [v for v in case.victim_countries if v != UK]
        if UK in involved and abroad:
            uk_abroad += 1
        if UK in case.victim_countries and any(c not in (UK, "unknown") for c in involved):
            foreign_uk += 1
    return CrossBorder(
        offender_accounts_by_country=dict(offenders.most_common()),
        victims_by_country=dict(victims.most_common()),
        corridors=[
            Corridor(account_country=a, victim_country=v, cases=n) for (a, v), n in corridors.most_common()
        ],
        uk_accounts_harming_children_abroad=uk_abroad,
        foreign_accounts_harming_uk_children=foreign_uk,
        cases_with_unknown_countries=unknown,
        accounts_seen_by_country=dict(Counter(snapshot.accounts_by_country).most_common()),
    )


def transparency_data(snapshot: ActivitySnapshot, *, service_name: str = "the service") -> TransparencyData:
    """The transparency figures for the snapshot's period."""
    profiles = load_risk_profiles()
    detections = [
        DetectionRow(
            harm=d.harm,
            harm_name=profiles.harm_name(d.harm) if d.harm != "other" else "Other / unclassified",
            source=d.source,
            proactive=d.proactive,
            count=d.count,
        )
        for d in sorted(snapshot.detections, key=lambda d: (d.harm, d.source))
    ]
    proactive = sum(d.count for d in detections if d.proactive)
    reactive = sum(d.count for d in detections if not d.proactive)
    total = proactive + reactive
    actions = [
        ActionRow(
            kind=a.kind,
            total=a.total,
            delivered=a.delivered,
            failed=a.failed,
            p50_s=percentile(a.seconds, 50),
            p90_s=percentile(a.seconds, 90),
        )
        for a in sorted(snapshot.actions, key=lambda a: a.kind)
    ]
    takedown_samples = [s for a in snapshot.actions if a.kind in TAKEDOWN_KINDS for s in a.seconds]
    return TransparencyData(
        service_name=service_name,
        generated_at=snapshot.generated_at,
        period_start=snapshot.period_start,
        period_end=snapshot.period_end,
        detections=detections,
        detections_proactive=proactive,
        detections_user_reported=reactive,
        proactive_share_pct=round(100 * proactive / total, 1) if total else None,
        actions=actions,
        takedowns=len(takedown_samples),
        time_to_takedown_p50_s=percentile(takedown_samples, 50),
        time_to_takedown_p90_s=percentile(takedown_samples, 90),
        reports=[
            ReportRow(**r.model_dump())
            for r in sorted(snapshot.reports, key=lambda r: (r.destination, r.priority))
        ],
        confirmed_csea_cases=len(snapshot.confirmed_cases),
        confirmed_unreported=sum(1 for c in snapshot.confirmed_cases if not c.reported),
        cross_border=_cross_border(snapshot),
        data_available=dict(snapshot.available),
    )
