from __future__ import annotations

import pytest

from firstlight.streams.tiers import (
    Observation,
    StreamContext,
    Tier,
    TierMachine,
    TierPolicy,
    accounts_to_restrict,
    report_priority,
)


def obs(kind: str, strength: str, t: float = 0.0, **kw) -> Observation:
    return Observation(kind=kind, strength=strength, summary=f"{kind} {strength}", stream_time=t, **kw)


def test_confirmed_match_goes_straight_to_t3_and_explains_itself():
    m = TierMachine()
    esc = m.observe([obs("match", "strong", 4.0, details={"entry_id": 7, "distance": 3})], stream_time=4.0)
    assert esc is not None and esc.from_tier == Tier.T0 and esc.to_tier == Tier.T3
    assert esc.rule == "confirmed_match" and esc.is_alert
    ex = esc.explanation()
    assert ex["from_tier"] == "T0" and ex["to_tier"] == "T3" and ex["stream_time_s"] == 4.0
    assert ex["signals"][0]["details"] == {"entry_id": 7, "distance": 3}
    assert m.first_alert is esc


def test_segment_match_reaches_t3_with_its_own_rule():
    esc = TierMachine().observe([obs("segment_match", "strong")])
    assert esc.to_tier == Tier.T3 and esc.rule == "known_segment"


def test_classifier_never_acts_alone():
    m = TierMachine()
    esc = m.observe([obs("classifier", "review")])
    assert esc.to_tier == Tier.T2
    for _ in range(10):
        assert m.observe([obs("classifier", "review")]) is None
    assert m.tier == Tier.T2


def test_weak_signal_gives_t1_then_repeated_weak_signals_give_t2():
    m = TierMachine(TierPolicy(weak_signals_for_review=3, weak_window_s=30))
    assert m.observe([obs("near_match", "weak", 1)], stream_time=1).to_tier == Tier.T1
    assert m.observe([obs("near_match", "weak", 2)], stream_time=2) is None
    esc = m.observe([obs("near_match", "weak", 3)], stream_time=3)
    assert esc.to_tier == Tier.T2 and esc.rule == "repeated_weak_signals"
    assert len(esc.observations) == 3


def test_weak_signals_outside_the_window_do_not_add_up():
    m = TierMachine(TierPolicy(weak_signals_for_review=2, weak_window_s=10))
    m.observe([obs("near_match", "weak")], stream_time=0)
    assert m.observe([obs("near_match", "weak")], stream_time=50) is None
    assert m.tier == Tier.T1


def test_tiers_only_go_up_and_suppressed_findings_change_nothing():
    m = TierMachine(start=Tier.T1)
    assert m.observe([obs("suppressed", "none")]) is None
    assert m.observe([obs("near_match", "weak")]) is None
    assert m.tier == Tier.T1


def test_prior_can_start_at_t1_or_t2_but_never_t3():
    m = TierMachine()
    esc = m.start_from_prior(Tier.T3, obs("prior", "weak"))
    assert esc.to_tier == Tier.T2 and esc.rule == "session_prior"
    with pytest.raises(ValueError):
        TierMachine(start=Tier.T3)


def test_tier_parse():
    assert Tier.parse("t1") is Tier.T1 and Tier.parse(2) is Tier.T2 and Tier.parse(None) is Tier.T0
    with pytest.raises(ValueError):
        Tier.parse("T9")


def test_report_priority_p1_for_paid_private_or_an_imminent_signal():
    esc = TierMachine().observe([obs("match", "strong")])
    public = StreamContext("s", "streamer")
    paid_private = StreamContext("s", "streamer", ("viewer",), visibility="one_to_one", paid=True)
    assert report_priority(public, esc) == "P2"
    assert report_priority(paid_private, esc) == "P1"
    assert report_priority(paid_private, esc, TierPolicy(p1_when_paid_private=False)) == "P2"
    imminent = TierMachine().observe([obs("match", "strong", imminent_risk=True)])
    assert report_priority(public, imminent) == "P1"


def test_accounts_to_restrict_include_paying_viewers_of_private_sessions_only():
    public = StreamContext("s", "streamer", ("v1", "v2"), visibility="public", paid=True)
    private = StreamContext("s", "streamer", ("v1",), visibility="private", paid=True)
    assert accounts_to_restrict(public) == ["streamer"]
    assert accounts_to_restrict(private) == ["streamer", "v1"]


def test_public_interface_is_exported_and_sorted():
    import firstlight.streams as streams

    assert streams.__all__ == sorted(streams.__all__)
    assert all(hasattr(streams, name) for name in streams.__all__)
