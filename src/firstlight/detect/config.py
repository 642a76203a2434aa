"""Session-risk configuration: weights, windows, per-currency bands, country and channel lists.

Everything an analyst might want to tune is data here, with defaults taken from the published typologies
(``../shared/research/detection.md`` §1–2, §6). Country and channel lists concern whole populations: they
are configuration so an operator can review them for bias, they are low-weight, and they are flagged
``population_level`` so they can never move a session into review on their own.

Operators override any field from a TOML file (``firstlight risk --config risk.toml ...`` or the
``FIRSTLIGHT_RISK_CONFIG`` environment variable)::

    bias = -4.0
    [weights]
    corridor = 0.4
    [small_payment_ranges]
    AUD = [10, 400]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from firstlight.errors import Invalid

__all__ = [
    "CHAT_CATEGORIES",
    "FEATURES",
    "FeatureInfo",
    "RiskConfig",
    "get_risk_config",
    "load_risk_config",
]


@dataclass(frozen=True)
class FeatureInfo:
    """What a feature means and whether it describes a population rather than a person."""

    population_level: bool
    description: str


# Names are stored (in contributions kept per session): never rename one once released.
FEATURES: dict[str, FeatureInfo] = {
    "low_value_repetition": FeatureInfo(False, "repeated small payments viewer→streamer (AUSTRAC, AIC 589)"),
    "fan_in": FeatureInfo(False, "many distinct repeat payers to one recipient (AUSTRAC)"),
    "fan_out": FeatureInfo(False, "one payer to many recipients (AMLC, FINTRAC)"),
    "pay_before_show": FeatureInfo(False, "payment to the streamer shortly before a private session"),
    "escalation": FeatureInfo(False, "rising amounts or shrinking gaps between payments (AIC 589)"),
    "indicator_list": FeatureInfo(False, "account on a known-facilitator / shared-signal list"),
    "note_keywords": FeatureInfo(False, "payment note matches an operator term list"),
    "risky_channel": FeatureInfo(True, "payments through a channel on the risky-channel list"),
    "corridor": FeatureInfo(True, "payer country on the demand list, payee country on the source list"),
    "new_account": FeatureInfo(False, "an account in the session is days old"),
    "minor_in_session": FeatureInfo(False, "an account with a minor age band in a paid/private session"),
    "unverified_age": FeatureInfo(False, "the streamer has no age-assurance result"),
    "private_session": FeatureInfo(False, "private or one-to-one session (paid counts more)"),
    "minor_contact_breadth": FeatureInfo(False, "viewer messaged many distinct minor accounts"),
    "user_reports": FeatureInfo(False, "distinct users reported an account in the session"),
    "linked_to_confirmed": FeatureInfo(False, "paid or was paid by an account confirmed in a case"),
    "confirmed_account": FeatureInfo(False, "an account in the session was itself confirmed"),
    "chat.price_negotiation": FeatureInfo(False, "chat between the pair negotiates a price"),
    "chat.age_gender_request": FeatureInfo(False, "chat asks for a person of a given age or gender"),
    "chat.directing_acts": FeatureInfo(False, "chat directs what should happen on camera"),
    "chat.payment_confirmation": FeatureInfo(False, "chat confirms that a payment was sent"),
    "chat.off_platform": FeatureInfo(False, "chat asks to move to another app or share contacts"),
    "chat.sexual_interest_children": FeatureInfo(False, "chat expresses sexual interest in children"),
    "chat.classifier": FeatureInfo(False, "score of a plugged-in text classifier"),
    "payment.in_session": FeatureInfo(False, "viewer paid the streamer during the live session"),
    "pay_then_direct": FeatureInfo(False, "directing chat within a minute of an in-session payment"),
    "frame.classifier": FeatureInfo(False, "weak visual signal from a frame classifier"),
}

CHAT_CATEGORIES: tuple[str, ...] = (
    "price_negotiation",
    "age_gender_request",
    "directing_acts",
    "payment_confirmation",
    "off_platform",
    "sexual_interest_children",
)

_DEFAULT_WEIGHTS: dict[str, float] = {
    # Expert log-likelihood-ratio weights (detection.md §6.3): list match, confirmed links and
    # pay-before-show large; population features small. Calibrated on the synthetic harness.
    "low_value_repetition": 0.9,
    "fan_in": 0.8,
    "fan_out": 0.7,
    "pay_before_show": 1.6,
    "escalation": 0.9,
    "indicator_list": 3.0,
    "note_keywords": 1.2,
    "risky_channel": 0.5,
    "corridor": 0.6,
    "new_account": 0.5,
    "minor_in_session": 2.5,
    "unverified_age": 0.3,
    "private_session": 0.6,
    "minor_contact_breadth": 1.2,
    "user_reports": 1.0,
    "linked_to_confirmed": 2.2,
    "confirmed_account": 5.0,
    "chat.price_negotiation": 1.0,
    "chat.age_gender_request": 1.8,
    "chat.directing_acts": 1.8,
    "chat.payment_confirmation": 0.8,
    "chat.off_platform": 0.6,
    "chat.sexual_interest_children": 3.0,
    "chat.classifier": 1.5,
    "payment.in_session": 0.8,
    "pay_then_direct": 2.0,
    "frame.classifier": 1.5,
}

_DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    # A$10–400 spans AUSTRAC's A$10–100 and A$20–80 and AIC's A$49–390; the others are the same band
    # in round local figures (AMLC: ₱1,000–10,000 ≈ US$18–180).
    "AUD": (10.0, 400.0),
    "USD": (7.0, 270.0),
    "GBP": (5.0, 210.0),
    "EUR": (6.0, 250.0),
    "CAD": (9.0, 360.0),
    "PHP": (400.0, 15000.0),
}


@dataclass(frozen=True)
class RiskConfig:
    """All tunables of session risk. Frozen: build a changed copy with ``with_overrides``."""

    bias: float = -4.0
    weights: dict[str, float] = field(default_factory=lambda: dict(_DEFAULT_WEIGHTS))
    tier1_threshold: float = 0.2
    tier2_threshold: float = 0.6
    population_tier_ceiling: str = "T1"
    window_days: int = 30
    pay_before_show_minutes: int = 30
    chat_lookback_hours: int = 72
    minor_contact_days: int = 7
    small_payment_ranges: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(_DEFAULT_RANGES)
    )
    min_repeat_payments: int = 3
    fan_in_min_payers: int = 3
    fan_out_min_payees: int = 3
    escalation_min_payments: int = 4
    escalation_min_rho: float = 0.6
    minor_contact_min: int = 3
    new_account_days: int = 7
    demand_countries: tuple[str, ...] = (
        "US", "GB", "AU", "CA", "SA", "DE", "JP", "SG", "FR", "NL", "SE", "NO",
    )
    source_countries: tuple[str, ...] = ("PH", "TH", "DO", "CO", "MX")
    risky_channels: tuple[str, ...] = ("crypto", "gift_card", "remittance", "p2p_app")
    half_life_seconds: float = 60.0
    pay_then_direct_seconds: float = 60.0
    max_instream_events: int = 500
    term_lists: tuple[str, ...] = ()  # files or folders; empty = the shipped neutral examples
    text_classifiers: tuple[str, ...] = ()  # "package.module:ClassName" of pytx Classifiers

    def weight(self, feature: str) -> float:
        return self.weights.get(feature, 0.0)

    def with_overrides(self, data: dict[str, Any]) -> RiskConfig:
        """A copy with fields from ``data`` (as parsed from TOML); unknown keys are an error."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise Invalid(f"unknown risk settings: {', '.join(unknown)}", code="risk_config")
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key == "weights":
                changes[key] = {**self.weights, **{str(k): float(v) for k, v in value.items()}}
            elif key == "small_payment_ranges":
                ranges = dict(self.small_payment_ranges)
                for cur, band in value.items():
                    if len(band) != 2 or float(band[0]) > float(band[1]):
                        raise Invalid(f"bad payment range for {cur}: {band}", code="risk_config")
                    ranges[str(cur).upper()] = (float(band[0]), float(band[1]))
                changes[key] = ranges
            elif isinstance(getattr(self, key), tuple):
                changes[key] = tuple(str(v) for v in value)
            else:
                changes[key] = type(getattr(self, key))(value)
        new = replace(self, **changes)
        if not 0 < new.tier1_threshold < new.tier2_threshold < 1:
            raise Invalid("need 0 < tier1_threshold < tier2_threshold < 1", code="risk_config")
        if new.population_tier_ceiling not in ("T0", "T1"):
            raise Invalid("population_tier_ceiling must be T0 or T1", code="risk_config")
        return new


@lru_cache(maxsize=4)
def _cached_config(path: str | None) -> RiskConfig:
    return load_risk_config(path) if path else RiskConfig()


def get_risk_config() -> RiskConfig:
    """The process's configuration (``FIRSTLIGHT_RISK_CONFIG`` or defaults), read once per path."""
    return _cached_config(os.environ.get("FIRSTLIGHT_RISK_CONFIG") or None)


def load_risk_config(path: str | Path | None = None) -> RiskConfig:
    """Defaults, overridden by a TOML file (``path`` or ``FIRSTLIGHT_RISK_CONFIG``) when given."""
    path = path or os.environ.get("FIRSTLIGHT_RISK_CONFIG")
    if not path:
        return RiskConfig()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Invalid(f"cannot read risk config {path}: {exc}", code="risk_config") from exc
    return RiskConfig().with_overrides(data)
