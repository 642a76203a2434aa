"""The records session risk passes around: scores, their contributions, and the facts they are built from.

Every score is a sum of named contributions (``weight × value`` on the log-odds scale) so that each alert
can say exactly why it fired. A contribution marked ``population_level`` comes from a property shared by
whole populations (a country corridor, a payment channel); those may raise review priority but never move
a session into review on their own (see ``firstlight.detect.scoring``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

__all__ = [
    "TIERS",
    "AccountFacts",
    "ChatFacts",
    "Contribution",
    "InStreamSignal",
    "PaymentFacts",
    "RiskScore",
    "Tier",
    "age_band_is_minor",
]

Tier = Literal["T0", "T1", "T2"]
TIERS: tuple[Tier, ...] = ("T0", "T1", "T2")


@dataclass(frozen=True)
class Contribution:
    """One reason in a score: ``weight × value`` is what it adds to the log-odds."""

    feature: str
    weight: float
    value: float
    population_level: bool
    explanation: str

    @property
    def logit(self) -> float:
        return self.weight * self.value

    def as_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "weight": round(self.weight, 4),
            "value": round(self.value, 4),
            "contribution": round(self.logit, 4),
            "population_level": self.population_level,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class RiskScore:
    """A transparent risk score.

    ``score`` is a probability-like number in (0, 1) used to order the review queue; ``tier_hint`` is the
    starting tier it suggests to the livestream room. ``individual_score`` leaves out population-level
    contributions; ``population_capped`` says the tier was held down because only population-level
    features pushed it up.
    """

    score: float
    tier_hint: Tier
    contributions: list[Contribution]
    subject: str = ""
    individual_score: float = 0.0
    population_capped: bool = False
    computed_at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "score": round(self.score, 6),
            "individual_score": round(self.individual_score, 6),
            "tier_hint": self.tier_hint,
            "population_capped": self.population_capped,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "contributions": [c.as_dict() for c in self.contributions],
        }


@dataclass(frozen=True)
class InStreamSignal:
    """A signal observed during a live session (a chat category hit, an in-session payment, a weak frame
    score). ``weight`` overrides the configured weight for features the config does not know."""

    feature: str
    value: float = 1.0
    weight: float | None = None
    explanation: str = ""


@dataclass(frozen=True)
class PaymentFacts:
    """A payment as the indicators see it (from the relationship store or built by hand in tests)."""

    payer: str
    payee: str
    amount: Decimal
    currency: str
    at: datetime
    channel: str | None = None
    note_categories: tuple[str, ...] = ()
    payer_country: str | None = None
    payee_country: str | None = None
    public_tip: bool = False  # a tip inside a public broadcast, not a person-to-person payment


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    created_at: datetime | None = None
    age_band: str | None = None
    age_assurance: str | None = None
    country: str | None = None
    confirmed: bool = False
    listed: tuple[str, ...] = ()  # names of indicator lists that name this account

    @property
    def is_minor(self) -> bool:
        return age_band_is_minor(self.age_band)


@dataclass(frozen=True)
class ChatFacts:
    """What a chat message said, reduced to category hits: the text itself is not kept."""

    sender: str
    recipients: tuple[str, ...]
    at: datetime
    categories: dict[str, float] = field(default_factory=dict)
    session_id: str | None = None


def age_band_is_minor(age_band: str | None) -> bool:
    """``'13-15'``, ``'under18'``, ``'minor'``, ``'<18'`` → True; ``'18+'``, ``'adult'``, None → False."""
    if not age_band:
        return False
    band = age_band.strip().lower().replace(" ", "")
    if band in {"minor", "child", "under18", "<18", "u18", "teen"}:
        return True
    if band.endswith("+"):
        return False
    head = band.split("-")[0].lstrip("<")
    try:
        low = int(head)
    except ValueError:
        return False
    if "-" in band:
        try:
            return int(band.split("-")[1]) < 18
        except ValueError:
            return low < 18
    return low < 18
