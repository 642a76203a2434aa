"""Each indicator fires on a crafted case and stays silent on its benign twin (pure, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from firstlight.detect import AccountFacts, ChatFacts, PaymentFacts, RiskConfig
from firstlight.detect.features import PairView, pair_contributions, spearman

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CFG = RiskConfig()


def pay(amount: float, hours_ago: float, *, payer: str = "viewer", payee: str = "streamer",
        currency: str = "AUD", **kw: object) -> PaymentFacts:
    return PaymentFacts(payer=payer, payee=payee, amount=Decimal(str(amount)), currency=currency,
                        at=AT - timedelta(hours=hours_ago), **kw)  # type: ignore[arg-type]


def view(**kw: object) -> PairView:
    base: dict[str, object] = {
        "viewer": AccountFacts("viewer", created_at=AT - timedelta(days=400), age_band="18+",
                               age_assurance="verified", country="NZ"),
        "streamer": AccountFacts("streamer", created_at=AT - timedelta(days=400), age_band="18+",
                                 age_assurance="verified", country="NZ"),
        "at": AT,
    }
    base.update(kw)
    pair = list(base.pop("pair", ()))  # type: ignore[call-overload]
    base.setdefault("pair_payments", pair)
    base.setdefault("payer_payments", pair)
    base.setdefault("payee_payments", pair)
    return PairView(**base)  # type: ignore[arg-type]


def fired(v: PairView, config: RiskConfig = CFG) -> set[str]:
    return {c.feature for c in pair_contributions(v, config)}


def repeated(n: int, amount: float, gap_h: float = 12.0) -> list[PaymentFacts]:
    return [pay(amount, gap_h * (n - i)) for i in range(n)]


CASES = {
    # feature: (crafted case, benign twin)
    "low_value_repetition": (
        view(pair=repeated(5, 40)),
        view(pair=repeated(5, 900)),  # same cadence, amounts outside the small band
    ),
    "fan_in": (
        view(payee_payments=[pay(30, h, payer=f"p{i}") for i in range(4) for h in (5, 30)]),
        view(payee_payments=[pay(30, 5, payer=f"p{i}") for i in range(8)]),  # one-off tips only
    ),
    "fan_out": (
        view(payer_payments=[pay(30, 5 + i, payee=f"r{i}") for i in range(4)]),
        view(payer_payments=[pay(30, 5 + i, payee="r0") for i in range(4)]),
    ),
    "pay_before_show": (
        view(pair=[pay(50, 0.25)], private=True),
        view(pair=[pay(50, 5)], private=True),  # paid hours earlier
    ),
    "escalation": (
        view(pair=[pay(20 + 15 * i, 48 - 10 * i) for i in range(5)]),
        view(pair=[pay(50, 48 - 10 * i) for i in range(5)]),
    ),
    "indicator_list": (
        view(streamer=AccountFacts("streamer", listed=("known_facilitators",))),
        view(streamer=AccountFacts("streamer")),
    ),
    "note_keywords": (
        view(pair=[pay(50, 3, note_categories=("payment_note",))]),
        view(pair=[pay(50, 3)]),
    ),
    "risky_channel": (
        view(pair=[pay(50, 3, channel="gift_card")]),
        view(pair=[pay(50, 3, channel="card")]),
    ),
    "corridor": (
        view(viewer=AccountFacts("viewer", country="GB"), streamer=AccountFacts("streamer", country="PH")),
        view(viewer=AccountFacts("viewer", country="GB"), streamer=AccountFacts("streamer", country="GB")),
    ),
    "new_account": (
        view(streamer=AccountFacts("streamer", created_at=AT - timedelta(days=2))),
        view(streamer=AccountFacts("streamer", created_at=AT - timedelta(days=90))),
    ),
    "minor_in_session": (
        view(streamer=AccountFacts("streamer", age_band="13-15", age_assurance="estimated"), private=True),
        view(streamer=AccountFacts("streamer", age_band="13-15", age_assurance="estimated")),  # public
    ),
    "minor_contact_breadth": (view(viewer_minor_contacts=4), view(viewer_minor_contacts=1)),
    "user_reports": (view(reporters={"streamer": 2}), view(reporters={})),
    "linked_to_confirmed": (
        view(confirmed_links={"viewer": ("f9",)}),
        view(confirmed_links={"viewer": ()}),
    ),
    "confirmed_account": (
        view(streamer=AccountFacts("streamer", confirmed=True)),
        view(streamer=AccountFacts("streamer")),
    ),
    "chat.price_negotiation": (
        view(pair_chat=[ChatFacts("viewer", ("streamer",), AT, {"price_negotiation": 1.0})]),
        view(pair_chat=[ChatFacts("viewer", ("streamer",), AT, {})]),
    ),
}


@pytest.mark.parametrize("feature", sorted(CASES))
def test_indicator_fires_on_crafted_case_not_on_benign_twin(feature: str) -> None:
    crafted, twin = CASES[feature]
    assert feature in fired(crafted)
    assert feature not in fired(twin)


def test_small_payment_ranges_are_per_currency_and_configurable() -> None:
    php = view(pair=[pay(3000, 10 * i, currency="PHP") for i in range(1, 5)])
    assert "low_value_repetition" in fired(php)
    usd_big = view(pair=[pay(3000, 10 * i, currency="USD") for i in range(1, 5)])
    assert "low_value_repetition" not in fired(usd_big)
    narrow = CFG.with_overrides({"small_payment_ranges": {"PHP": [1, 100]}})
    assert "low_value_repetition" not in fired(php, narrow)


def test_unknown_currency_is_not_counted_as_small() -> None:
    assert "low_value_repetition" not in fired(view(pair=[pay(20, i, currency="XAF") for i in range(5)]))


def test_escalation_in_frequency_alone_fires_at_half_strength() -> None:
    hours = [100, 60, 35, 20, 12, 8]  # gaps 40, 25, 15, 8, 4: shrinking
    [c] = [c for c in pair_contributions(view(pair=[pay(50, h) for h in hours]), CFG)
           if c.feature == "escalation"]
    assert c.value == 0.5 and "gaps shrinking" in c.explanation


def test_every_contribution_explains_itself_and_flags_population_features() -> None:
    crafted = view(pair=[pay(50, 0.2, channel="crypto", note_categories=("payment_note",))] + repeated(4, 30),
                   private=True, paid=True,
                   viewer=AccountFacts("viewer", country="US"),
                   streamer=AccountFacts("streamer", country="PH"))
    contributions = pair_contributions(crafted, CFG)
    assert all(c.explanation for c in contributions)
    population = {c.feature for c in contributions if c.population_level}
    assert population == {"corridor", "risky_channel"}


def test_zero_weight_features_are_dropped() -> None:
    cfg = CFG.with_overrides({"weights": {"corridor": 0}})
    v = view(viewer=AccountFacts("viewer", country="GB"), streamer=AccountFacts("streamer", country="PH"))
    assert "corridor" not in fired(v, cfg)


def test_spearman_matches_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [5, 5, 5]) == 0.0


def test_account_level_view_has_no_session_features() -> None:
    v = replace(view(pair=[pay(50, 0.2)], private=True, paid=True), in_session=False)
    assert not fired(v) & {"pay_before_show", "private_session", "minor_in_session"}


def test_tips_inside_public_broadcasts_do_not_count_as_repeated_transfers() -> None:
    tips = [replace(p, public_tip=True) for p in repeated(6, 20)]
    fans = [replace(pay(30, h, payer=f"p{i}"), public_tip=True) for i in range(5) for h in (5, 30)]
    quiet = fired(view(pair=tips, payee_payments=fans))
    assert not quiet & {"low_value_repetition", "fan_in", "fan_out", "escalation"}
