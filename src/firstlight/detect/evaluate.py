"""The evaluation harness: run a synthetic scenario through the real detector and measure it.

Every event of the timeline goes through the same handlers the event worker runs (``firstlight.detect
.handlers``), each session request through ``session_prior``, on a throw-away SQLite store. Reported
(definitions in ``../shared/research/detection.md`` §3.3):

- **recall of offender sessions at ≤ 1 % of benign accounts flagged**: the alert threshold is the lowest
  score at which at most 1 % of benign accounts take part in an alerted session; recall is the share of
  offender sessions alerted at any time (at request or during the session);
- **median messages and seconds to first alert** over alerted offender sessions: messages exchanged between
  the pair so far (before and during the session), seconds from session start (0 when the prior alerts);
- **latency-weighted F1** (Sadeque et al. 2018, as used by Vogt et al. 2021): ``F1 × speed``, speed =
  1 − median penalty(k) over true positives, penalty(k) = −1 + 2 / (1 + e^(−p(k−1))), with ``p`` set so the
  penalty is 0.5 at the median length of offender conversations (the eRisk convention);
- the same at the configured review tier (T2), where population features are capped.

A population-capped point counts with its individual score: population features never alert on their own.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firstlight.detect.config import RiskConfig, get_risk_config
from firstlight.detect.handlers import (
    handle_account,
    handle_chat,
    handle_payment,
    handle_report,
    handle_stream_end,
)
from firstlight.detect.ledger import add_list_entries
from firstlight.detect.models import RiskSession
from firstlight.detect.prior import get_session_risk, session_prior
from firstlight.detect.scenarios import Scenario, ScenarioParams, generate
from firstlight.events.models import StoredEvent
from firstlight.store.db import Base, Database

__all__ = ["EvaluationReport", "OperatingPoint", "evaluate", "run_scenario"]

_HANDLERS = {"account": handle_account, "payment": handle_payment, "chat.message": handle_chat,
             "user.report": handle_report, "stream.end": handle_stream_end}
_DETECT_TABLES = ("risk_accounts", "risk_payments", "risk_chat_edges", "risk_reports",
                  "risk_list_entries", "risk_sessions")


@dataclass
class _Point:
    seconds: float
    messages: int
    score: float  # alert score: the individual score when population features were capped
    tier: str


@dataclass(frozen=True)
class OperatingPoint:
    name: str
    threshold: float | None
    offender_sessions: int
    recall: float
    prior_recall: float
    benign_accounts_flagged: float
    benign_sessions_alerted_per_1000: float
    precision: float
    f1: float
    f_latency: float
    median_messages_to_alert: float | None
    median_seconds_to_alert: float | None


@dataclass
class EvaluationReport:
    params: ScenarioParams
    sessions: int
    offender_sessions: int
    benign_accounts: int
    events: int
    seconds: float
    prior_ms_p50: float
    prior_ms_p95: float
    penalty_p: float
    points: list[OperatingPoint] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "params": self.params.__dict__, "sessions": self.sessions,
            "offender_sessions": self.offender_sessions, "benign_accounts": self.benign_accounts,
            "events": self.events, "seconds": round(self.seconds, 1),
            "prior_ms_p50": round(self.prior_ms_p50, 2), "prior_ms_p95": round(self.prior_ms_p95, 2),
            "penalty_p": round(self.penalty_p, 4), "points": [p.__dict__ for p in self.points],
        }

    def as_markdown(self) -> str:
        def f(x: float | None, pct: bool = False) -> str:
            if x is None:
                return "–"
            return f"{100 * x:.1f} %" if pct else f"{x:.3g}"

        lines = [
            f"Scenario seed {self.params.seed}: {self.params.days} days, {self.sessions} sessions "
            f"({self.offender_sessions} offender), {self.benign_accounts} benign accounts, "
            f"{self.events} events; run {self.seconds:.0f} s; session prior p50 {self.prior_ms_p50:.1f} ms, "
            f"p95 {self.prior_ms_p95:.1f} ms; latency penalty p = {self.penalty_p:.3f}.",
            "",
            "| operating point | threshold | recall (offender sessions) | of which at request | benign "
            "accounts flagged | benign sessions alerted / 1000 | precision | F1 | F_latency | median "
            "messages to alert | median seconds to alert |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for p in self.points:
            lines.append(
                f"| {p.name} | {f(p.threshold)} | {f(p.recall, True)} | {f(p.prior_recall, True)} | "
                f"{f(p.benign_accounts_flagged, True)} | {p.benign_sessions_alerted_per_1000:.2f} | "
                f"{f(p.precision)} | {f(p.f1)} | {f(p.f_latency)} | {f(p.median_messages_to_alert)} | "
                f"{f(p.median_seconds_to_alert)} |"
            )
        return "\n".join(lines)


def _pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def run_scenario(
    scenario: Scenario, db: Database, config: RiskConfig
) -> tuple[dict[str, list[_Point]], list[float]]:
    """Feed the timeline to the detector; returns each session's score trajectory and prior timings."""
    trajectories: dict[str, list[_Point]] = defaultdict(list)
    pair_messages: dict[frozenset[str], int] = defaultdict(int)
    session_messages: dict[str, int] = defaultdict(int)
    prior_ms: list[float] = []
    live: set[str] = set()

    def messages_for(sid: str) -> int:
        truth = scenario.sessions[sid]
        if len(truth.viewers) == 1:
            return pair_messages[_pair(truth.streamer, truth.viewers[0])]
        return session_messages[sid]

    with db.session() as s:
        add_list_entries(s, "known_facilitators", sorted(scenario.listed), source="scenario")
        for n, ev in enumerate(scenario.events):
            if ev.type == "stream.start":
                pl = ev.payload
                t = time.perf_counter()
                risk = session_prior(s, stream_id=pl["stream_id"], streamer_account=pl["streamer_account"],
                                     viewer_accounts=pl["viewer_accounts"],
                                     private=pl["visibility"] != "public", paid=pl["paid"],
                                     countries=pl["countries"], at=ev.at, config=config)
                prior_ms.append(1000 * (time.perf_counter() - t))
                live.add(pl["stream_id"])
                trajectories[pl["stream_id"]].append(_Point(
                    0.0, messages_for(pl["stream_id"]),
                    risk.individual_score if risk.population_capped else risk.score, risk.tier_hint))
                continue
            stored = StoredEvent(event_id=f"scenario-{n}", type=ev.type, occurred_at=ev.at,
                                 received_at=ev.at, payload=ev.payload)
            _HANDLERS[ev.type](s, stored)
            sid = ev.payload.get("session_id") if ev.type in ("chat.message", "payment") else None
            if ev.type == "chat.message":
                recipients = ev.payload["recipients"]
                if len(recipients) == 1:
                    pair_messages[_pair(ev.payload["sender"], recipients[0])] += 1
                if sid:
                    session_messages[sid] += 1
            if ev.type == "stream.end":
                live.discard(ev.payload["stream_id"])
            if sid and sid in live:
                s.flush()
                row = s.get(RiskSession, sid)
                if row is not None:
                    risk = get_session_risk(s, sid, at=ev.at, config=config)
                    trajectories[sid].append(_Point(
                        (ev.at - row.started_at).total_seconds(), messages_for(sid),
                        risk.individual_score if risk.population_capped else risk.score, risk.tier_hint))
            if n % 2000 == 1999:
                s.commit()
        s.commit()
    return trajectories, prior_ms


def _operating_point(name: str, threshold: float | None, scenario: Scenario,
                     trajectories: dict[str, list[_Point]], p: float, *, by_tier: bool) -> OperatingPoint:
    def first_alert(points: list[_Point]) -> _Point | None:
        for pt in points:
            if (pt.tier == "T2") if by_tier else (threshold is not None and pt.score >= threshold):
                return pt
        return None

    flagged: set[str] = set()
    tp = fp = fn = 0
    prior_hits = 0
    hits: list[_Point] = []
    benign_sessions = 0
    for sid, truth in scenario.sessions.items():
        hit = first_alert(trajectories.get(sid, []))
        if truth.offender:
            if hit is None:
                fn += 1
            else:
                tp += 1
                hits.append(hit)
                prior_hits += hit.seconds == 0.0
        else:
            benign_sessions += 1
            if hit is not None:
                fp += 1
                flagged |= {truth.streamer, *truth.viewers} & scenario.benign
    offenders = tp + fn
    recall = tp / offenders if offenders else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    penalties = [-1 + 2 / (1 + math.exp(-p * (max(1, h.messages) - 1))) for h in hits]
    speed = 1 - statistics.median(penalties) if penalties else 0.0
    return OperatingPoint(
        name=name, threshold=threshold, offender_sessions=offenders, recall=recall,
        prior_recall=prior_hits / offenders if offenders else 0.0,
        benign_accounts_flagged=len(flagged) / max(1, len(scenario.benign)),
        benign_sessions_alerted_per_1000=1000 * fp / max(1, benign_sessions),
        precision=precision, f1=f1, f_latency=f1 * speed,
        median_messages_to_alert=statistics.median([h.messages for h in hits]) if hits else None,
        median_seconds_to_alert=statistics.median([h.seconds for h in hits]) if hits else None,
    )


def evaluate(params: ScenarioParams | None = None, *, config: RiskConfig | None = None,
             budget: float = 0.01, workdir: Path | None = None) -> EvaluationReport:
    """Generate a scenario, run it through the detector on a temporary store and measure it."""
    config = config or get_risk_config()
    scenario = generate(params)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'evaluate.db'}")
        Base.metadata.create_all(db.engine, tables=[Base.metadata.tables[t] for t in _DETECT_TABLES])
        try:
            trajectories, prior_ms = run_scenario(scenario, db, config)
        finally:
            db.dispose()
    elapsed = time.perf_counter() - started

    offender_lengths = []
    for sid, truth in scenario.sessions.items():
        if truth.offender and trajectories.get(sid):
            offender_lengths.append(max(pt.messages for pt in trajectories[sid]))
    k_med = statistics.median(offender_lengths) if offender_lengths else 2
    p = math.log(3) / max(1.0, k_med - 1)

    # Lowest threshold that keeps benign accounts flagged within the budget.
    candidates = sorted({pt.score for pts in trajectories.values() for pt in pts}, reverse=True)
    chosen = None
    lo, hi = 0, len(candidates) - 1
    while lo <= hi:  # flagged share grows as the threshold falls: binary search on the sorted scores
        mid = (lo + hi) // 2
        point = _operating_point("", candidates[mid], scenario, trajectories, p, by_tier=False)
        if point.benign_accounts_flagged <= budget:
            chosen, lo = candidates[mid], mid + 1
        else:
            hi = mid - 1
    ordered = sorted(prior_ms)
    report = EvaluationReport(
        params=scenario.params, sessions=len(scenario.sessions),
        offender_sessions=sum(t.offender for t in scenario.sessions.values()),
        benign_accounts=len(scenario.benign), events=len(scenario.events), seconds=elapsed,
        prior_ms_p50=statistics.median(ordered) if ordered else 0.0,
        prior_ms_p95=ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0, penalty_p=p,
    )
    report.points.append(_operating_point(f"score ≥ threshold at ≤ {budget:.0%} benign accounts", chosen,
                                          scenario, trajectories, p, by_tier=False))
    report.points.append(_operating_point("configured review tier (T2)", config.tier2_threshold,
                                          scenario, trajectories, p, by_tier=True))
    return report
