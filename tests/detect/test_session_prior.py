"""The session prior and its in-stream updates, on the real store (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.detect.conftest import T0, Ledger

from firstlight.detect import (
    InStreamSignal,
    RiskConfig,
    get_session_risk,
    on_account_confirmed,
    session_prior,
    update_session_risk,
)
from firstlight.errors import Invalid, NotFound
from firstlight.store import Database


def offender_history(ledger: Ledger) -> None:
    ledger.account("buyer", country="AU")
    ledger.account("host", country="PH", days_old=3)
    for i in range(6):
        ledger.pay("buyer", "host", 30 + 10 * i, minutes_ago=60 * 24 * (5 - i) + 15)
    ledger.chat("buyer", "host", "what is the price per session", minutes_ago=60)
    ledger.chat("host", "buyer", "did you receive my details", minutes_ago=50)


def test_risky_private_session_starts_in_review_with_its_reasons(db: Database) -> None:
    with db.begin() as s:
        offender_history(Ledger(s))
        risk = session_prior(s, stream_id="st1", streamer_account="host", viewer_accounts=["buyer"],
                             private=True, paid=True, at=T0)
    assert risk.tier_hint == "T2"
    features = {c.feature for c in risk.contributions}
    assert {"low_value_repetition", "pay_before_show", "chat.price_negotiation", "escalation"} <= features
    assert all(c.explanation for c in risk.contributions)


def test_same_accounts_in_a_public_unpaid_stream_with_no_history_start_at_t0(db: Database) -> None:
    with db.begin() as s:
        ledger = Ledger(s)
        ledger.account("fan", country="AU")
        ledger.account("creator", country="AU")
        ledger.pay("fan", "creator", 5, minutes_ago=60 * 24 * 10)
        risk = session_prior(s, stream_id="st2", streamer_account="creator", viewer_accounts=["fan"],
                             at=T0)
    assert risk.tier_hint == "T0"


def test_population_features_alone_never_move_a_session_into_review(db: Database) -> None:
    # Weights pushed far beyond their defaults: corridor and channel alone would give a score near 1.
    config = RiskConfig().with_overrides({"weights": {"corridor": 9.0, "risky_channel": 9.0}})
    with db.begin() as s:
        ledger = Ledger(s)
        ledger.account("sender", country="US", age_assurance="verified")
        ledger.account("receiver", country="PH", age_assurance="verified")
        ledger.pay("sender", "receiver", 5000, minutes_ago=60 * 24 * 5, currency="USD", channel="crypto")
        risk = session_prior(s, stream_id="st3", streamer_account="receiver", viewer_accounts=["sender"],
                             at=T0, config=config)
        live = update_session_risk(s, stream_id="st3", at=T0 + timedelta(seconds=5), config=config)
    assert risk.score > 0.99  # priority rises ...
    assert risk.individual_score < config.tier1_threshold
    assert risk.tier_hint == "T1" and risk.population_capped  # ... but the tier stops below review
    assert live.tier_hint == "T1"
    assert {c.feature for c in risk.contributions if c.population_level} == {"corridor", "risky_channel"}


def test_population_features_may_add_to_individual_evidence(db: Database) -> None:
    config = RiskConfig().with_overrides({"weights": {"corridor": 9.0}})
    with db.begin() as s:
        offender_history(Ledger(s))
        risk = session_prior(s, stream_id="st4", streamer_account="host", viewer_accounts=["buyer"],
                             private=True, paid=True, at=T0, config=config)
    assert risk.tier_hint == "T2" and not risk.population_capped


def test_in_stream_evidence_raises_risk_then_decays(db: Database) -> None:
    with db.begin() as s:
        ledger = Ledger(s)
        ledger.account("v1", country="NZ")
        ledger.account("s1", country="NZ", age_assurance="verified")
        prior = session_prior(s, stream_id="live", streamer_account="s1", viewer_accounts=["v1"],
                              private=True, at=T0)
        hot = update_session_risk(s, stream_id="live", at=T0 + timedelta(seconds=10), signals=[
            InStreamSignal("chat.directing_acts", 1.0, explanation="message m1"),
            InStreamSignal("chat.age_gender_request", 1.0, explanation="message m2"),
            InStreamSignal("frame.classifier", 1.0, explanation="model x 0.8"),
        ])
        later = update_session_risk(s, stream_id="live", at=T0 + timedelta(minutes=10))
    assert prior.tier_hint == "T0"
    assert hot.score > prior.score and hot.tier_hint == "T2"
    assert later.score < hot.score
    assert later.score == pytest.approx(prior.score, abs=0.01)
    assert any(c.feature == "live:chat.directing_acts" and "half-life" in c.explanation
               for c in hot.contributions)


def test_directing_chat_right_after_an_in_session_payment_adds_pay_then_direct(db: Database) -> None:
    with db.begin() as s:
        session_prior(s, stream_id="p9", streamer_account="a", viewer_accounts=["b"], private=True, at=T0)
        update_session_risk(s, stream_id="p9", signals={"payment.in_session": 1}, at=T0)
        risk = update_session_risk(s, stream_id="p9", signals={"chat.directing_acts": 1},
                                   at=T0 + timedelta(seconds=20))
        session_prior(s, stream_id="p9b", streamer_account="a", viewer_accounts=["b"], private=True, at=T0)
        update_session_risk(s, stream_id="p9b", signals={"payment.in_session": 1}, at=T0)
        twin = update_session_risk(s, stream_id="p9b", signals={"chat.directing_acts": 1},
                                   at=T0 + timedelta(seconds=300))
    assert "live:pay_then_direct" in {c.feature for c in risk.contributions}
    assert "live:pay_then_direct" not in {c.feature for c in twin.contributions}


def test_update_needs_a_prior_and_known_features(db: Database) -> None:
    with db.begin() as s:
        with pytest.raises(NotFound):
            update_session_risk(s, stream_id="nope", at=T0)
        session_prior(s, stream_id="x", streamer_account="a", at=T0)
        with pytest.raises(Invalid):
            update_session_risk(s, stream_id="x", signals={"made.up": 1}, at=T0)
        with pytest.raises(Invalid):
            update_session_risk(s, stream_id="x", signals={"frame.classifier": float("nan")}, at=T0)
        custom = update_session_risk(s, stream_id="x", at=T0,
                                     signals=[InStreamSignal("frame.other_model", 1.0, weight=0.4)])
    assert "live:frame.other_model" in {c.feature for c in custom.contributions}


def test_stored_session_risk_can_be_read_back(db: Database) -> None:
    with db.begin() as s:
        offender_history(Ledger(s))
        first = session_prior(s, stream_id="rb", streamer_account="host", viewer_accounts=["buyer"],
                              private=True, paid=True, at=T0)
    with db.session() as s:
        again = get_session_risk(s, "rb", at=T0)
    assert again.score == pytest.approx(first.score)
    assert [c.feature for c in again.contributions] == [c.feature for c in first.contributions]


def test_confirming_an_account_raises_the_accounts_it_paid_or_was_paid_by(db: Database) -> None:
    with db.begin() as s:
        ledger = Ledger(s)
        for name in ("facilitator", "buyer1", "buyer2", "bystander", "other"):
            ledger.account(name, country="NZ", age_assurance="verified")
        ledger.pay("buyer1", "facilitator", 40, minutes_ago=60 * 24 * 3)
        ledger.pay("buyer2", "facilitator", 60, minutes_ago=60 * 24 * 2)
        ledger.pay("bystander", "other", 40, minutes_ago=60 * 24 * 2)
        before = session_prior(s, stream_id="b1", streamer_account="facilitator",
                               viewer_accounts=["buyer2"], at=T0)
        expansion = on_account_confirmed(s, "facilitator", at=T0, actor="reviewer:1")
        after = session_prior(s, stream_id="b2", streamer_account="other", viewer_accounts=["buyer2"],
                              at=T0)
        untouched = session_prior(s, stream_id="b3", streamer_account="other",
                                  viewer_accounts=["bystander"], at=T0)
    assert {x.account_id for x in expansion.linked} == {"buyer1", "buyer2"}
    assert all("linked_to_confirmed" in {c.feature for c in x.risk.contributions} for x in expansion.linked)
    assert "linked_to_confirmed" in {c.feature for c in after.contributions}
    assert after.score > before.score
    assert "linked_to_confirmed" not in {c.feature for c in untouched.contributions}


def test_account_risk_keeps_its_own_evidence_not_its_counterparties_traits(db: Database) -> None:
    from firstlight.detect import account_risk
    from firstlight.detect.ledger import add_list_entries

    with db.begin() as s:
        ledger = Ledger(s)
        ledger.account("payer", country="NZ")
        ledger.account("payee", country="NZ", days_old=1)
        ledger.account("payer10", country="NZ", days_old=1)
        for i in range(4):
            ledger.pay("payer", "payee", 30, minutes_ago=60 * (i + 1))
        add_list_entries(s, "known_facilitators", ["payee"])
        risk = account_risk(s, "payer", at=T0)
    features = {c.feature for c in risk.contributions}
    assert {"low_value_repetition", "indicator_list"} <= features  # paid a listed account
    assert "new_account" not in features  # the payee is new, the payer is not
    with pytest.raises(NotFound), db.session() as s:
        account_risk(s, "stranger", at=T0)
