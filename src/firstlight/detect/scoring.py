"""From contributions to a score and a tier, with the population-feature cap.

``score = logistic(bias + Σ weight·value)``. The tier follows the score, except that population-level
contributions (country corridor, payment channel) can never on their own lift a session past
``population_tier_ceiling`` (T1 by default: denser sampling, no review case): the tier is also computed
from the individual contributions alone, and population features may only add to a tier that individual
evidence has already reached T1. They still raise ``score``, which orders the review queue. Nothing in
session risk goes past T2 (human review): automated sanctions are reserved for hard in-stream rules such as
a hash match (``firstlight.streams``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from firstlight.detect._types import TIERS, Contribution, RiskScore, Tier
from firstlight.detect.config import RiskConfig

__all__ = ["combine", "logistic", "tier_for"]


def logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def tier_for(score: float, config: RiskConfig) -> Tier:
    if score >= config.tier2_threshold:
        return "T2"
    if score >= config.tier1_threshold:
        return "T1"
    return "T0"


def _rank(tier: str) -> int:
    return TIERS.index(tier)  # type: ignore[arg-type]


def combine(
    contributions: Iterable[Contribution],
    config: RiskConfig,
    *,
    subject: str = "",
    at: datetime | None = None,
    extra_logit: float = 0.0,
) -> RiskScore:
    """Score ``contributions`` (sorted by what they add, largest first) and pick the tier."""
    items = sorted(contributions, key=lambda c: -abs(c.logit))
    individual = config.bias + extra_logit + sum(c.logit for c in items if not c.population_level)
    population = sum(c.logit for c in items if c.population_level)
    score = logistic(individual + population)
    individual_score = logistic(individual)
    full_tier = tier_for(score, config)
    individual_tier = tier_for(individual_score, config)
    tier: Tier = full_tier
    capped = False
    if _rank(individual_tier) < _rank("T1"):
        ceiling = config.population_tier_ceiling
        if _rank(full_tier) > _rank(ceiling):
            tier = max(individual_tier, ceiling, key=_rank)  # type: ignore[assignment]
            capped = True
    return RiskScore(
        score=score,
        tier_hint=tier,
        contributions=items,
        subject=subject,
        individual_score=individual_score,
        population_capped=capped,
        computed_at=at,
    )
