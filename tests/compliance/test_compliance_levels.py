"""Risk levels for Kite Live, a small livestreaming service with child users, read like Ofcom's Risk Level
Tables 13.1–13.3: one row per service description, the level for each CSEA sub-kind."""

from __future__ import annotations

import pytest

from firstlight.compliance import (
    BankFact,
    ConfigFacts,
    ConfirmedCase,
    RiskLevel,
    assess_risk,
    parse_profile,
)

NEG, LOW, MED, HIGH = "negligible", "low", "medium", "high"

# Kite Live's functionalities as it is: profiles, follows, livestreams, DMs, live chat.
KITE = ["3a", "4a", "5a", "5b", "5d"]
BROADCAST_ONLY = {"service_types": [], "functionalities": ["3a", "5a"]}

# fmt: off
#  Kite Live, described as …             service changes                                 image URLs  grooming
LEVEL_TABLE = [
    ("as it is; children can join",       {},                                             MED,  MED,  MED),
    ("with suggested follows",            {"network_expansion_prompts": True},            MED,  MED,  HIGH),
    ("with follower lists visible",       {"connection_lists_visible": True},             MED,  MED,  HIGH),
    ("with profiles that show a child",   {"child_identifiable_profiles": True},          MED,  MED,  HIGH),
    ("closed to children (18+ verified)", {"children_can_access": False},                 MED,  MED,  NEG),
    ("with chat open without an account", {"functionalities": [*KITE, "3b"]},             MED,  HIGH, MED),
    ("also storing and sharing files",    {"service_types": ["1a", "1g"]},                HIGH, MED,  MED),
    ("with no livestreams or images",     {"functionalities": ["3a", "4a", "5b", "5d"]},  NEG,  MED,  MED),
    ("broadcast only: no DMs or chat",    BROADCAST_ONLY,                                 LOW,  NEG,  NEG),
]
# fmt: on


@pytest.mark.parametrize(
    ("described", "changes", "image_csam", "csam_urls", "grooming"),
    LEVEL_TABLE,
    ids=[row[0] for row in LEVEL_TABLE],
)
def test_csea_levels_read_like_ofcoms_tables(
    kite_live, snapshot, described, changes, image_csam, csam_urls, grooming
) -> None:
    risk = assess_risk(parse_profile(kite_live(service=changes)), snapshot())
    got = (risk.level("csea.image_csam"), risk.level("csea.csam_urls"), risk.level("csea.grooming"))
    assert got == (image_csam, csam_urls, grooming), [risk.harms[h].decisive for h in risk.harms][:3]


def test_every_level_comes_with_the_factors_and_the_table_it_came_from(kite_live, snapshot) -> None:
    risk = assess_risk(parse_profile(kite_live()), snapshot())
    grooming = risk.harms["csea.grooming"]
    assert grooming.table == "13.3"
    assert set(grooming.factors) == {
        "social_media",
        "livestreaming",
        "commenting",
        "user_profiles",
        "user_connections",
    }
    assert any("5 of 9 risk factors present" in r.text for r in grooming.reasons)
    assert any("at least medium" in r.text or "several" in r.text for r in grooming.reasons)
    assert "Livestreaming (5a)" in risk.risk_factors


def test_a_confirmed_csea_incidence_never_rates_below_medium(kite_live, snapshot) -> None:
    # A broadcast-only variant is low for image CSAM on its factors alone …
    document = parse_profile(kite_live(service=BROADCAST_ONLY))
    assert assess_risk(document, snapshot()).level("csea.image_csam") == LOW
    # … but one confirmed case makes it medium: severity outweighs volume.
    case = ConfirmedCase(case_id=7, harm="csea.image_csam", subject_account="acct-9", reported_to=["NCA"])
    image = assess_risk(document, snapshot(confirmed_cases=[case])).harms["csea.image_csam"]
    assert image.level == MED
    assert "1 confirmed incidence(s) (case 7)" in image.decisive
    assert image.evidence["confirmed_cases"] == 1 and image.evidence["reported_cases"] == 1


def test_unreviewed_signals_are_inconclusive_so_the_higher_level_is_chosen(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(service=BROADCAST_ONLY))
    image = assess_risk(document, snapshot(pending_review={"csea.image_csam": 2})).harms["csea.image_csam"]
    assert image.level == MED
    assert "inconclusive" in image.decisive


def test_without_firstlights_data_low_cannot_be_shown(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(service=BROADCAST_ONLY))
    image = assess_risk(document, snapshot(available={})).harms["csea.image_csam"]
    assert image.level == MED
    assert "could not read" in image.decisive


def test_comprehensive_scanning_brings_a_several_factor_medium_to_low(kite_live, snapshot) -> None:
    document = parse_profile(kite_live())
    scanning = ConfigFacts(
        hash_matching_on=True,
        classifiers_on=True,
        scanned_surfaces=["livestream", "private", "public"],
        banks=[BankFact(name="iwf", kind="block", signal_types=["pdq"], entries=1000, sources=["IWF"])],
    )
    image = assess_risk(document, snapshot(config=scanning)).harms["csea.image_csam"]
    assert image.level == LOW
    assert image.reasons[-2].kind == "mitigation"
    # Not when private messages go unscanned: "all images and videos" is not met.
    partial = scanning.model_copy(update={"scanned_surfaces": ["public", "livestream"]})
    assert assess_risk(document, snapshot(config=partial)).level("csea.image_csam") == MED
    # Nor once there is any evidence of incidence.
    case = ConfirmedCase(case_id=1, subject_account="a", reported_to=["NCA"])
    assert (
        assess_risk(document, snapshot(config=scanning, confirmed_cases=[case])).level("csea.image_csam")
        == MED
    )


def test_the_operator_can_raise_a_csea_level_but_not_lower_it(kite_live, snapshot) -> None:
    raised = kite_live(
        harms={"csea.csam_urls": {"level": "high", "reasons": ["IWF told us links circulate"]}}
    )
    urls = assess_risk(parse_profile(raised), snapshot()).harms["csea.csam_urls"]
    assert (urls.level, urls.basis) == (HIGH, "operator")
    assert "IWF told us links circulate" in urls.decisive
    lowered = kite_live(harms={"csea.grooming": {"level": "negligible", "reasons": ["we trust our users"]}})
    grooming = assess_risk(parse_profile(lowered), snapshot()).harms["csea.grooming"]
    assert grooming.level == MED
    assert any("not used" in r.text for r in grooming.reasons)


def test_other_priority_harms_come_from_the_operator_and_unassessed_ones_say_so(kite_live, snapshot) -> None:
    document = kite_live()
    del document["harms"]["terrorism"]
    document["harms"]["hate"] = {"level": "medium", "reasons": ["raids in live chat"]}
    risk = assess_risk(parse_profile(document), snapshot())
    assert risk.level("hate") == RiskLevel.MEDIUM and risk.harms["hate"].basis == "operator"
    assert risk.level("terrorism") is None and risk.not_assessed == ["terrorism"]
    # One harm at medium and one unknown: whether it is multi-risk cannot be decided yet.
    assert risk.multi_risk is None


def test_multi_risk_counts_two_non_csea_harms_at_medium_or_above(kite_live, snapshot) -> None:
    two = kite_live(harms={"hate": {"level": "medium"}, "fraud_financial_services": {"level": "high"}})
    assert assess_risk(parse_profile(two), snapshot()).multi_risk is True
    # The CSEA sub-kinds are excluded (Codes para 5.6): Kite Live is medium on all three, yet not multi-risk.
    assert assess_risk(parse_profile(kite_live()), snapshot()).multi_risk is False
