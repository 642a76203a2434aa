"""Escalation tiers: a small, pure state machine that turns frame findings into explained escalations.

    T0  keyframes + hashing                         (every stream, from the first keyframe)
    T1  denser sampling, 1–2 fps from the first frame (prior risk says so, or a weak signal)
    T2  a case in the review queue, frames preserved (a human must look)
    T3  end the stream through the platform webhook, restrict accounts, open a report task

Tiers only go up within a session: a stream that needed a human once keeps the human. Each step up is an
:class:`Escalation` that says which rule fired, on which signals, at what stream time — the explanation that
travels with the case, the webhook and the report.

Two rules keep automation honest (ARCHITECTURE.md, "rules of the house"):

- only a *confirmed* hash match (a non-suppressed ``block``-bank match within the bank's threshold, on a frame
  or on a rolling vPDQ window) reaches T3 automatically; classifiers and near-threshold matches stop at T2;
- a session prior can start a stream at T1 or T2, never T3, and the session-risk room already caps what
  population-level features may do.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Escalation",
    "Observation",
    "ObservationKind",
    "StreamContext",
    "Tier",
    "TierMachine",
    "TierPolicy",
    "report_priority",
]

ObservationKind = Literal["match", "segment_match", "near_match", "classifier", "prior", "suppressed"]


class Tier(enum.IntEnum):
    """Monitoring tier; the integer order is the escalation order."""

    T0 = 0
    T1 = 1
    T2 = 2
    T3 = 3

    @property
    def label(self) -> str:
        return self.name

    @classmethod
    def parse(cls, value: str | int | Tier | None) -> Tier:
        """``"T1"``, ``"t1"``, ``1`` or a ``Tier`` → ``Tier.T1``; None → T0."""
        if value is None:
            return cls.T0
        if isinstance(value, Tier):
            return value
        if isinstance(value, int):
            return cls(value)
        text = str(value).strip().upper()
        if text in cls.__members__:
            return cls[text]
        raise ValueError(f"unknown tier {value!r} (expected T0, T1, T2 or T3)")


@dataclass(frozen=True)
class Observation:
    """One finding about one sampled frame (or about the session, for ``prior``).

    ``strength`` is decided by the analyser, not here: ``strong`` for a confirmed block match,
    ``review`` for a signal a human should see, ``weak`` for one that only asks for denser sampling,
    ``none`` for a finding worth recording that changes nothing (an allow-bank suppression).
    """

    kind: ObservationKind
    strength: Literal["strong", "review", "weak", "none"]
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    stream_time: float | None = None
    imminent_risk: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "strength": self.strength,
            "summary": self.summary,
            "details": self.details,
        }
        if self.stream_time is not None:
            out["stream_time_s"] = round(self.stream_time, 3)
        if self.imminent_risk:
            out["imminent_risk"] = True
        return out


@dataclass(frozen=True)
class TierPolicy:
    """What each tier does and what moves a session up. Every field is operator-tunable."""

    t1_fps: float = 2.0
    """Sampling rate at T1 and above (the issue asks for 1–2 fps)."""
    weak_signals_for_review: int = 3
    """Weak signals within ``weak_window_s`` that together ask for a human (T2)."""
    weak_window_s: float = 30.0
    restrict_viewers_when_paid_private: bool = True
    """At T3, also restrict the paying viewers of a private / one-to-one session (they direct the abuse)."""
    p1_when_paid_private: bool = True
    """A T3 report is P1 (imminent risk) for a paid private or one-to-one session: the live pay-per-view
    pattern means a child is being abused now. Otherwise P1 only when a signal says so, else P2."""
    max_preserved_frames: int = 20
    """Frames preserved as evidence per session (T2 and above)."""

    def __post_init__(self) -> None:
        if not 0.1 <= self.t1_fps <= 30:
            raise ValueError("t1_fps must be between 0.1 and 30")
        if self.weak_signals_for_review < 1:
            raise ValueError("weak_signals_for_review must be at least 1")


@dataclass(frozen=True)
class StreamContext:
    """What the platform told us at ``stream.start``; used for actions and report priority."""

    stream_id: str
    streamer_account: str
    viewer_accounts: tuple[str, ...] = ()
    visibility: Literal["public", "private", "one_to_one"] = "public"
    paid: bool = False
    countries: dict[str, str] = field(default_factory=dict)

    @property
    def paid_private(self) -> bool:
        return self.paid and self.visibility in ("private", "one_to_one")


@dataclass(frozen=True)
class Escalation:
    """One step up, explained."""

    from_tier: Tier
    to_tier: Tier
    rule: str
    summary: str
    observations: tuple[Observation, ...]
    stream_time: float | None
    at_monotonic: float

    @property
    def is_alert(self) -> bool:
        """T2 and T3 are alerts (a human or an action is needed); T1 only samples more densely."""
        return self.to_tier >= Tier.T2

    def explanation(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from_tier": self.from_tier.label,
            "to_tier": self.to_tier.label,
            "rule": self.rule,
            "summary": self.summary,
            "signals": [o.as_dict() for o in self.observations],
        }
        if self.stream_time is not None:
            out["stream_time_s"] = round(self.stream_time, 3)
        return out


# Rule names are stored with every escalation: never rename one once released.
RULE_PRIOR = "session_prior"
RULE_CONFIRMED_MATCH = "confirmed_match"
RULE_SEGMENT_MATCH = "known_segment"
RULE_REVIEW_SIGNAL = "review_signal"
RULE_REPEATED_WEAK = "repeated_weak_signals"
RULE_WEAK_SIGNAL = "weak_signal"
RULE_SESSION_RISK = "session_risk"


class TierMachine:
    """The tier of one session. Not thread-safe: the worker analyses one session's frames in order."""

    def __init__(self, policy: TierPolicy | None = None, *, start: Tier = Tier.T0) -> None:
        self.policy = policy or TierPolicy()
        self.tier = Tier.T0
        self.history: list[Escalation] = []
        self._weak: deque[tuple[float, Observation]] = deque()
        if start > Tier.T0:
            if start >= Tier.T3:
                raise ValueError("a session cannot start at T3: only a confirmed match acts")
            self.tier = start

    @property
    def first_alert(self) -> Escalation | None:
        return next((e for e in self.history if e.is_alert), None)

    def start_from_prior(self, tier: Tier, observation: Observation) -> Escalation | None:
        """Raise the starting tier from the session prior (capped at T2)."""
        target = min(Tier.parse(tier), Tier.T2)
        return self._raise(target, RULE_PRIOR, observation.summary, [observation], None)

    def raise_from_risk(
        self, tier: Tier, observation: Observation, *, stream_time: float | None = None
    ) -> Escalation | None:
        """The session's risk rose during the stream (chat, payments): raise the tier, capped at T2."""
        target = min(Tier.parse(tier), Tier.T2)
        return self._raise(target, RULE_SESSION_RISK, observation.summary, [observation], stream_time)

    def observe(
        self,
        observations: Iterable[Observation],
        *,
        stream_time: float | None = None,
        now: float | None = None,
    ) -> Escalation | None:
        """Feed one frame's findings; returns the escalation they caused, if any (at most one per frame)."""
        now = time.monotonic() if now is None else now
        obs = list(observations)
        strong = [o for o in obs if o.strength == "strong" and o.kind in ("match", "segment_match")]
        if strong:
            rule = RULE_CONFIRMED_MATCH if strong[0].kind == "match" else RULE_SEGMENT_MATCH
            return self._raise(Tier.T3, rule, strong[0].summary, strong, stream_time, now)
        review = [o for o in obs if o.strength in ("review", "strong")]
        if review:
            return self._raise(Tier.T2, RULE_REVIEW_SIGNAL, review[0].summary, review, stream_time, now)
        weak = [o for o in obs if o.strength == "weak"]
        if not weak:
            return None
        clock = stream_time if stream_time is not None else now
        for o in weak:
            self._weak.append((clock, o))
        while self._weak and clock - self._weak[0][0] > self.policy.weak_window_s:
            self._weak.popleft()
        if len(self._weak) >= self.policy.weak_signals_for_review:
            recent = [o for _, o in self._weak]
            summary = (
                f"{len(recent)} weak signals within {self.policy.weak_window_s:g} s "
                f"(latest: {weak[0].summary})"
            )
            return self._raise(Tier.T2, RULE_REPEATED_WEAK, summary, recent, stream_time, now)
        return self._raise(Tier.T1, RULE_WEAK_SIGNAL, weak[0].summary, weak, stream_time, now)

    def _raise(
        self,
        target: Tier,
        rule: str,
        summary: str,
        observations: list[Observation],
        stream_time: float | None,
        now: float | None = None,
    ) -> Escalation | None:
        if target <= self.tier:
            return None
        escalation = Escalation(
            from_tier=self.tier,
            to_tier=target,
            rule=rule,
            summary=summary,
            observations=tuple(observations),
            stream_time=stream_time,
            at_monotonic=time.monotonic() if now is None else now,
        )
        self.tier = target
        self.history.append(escalation)
        return escalation


def report_priority(
    context: StreamContext, escalation: Escalation, policy: TierPolicy | None = None
) -> str:
    """P1 when a child is at imminent risk, else P2 (see :class:`TierPolicy` for what counts)."""
    policy = policy or TierPolicy()
    if any(o.imminent_risk for o in escalation.observations):
        return "P1"
    if policy.p1_when_paid_private and context.paid_private:
        return "P1"
    return "P2"


def accounts_to_restrict(context: StreamContext, policy: TierPolicy | None = None) -> list[str]:
    """The streamer, plus the paying viewers of a private or one-to-one session."""
    policy = policy or TierPolicy()
    accounts = [context.streamer_account]
    if policy.restrict_viewers_when_paid_private and context.paid_private:
        accounts += [v for v in context.viewer_accounts if v not in accounts]
    return accounts
