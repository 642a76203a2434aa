"""Step 3: which Codes measures apply, and the evidence that each applicable one is in place.

For every measure in the catalogue, ``applies_if`` is evaluated over the profile and the risk levels (the
bindings it read are kept, so the record says *why*). For each applicable measure the evidence comes, in
this order of preference, from:

1. **Firstlight's own configuration and activity** (``EVIDENCE``: one small function per evidence key named
   in the data file — C9's hash matching, expert hash sources and public surfaces; C2's time to takedown …);
2. **an operator statement** for what Firstlight cannot see (governance, terms of service, platform
   defaults);
3. **a recorded alternative** with its reason (OSA s.23(4)).

The outcome is a ``status``: ``evidenced``, ``stated``, ``alternative``, ``missing``, ``not_applicable``,
``undetermined`` (hinges on a harm not yet assessed), ``upcoming`` (laid, not yet in force) or
``optional`` (a measure a service may take, such as D13).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from firstlight.compliance._expr import UNKNOWN, evaluate
from firstlight.compliance._levels import RiskLevel
from firstlight.compliance.catalogue import Catalogue, Measure, load_catalogue
from firstlight.compliance.profile import AlternativeMeasure, ProfileDocument, ServiceProfile
from firstlight.compliance.risk import RiskAssessment, required_surfaces
from firstlight.compliance.snapshot import ActivitySnapshot

__all__ = [
    "EVIDENCE",
    "EXPERT_HASH_SOURCES",
    "TAKEDOWN_KINDS",
    "EvidenceFact",
    "MeasureResult",
    "evaluate_measures",
    "format_seconds",
    "measure_environment",
    "percentile",
]

# Organisations with expertise in CSAM identification (ICU C9: "a person with expertise"; IWF, NCMEC, C3P).
EXPERT_HASH_SOURCES = frozenset(
    {"iwf", "ncmec", "c3p", "canadian centre for child protection", "project arachnid", "inhope"}
)
# Action kinds that take content or a stream down (decide room's vocabulary).
TAKEDOWN_KINDS = frozenset({"block_content", "remove_content", "end_stream", "takedown"})

Status = Literal[
    "evidenced", "stated", "alternative", "missing", "not_applicable", "undetermined", "upcoming", "optional"
]


class EvidenceFact(BaseModel):
    """One fact Firstlight found (or failed to find) for a measure."""

    model_config = ConfigDict(frozen=True)

    key: str
    ok: bool
    text: str
    required: bool = True
    value: Any = None


class MeasureResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    group: str
    confidence: str
    source: list[str]
    date: date
    condition: str
    applies: bool | None = Field(description="None: depends on harms not yet assessed")
    in_force: bool
    bindings: dict[str, Any] = Field(default_factory=dict)
    status: Status
    evidence: list[EvidenceFact] = Field(default_factory=list)
    statement: str | None = None
    alternative: AlternativeMeasure | None = None
    note: str | None = None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100, linear interpolation); None when there are no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def measure_environment(
    profile: ServiceProfile, risk: RiskAssessment, snapshot: ActivitySnapshot
) -> dict[str, Any]:
    """The names an ``applies_if`` expression can read."""
    known = [level for level in risk.levels.values() if level is not None]
    top = max(known, key=lambda level: level.rank) if known else None
    # any_risk is exact when every harm is assessed; otherwise it is a lower bound, which is exact for the
    # ">= 'medium'" tests the Codes use once a known harm is medium or high, and unknown below that.
    if risk.not_assessed and (top is None or top < RiskLevel.MEDIUM):
        any_risk: Any = UNKNOWN
    else:
        any_risk = top if top is not None else RiskLevel.NEGLIGIBLE
    proactive = profile.uses_proactive_technology
    if proactive is None:
        proactive = bool(snapshot.config.hash_matching_on or snapshot.config.classifiers_on)
    return {
        "large": risk.large,
        "uk_mau": profile.uk_mau,
        "multi_risk": UNKNOWN if risk.multi_risk is None else risk.multi_risk,
        "any_risk": any_risk,
        "functionalities": frozenset(profile.functionalities),
        "service_types": frozenset(profile.service_types),
        "categories": frozenset(profile.categories),
        "likely_accessed_by_children": bool(profile.likely_accessed_by_children),
        "age_determination": profile.age_determination,
        "uses_proactive_technology": proactive,
        "has_volunteer_moderators": profile.has_volunteer_moderators,
        "runs_onplatform_recommender_tests": profile.runs_onplatform_recommender_tests,
        "has_notable_user_or_monetised_verification": profile.has_notable_user_or_monetised_verification,
        "principal_purpose_porn": profile.principal_purpose_porn,
        "shares_visual_media": bool(
            profile.factors & {"posting_images_videos", "livestreaming", "file_storage_sharing"}
        ),
    }


# --- evidence derived from Firstlight's data ---------------------------------------------------------------

Deriver = Callable[[ServiceProfile, ActivitySnapshot], EvidenceFact]


def _takedown_seconds(snapshot: ActivitySnapshot) -> list[float]:
    return [s for a in snapshot.actions if a.kind in TAKEDOWN_KINDS for s in a.seconds]


def format_seconds(value: float | None, *, missing: str = "n/a") -> str:
    """A duration for people: seconds, minutes or hours."""
    if value is None:
        return missing
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _review_queue(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    if not s.has("cases"):
        return EvidenceFact(key="review_queue", ok=False, text="Firstlight's review queue is not installed")
    decided = len(s.confirmed_cases) + s.false_positives
    return EvidenceFact(
        key="review_queue",
        ok=True,
        value=decided,
        text=f"Firstlight review queue in use: {decided} case(s) decided in the period "
        f"({len(s.confirmed_cases)} confirmed, {s.false_positives} false positive)",
    )


def _surfaces(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    needed = required_surfaces(profile)
    scanned = set(s.config.scanned_surfaces)
    missing = sorted(needed - scanned)
    text = f"proactively scanned: {', '.join(sorted(scanned)) or 'none'}"
    if missing:
        text += f"; not scanned: {', '.join(missing)} (user reports still reach review)"
    return EvidenceFact(
        key="surfaces_covered", ok=not missing, required=False, value=sorted(scanned), text=text
    )


def _takedown_actions(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    if not s.has("actions"):
        return EvidenceFact(
            key="takedown_actions", ok=False, text="Firstlight's action outbox is not installed"
        )
    if s.config.webhook_configured is False:
        return EvidenceFact(
            key="takedown_actions",
            ok=False,
            text="no platform webhook is configured, so actions cannot take content down",
        )
    done = sum(a.delivered for a in s.actions if a.kind in TAKEDOWN_KINDS)
    failed = sum(a.failed for a in s.actions if a.kind in TAKEDOWN_KINDS)
    return EvidenceFact(
        key="takedown_actions",
        ok=True,
        value=done,
        text=f"takedown actions through the platform webhook: {done} delivered, {failed} failed "
        "in the period",
    )


def _ttd(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    samples = _takedown_seconds(s)
    p50, p90 = percentile(samples, 50), percentile(samples, 90)
    text = (
        f"time to takedown (event accepted → action delivered): p50 {format_seconds(p50)}, "
        f"p90 {format_seconds(p90)} over {len(samples)} takedown(s)"
        if samples
        else "no takedowns in the period, so no time-to-takedown figures"
    )
    return EvidenceFact(
        key="time_to_takedown_p50_p90",
        ok=bool(samples),
        required=False,
        value={"p50": p50, "p90": p90, "n": len(samples)},
        text=text,
    )


def _prioritised(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    ok = s.has("cases")
    return EvidenceFact(
        key="review_queue_prioritised",
        ok=ok,
        text="the review queue is ordered by severity (including harm to children), likelihood of "
        "illegality and potential reach (C5.2)"
        if ok
        else "Firstlight's review queue is not installed",
    )


def _block_banks(s: ActivitySnapshot) -> list[Any]:
    return [b for b in s.config.banks if b.kind == "block" and b.enabled and b.entries > 0]


def _hash_matching(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    if s.config.hash_matching_on is None:
        return EvidenceFact(
            key="hash_matching_on", ok=False, text="Firstlight's hash banks are not installed"
        )
    perceptual = [b for b in _block_banks(s) if {"pdq", "vpdq"} & {t.lower() for t in b.signal_types}]
    ok = bool(s.config.hash_matching_on and perceptual)
    entries = sum(b.entries for b in perceptual)
    text = (
        f"perceptual hash matching on: {len(perceptual)} block bank(s), {entries:,} entries "
        f"({', '.join(b.name for b in perceptual)})"
        if ok
        else "no enabled block bank with perceptual hashes (PDQ/vPDQ): hash matching is not in effect"
    )
    return EvidenceFact(key="hash_matching_on", ok=ok, value=entries, text=text)


def _expert_sources(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    sources = sorted({src for b in _block_banks(s) for src in b.sources})
    expert = [src for src in sources if src.strip().lower() in EXPERT_HASH_SOURCES]
    text = (
        f"hash lists from expert sources: {', '.join(expert)}"
        if expert
        else "no block bank entries from an expert source (IWF, NCMEC, C3P); "
        f"sources seen: {', '.join(sources) or 'none'}"
    )
    return EvidenceFact(key="expert_hash_sources", ok=bool(expert), value=expert, text=text)


def _public_surfaces(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    scanned = set(s.config.scanned_surfaces)
    ok = "public" in scanned
    text = (
        f"content communicated publicly is scanned (C9.2); surfaces: {', '.join(sorted(scanned))}"
        if ok
        else "public surfaces are not in the scanning scope (C9.2 covers content communicated publicly)"
    )
    return EvidenceFact(key="public_surfaces_covered", ok=ok, value=sorted(scanned), text=text)


def _match_count(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    matches = sum(d.count for d in s.detections if d.source == "hash_match")
    return EvidenceFact(
        key="match_count",
        ok=True,
        required=False,
        value=matches,
        text=f"{matches} hash match(es) in the period",
    )


def _takedown_for_matches(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    fact = _ttd(profile, s)
    return EvidenceFact(
        key="takedown_for_matches", ok=fact.ok, required=False, value=fact.value, text=fact.text
    )


def _report_per_match(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    if not s.has("reports"):
        return EvidenceFact(
            key="report_per_confirmed_match", ok=False, text="Firstlight's reports room is not installed"
        )
    confirmed = [c for c in s.confirmed_cases if c.detected_by == "hash_match"]
    unreported = [c for c in confirmed if not c.reported]
    ok = not unreported
    text = (
        f"every confirmed hash match is reported ({len(confirmed)} case(s))"
        if ok
        else f"{len(unreported)} of {len(confirmed)} confirmed hash-match case(s) not reported"
    )
    return EvidenceFact(key="report_per_confirmed_match", ok=ok, value=len(unreported), text=text)


def _url_list(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    ok = bool(s.config.url_matching_on)
    return EvidenceFact(
        key="url_list_on",
        ok=ok,
        text="shared URLs are checked against a CSAM URL list" if ok else "no CSAM URL list is in use",
    )


def _url_source(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    url_banks = [b for b in _block_banks(s) if "url" in {t.lower() for t in b.signal_types}]
    sources = sorted({src for b in url_banks for src in b.sources})
    expert = [src for src in sources if src.strip().lower() in EXPERT_HASH_SOURCES]
    return EvidenceFact(
        key="expert_url_list_source",
        ok=bool(expert),
        value=expert,
        text=f"URL list from {', '.join(expert)}"
        if expert
        else "no URL list from an expert source (e.g. the IWF URL list)",
    )


def _reporting_channel(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    if not s.has("events"):
        return EvidenceFact(key="user_reporting_channel", ok=False, text="no user-report events can be read")
    total = sum(s.user_reports.values())
    return EvidenceFact(
        key="user_reporting_channel",
        ok=total > 0,
        value=total,
        text=f"{total} user report(s) received from the platform in the period"
        if total
        else "no user reports reached Firstlight in the period, so the complaints channel is not "
        "shown working",
    )


def _reports_reviewed(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    total = sum(s.user_reports.values())
    if not (s.has("events") and s.has("cases")):
        return EvidenceFact(
            key="user_reports_reviewed", ok=False, text="user reports or the review queue cannot be read"
        )
    reported = sum(d.count for d in s.detections if d.source == "user_report")
    return EvidenceFact(
        key="user_reports_reviewed",
        ok=total > 0,
        value=reported,
        text=f"{total} user report(s); {reported} flagged item(s) from user reports went to review",
    )


def _age_signals(profile: ServiceProfile, s: ActivitySnapshot) -> EvidenceFact:
    return EvidenceFact(
        key="age_signals",
        ok=s.age_signals > 0,
        required=False,
        value=s.age_signals,
        text=f"{s.age_signals} account(s) with an age band or age-assurance result from the platform",
    )


EVIDENCE: dict[str, Deriver] = {
    "review_queue": _review_queue,
    "surfaces_covered": _surfaces,
    "takedown_actions": _takedown_actions,
    "time_to_takedown_p50_p90": _ttd,
    "review_queue_prioritised": _prioritised,
    "hash_matching_on": _hash_matching,
    "expert_hash_sources": _expert_sources,
    "public_surfaces_covered": _public_surfaces,
    "match_count": _match_count,
    "takedown_for_matches": _takedown_for_matches,
    "report_per_confirmed_match": _report_per_match,
    "url_list_on": _url_list,
    "expert_url_list_source": _url_source,
    "user_reporting_channel": _reporting_channel,
    "user_reports_reviewed": _reports_reviewed,
    "age_signals": _age_signals,
}
STATEMENT = "operator_statement"


def _status(measure: Measure, facts: list[EvidenceFact], statement: str | None, alternative: Any) -> Status:
    if alternative is not None:
        return "alternative"
    if measure.optional and not statement:
        return "optional"  # e.g. D13: a service may rely on it, and need not
    derived = [f for f in facts if f.required]
    needs_statement = STATEMENT in measure.evidence
    if derived and all(f.ok for f in derived) and (statement or not needs_statement):
        return "evidenced"
    if not derived and not needs_statement:
        return "evidenced"  # nothing to show (an optional measure)
    if statement:
        return "stated"
    return "missing"


def evaluate_measures(
    document: ProfileDocument,
    risk: RiskAssessment,
    snapshot: ActivitySnapshot,
    *,
    catalogue: Catalogue | None = None,
    today: date | None = None,
) -> list[MeasureResult]:
    """Every catalogue measure with its applicability, evidence and status."""
    catalogue = catalogue or load_catalogue()
    today = today or snapshot.generated_at.date()
    env = measure_environment(document.service, risk, snapshot)
    results: list[MeasureResult] = []
    for measure in catalogue.measures:
        assert measure.compiled is not None
        outcome = evaluate(measure.compiled, env, risk.levels)
        applies = outcome.verdict
        in_force = measure.in_force_on(today)
        given = document.measures.get(measure.id)
        statement = given.statement if given else None
        alternative = given.alternative if given else None
        facts: list[EvidenceFact] = []
        if applies is False:
            status: Status = "not_applicable"
        else:
            facts = [EVIDENCE[key](document.service, snapshot) for key in measure.evidence if key in EVIDENCE]
            if applies is None:
                status = "undetermined"
            elif not in_force:
                status = "upcoming"
            else:
                status = _status(measure, facts, statement, alternative)
        results.append(
            MeasureResult(
                id=measure.id,
                title=measure.title,
                group=measure.group,
                confidence=measure.confidence,
                source=list(measure.source),
                date=measure.date,
                condition=measure.applies_if,
                applies=applies,
                in_force=in_force,
                bindings=outcome.bindings,
                status=status,
                evidence=facts,
                statement=statement,
                alternative=alternative,
                note=measure.note,
            )
        )
    return results
