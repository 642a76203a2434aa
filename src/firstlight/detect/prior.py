"""Session risk: the prior when a stream or private call is requested, in-stream updates with decay,
account risk, and network expansion when an account is confirmed.

These are the service functions the livestream room, the cases room, the API and the CLI call. Each takes
the caller's SQLAlchemy session and never commits (the caller owns the transaction).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firstlight.audit import record as audit_record
from firstlight.detect._types import Contribution, InStreamSignal, RiskScore
from firstlight.detect.config import FEATURES, RiskConfig, get_risk_config
from firstlight.detect.features import PairView, pair_contributions
from firstlight.detect.ledger import (
    NO_VIEWER,
    build_pair_views,
    counterparties,
    record_account,
)
from firstlight.detect.models import RiskAccount, RiskPayment, RiskSession
from firstlight.detect.scoring import combine
from firstlight.errors import Invalid, NotFound
from firstlight.store.db import utcnow

__all__ = [
    "LinkedAccount",
    "NetworkExpansion",
    "account_risk",
    "end_session_risk",
    "get_session_risk",
    "on_account_confirmed",
    "session_prior",
    "update_session_risk",
]


def _merge_max(views: Iterable[PairView], config: RiskConfig) -> list[Contribution]:
    """Per feature, the strongest contribution over all pairs (each names its own accounts)."""
    best: dict[str, Contribution] = {}
    for view in views:
        for c in pair_contributions(view, config):
            if c.feature not in best or c.logit > best[c.feature].logit:
                best[c.feature] = c
    return list(best.values())


def session_prior(
    session: Session,
    *,
    stream_id: str,
    streamer_account: str,
    viewer_accounts: Sequence[str] = (),
    private: bool = False,
    paid: bool = False,
    countries: Mapping[str, str] | None = None,
    at: datetime | None = None,
    config: RiskConfig | None = None,
) -> RiskScore:
    """Score a session at the moment it is requested and keep it for in-stream updates.

    Pure feature look-ups plus a logistic: well under 50 ms on the embedded SQLite store
    (``benchmarks/bench_session_risk.py``). Calling it again for the same ``stream_id`` (say, when a
    viewer joins) recomputes the prior and keeps the in-stream evidence seen so far.
    """
    config = config or get_risk_config()
    at = at or utcnow()
    views = build_pair_views(
        session, streamer=streamer_account, viewers=list(viewer_accounts), at=at, config=config,
        private=private, paid=paid, countries=dict(countries or {}),
    )
    prior = combine(_merge_max(views, config), config, subject=f"stream:{stream_id}", at=at)
    row = session.get(RiskSession, stream_id)
    if row is None:
        row = RiskSession(stream_id=stream_id, started_at=at, events=[])
        session.add(row)
    row.streamer = streamer_account
    row.viewers = list(viewer_accounts)[:1000]
    row.private, row.paid = private, paid
    row.prior = {
        "score": prior.score,
        "tier": prior.tier_hint,
        "computed_at": at.isoformat(),
        "contributions": [c.as_dict() for c in prior.contributions],
    }
    if row.events:
        return _rescore(row, at, config)
    row.score, row.tier, row.updated_at = prior.score, prior.tier_hint, at
    return prior


def _prior_contributions(row: RiskSession) -> list[Contribution]:
    return [
        Contribution(
            feature=c["feature"], weight=c["weight"], value=c["value"],
            population_level=c["population_level"], explanation=c["explanation"],
        )
        for c in row.prior.get("contributions", [])
    ]


def _decayed(row: RiskSession, at: datetime, config: RiskConfig) -> list[Contribution]:
    """In-stream evidence, each event weighted by 0.5 ** (age / half-life), summed per feature."""
    by_feature: dict[str, dict[str, Any]] = {}
    for e in row.events:
        age = (at - datetime.fromisoformat(e["at"])).total_seconds()
        if age < 0:
            continue  # read at a time before this evidence arrived
        factor = 0.5 ** (age / config.half_life_seconds)
        slot = by_feature.setdefault(e["feature"], {"value": 0.0, "n": 0, "weight": e["weight"],
                                                     "explanation": e["explanation"], "latest": e["at"]})
        slot["value"] += e["value"] * factor
        slot["n"] += 1
        slot["weight"] = e["weight"]
        if e["at"] >= slot["latest"]:
            slot["latest"], slot["explanation"] = e["at"], e["explanation"]
    out = []
    for feature, slot in by_feature.items():
        if slot["value"] < 1e-3:
            continue
        info = FEATURES.get(feature)
        out.append(Contribution(
            feature=f"live:{feature}",
            weight=slot["weight"],
            value=slot["value"],
            population_level=bool(info and info.population_level),
            explanation=(f"{slot['n']} in-stream event(s), latest {slot['latest']}: {slot['explanation']}"
                         f" (decayed, half-life {config.half_life_seconds:g} s)"),
        ))
    return out


def _rescore(row: RiskSession, at: datetime, config: RiskConfig) -> RiskScore:
    score = combine(
        _prior_contributions(row) + _decayed(row, at, config),
        config,
        subject=f"stream:{row.stream_id}",
        at=at,
    )
    row.score, row.tier, row.updated_at = score.score, score.tier_hint, at
    return score


def _signals(signals: Sequence[InStreamSignal] | Mapping[str, float]) -> list[InStreamSignal]:
    if isinstance(signals, Mapping):
        return [InStreamSignal(feature=k, value=float(v)) for k, v in signals.items()]
    return list(signals)


def update_session_risk(
    session: Session,
    *,
    stream_id: str,
    signals: Sequence[InStreamSignal] | Mapping[str, float] = (),
    at: datetime | None = None,
    config: RiskConfig | None = None,
) -> RiskScore:
    """Add in-stream evidence (or just let time pass) and return the session's current risk.

    Known features (``chat.<category>``, ``payment.in_session``, ``frame.classifier`` ...) take their
    configured weight; others need ``InStreamSignal.weight``. A ``chat.directing_acts`` hit within
    ``pay_then_direct_seconds`` of an in-session payment adds ``pay_then_direct`` (detection.md P9).
    Evidence decays with ``half_life_seconds``; the prior does not.
    """
    config = config or get_risk_config()
    at = at or utcnow()
    row = session.get(RiskSession, stream_id)
    if row is None:
        raise NotFound(f"no risk session for stream {stream_id!r}; call session_prior first",
                       code="risk_session_not_found")
    events = list(row.events or [])
    for sig in _signals(signals):
        if not math.isfinite(sig.value) or sig.value < 0:
            raise Invalid(f"signal {sig.feature}: value must be a finite number ≥ 0", code="risk_signal")
        weight = sig.weight if sig.weight is not None else config.weights.get(sig.feature)
        if weight is None:
            raise Invalid(f"unknown in-stream feature {sig.feature!r} and no weight given",
                          code="risk_signal")
        if sig.value == 0:
            continue
        events.append({"feature": sig.feature, "weight": float(weight), "value": min(sig.value, 10.0),
                       "at": at.isoformat(), "explanation": sig.explanation or sig.feature})
        if sig.feature == "chat.directing_acts":
            paid = [e for e in events if e["feature"] == "payment.in_session"
                    and 0 <= (at - datetime.fromisoformat(e["at"])).total_seconds()
                    <= config.pay_then_direct_seconds]
            if paid:
                events.append({"feature": "pay_then_direct", "weight": config.weight("pay_then_direct"),
                               "value": 1.0, "at": at.isoformat(),
                               "explanation": "directing chat within "
                               f"{config.pay_then_direct_seconds:g} s of an in-session payment"})
    keep_after = config.half_life_seconds * math.log2(1000)  # below 0.1 % it no longer matters
    events = [e for e in events
              if (at - datetime.fromisoformat(e["at"])).total_seconds() <= keep_after]
    row.events = events[-config.max_instream_events:]
    return _rescore(row, at, config)


def get_session_risk(
    session: Session, stream_id: str, *, at: datetime | None = None, config: RiskConfig | None = None
) -> RiskScore:
    """The session's risk now, with its explanation (read-only: nothing is stored)."""
    row = session.get(RiskSession, stream_id)
    if row is None:
        raise NotFound(f"no risk session for stream {stream_id!r}", code="risk_session_not_found")
    config = config or get_risk_config()
    at = at or row.ended_at or utcnow()
    return combine(_prior_contributions(row) + _decayed(row, at, config), config,
                   subject=f"stream:{stream_id}", at=at)


def end_session_risk(session: Session, stream_id: str, *, at: datetime | None = None) -> None:
    row = session.get(RiskSession, stream_id)
    if row is not None and row.ended_at is None:
        row.ended_at = at or utcnow()


def account_risk(
    session: Session, account_id: str, *, at: datetime | None = None, config: RiskConfig | None = None,
    max_counterparties: int = 50,
) -> RiskScore:
    """An account's risk outside any session: its strongest indicators over its payment ties, both as
    payer and as payee (session-only features such as pay-before-show are left out)."""
    config = config or get_risk_config()
    at = at or utcnow()
    paid_to = [a for (a,) in session.execute(
        select(RiskPayment.payee).where(RiskPayment.payer == account_id)
        .group_by(RiskPayment.payee).order_by(func.count().desc()).limit(max_counterparties))]
    paid_by = [a for (a,) in session.execute(
        select(RiskPayment.payer).where(RiskPayment.payee == account_id)
        .group_by(RiskPayment.payer).order_by(func.count().desc()).limit(max_counterparties))]
    known = session.get(RiskAccount, account_id) is not None
    if not (paid_to or paid_by or known):
        raise NotFound(f"no risk data for account {account_id!r}", code="risk_account_not_found")
    views: list[PairView] = []
    for payee in paid_to or [NO_VIEWER]:
        views += build_pair_views(session, streamer=payee, viewers=[account_id], at=at, config=config,
                                  in_session=False)
    views += build_pair_views(session, streamer=account_id, viewers=paid_by, at=at, config=config,
                              in_session=False, max_viewers=max_counterparties)
    contributions = [c for c in _merge_max(views, config) if _concerns(c, account_id)]
    return combine(contributions, config, subject=f"account:{account_id}", at=at)


def _concerns(c: Contribution, account_id: str) -> bool:
    """Drop properties of a counterparty (its age, reports, confirmation: the last is already
    ``linked_to_confirmed``). Paying or being paid by a *listed* account stays: that is evidence."""
    if c.feature in {"confirmed_account", "user_reports", "new_account"}:
        return re.search(rf"(?<![\w-]){re.escape(account_id)}(?![\w-])", c.explanation) is not None
    return True


@dataclass(frozen=True)
class LinkedAccount:
    account_id: str
    payments: int
    risk: RiskScore


@dataclass(frozen=True)
class NetworkExpansion:
    """What confirming ``account_id`` did: the accounts linked by payments, with their new risk."""

    account_id: str
    linked: list[LinkedAccount]

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "linked": [{"account_id": x.account_id, "payments": x.payments, **x.risk.as_dict()}
                       for x in self.linked],
        }


def on_account_confirmed(
    session: Session,
    account_id: str,
    *,
    at: datetime | None = None,
    actor: str = "system",
    config: RiskConfig | None = None,
) -> NetworkExpansion:
    """Mark an account confirmed (a reviewer confirmed CSEA in a case) and expand over its payment network.

    Every account that paid it or was paid by it now carries ``linked_to_confirmed`` in its risk
    (AUSTRAC's cases found further buyers this way). Returns those accounts, highest risk first, so the
    caller can queue them for review. Audited.
    """
    config = config or get_risk_config()
    at = at or utcnow()
    row = record_account(session, account_id=account_id)
    if not row.confirmed:
        row.confirmed, row.confirmed_at = True, at
    session.flush()
    linked_ids = sorted(counterparties(session, [account_id]).get(account_id, set()))
    counts: dict[str, int] = defaultdict(int)
    for mine, theirs in ((RiskPayment.payer, RiskPayment.payee), (RiskPayment.payee, RiskPayment.payer)):
        for other, n in session.execute(
                select(theirs, func.count()).where(mine == account_id).group_by(theirs)):
            counts[other] += int(n)
    linked = [LinkedAccount(a, int(counts.get(a, 0)), account_risk(session, a, at=at, config=config))
              for a in linked_ids]
    linked.sort(key=lambda x: -x.risk.score)
    audit_record(session, actor=actor, action="risk.account_confirmed", object_type="account",
                 object_id=account_id,
                 details={"linked": [x.account_id for x in linked][:200], "linked_count": len(linked)})
    return NetworkExpansion(account_id=account_id, linked=linked)
