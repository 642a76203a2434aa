"""Which Codes measures apply to Kite Live, read like Ofcom's "who should apply this measure" tables, and
the evidence Firstlight finds for each."""

from __future__ import annotations

import pytest

from firstlight.compliance import (
    ActionStats,
    BankFact,
    ConfigFacts,
    ConfirmedCase,
    DetectionCount,
    build_assessment,
    parse_profile,
)

# fmt: off
# Kite Live as it is (40,000 UK users; CSEA medium on all three sub-kinds; other harms low): the measures
# that apply. Everything else in the Codes does not.
APPLIES_TO_KITE_LIVE = {
    "ICU.A2",                                   # accountable individual: all services
    "ICU.C1", "ICU.C2",                         # moderation and swift takedown: all services
    "ICU.D1", "ICU.D2", "ICU.D7", "ICU.D10",    # complaints: all services
    "ICU.D12", "ICU.D13",
    "ICU.D9",                                   # appeals: neither large nor multi-risk
    "ICU.D3", "ICU.D5",                         # children can access and medium risk of a harm
    "ICU.D4", "ICU.D6",                         # medium risk of a harm
    "ICU.G1", "ICU.G3", "ICU.H1",               # terms of service; proscribed organisations
}

PROMPTS = {"network_expansion_prompts": True}    # grooming high
LARGE = {"uk_mau": 8_000_000}
ANON = ["3a", "3b", "4a", "5a", "5b", "5d"]  # as it is, plus chat without an account (CSAM URLs high)

Y, N = True, False  # applies / does not apply

#  Kite Live, described as …                  changes                                        C9 C10 F1/F2
MEASURE_TABLE = [
    ("as it is",                              {},                                            N, N,  N),
    ("with suggested follows",                PROMPTS,                                       N, N,  Y),
    ("with suggested follows, no age signal", {**PROMPTS, "age_determination": "none"},      N, N,  N),
    ("grown to 8 million UK users (large)",   LARGE,                                         Y, Y,  Y),
    ("large and closed to children",          {**LARGE, "children_can_access": False},       Y, Y,  N),
    ("small, with file sharing",              {"service_types": ["1a", "1g"]},               Y, N,  N),
    ("800,000 users, chat without accounts",  {"uk_mau": 800_000, "functionalities": ANON},  N, Y,  N),
]
# fmt: on


def test_the_measures_that_apply_to_kite_live(kite_live, snapshot) -> None:
    assessment = build_assessment(parse_profile(kite_live()), snapshot())
    assert {m.id for m in assessment.measures if m.applies} == APPLIES_TO_KITE_LIVE
    assert all(m.applies is False for m in assessment.measures if m.id not in APPLIES_TO_KITE_LIVE)


@pytest.mark.parametrize(
    ("described", "changes", "c9", "c10", "f1_f2"), MEASURE_TABLE, ids=[row[0] for row in MEASURE_TABLE]
)
def test_csea_measures_read_like_the_codes(kite_live, snapshot, described, changes, c9, c10, f1_f2) -> None:
    assessment = build_assessment(parse_profile(kite_live(service=changes)), snapshot())
    assert assessment.measure("ICU.C9").applies is c9
    assert assessment.measure("ICU.C10").applies is c10
    assert assessment.measure("ICU.F1").applies is f1_f2
    assert assessment.measure("ICU.F2").applies is f1_f2


def test_each_measure_says_why_it_applies(kite_live, snapshot) -> None:
    large = build_assessment(parse_profile(kite_live(service={"uk_mau": 8_000_000})), snapshot())
    c9 = large.measure("ICU.C9")
    assert c9.bindings["large"] is True
    assert c9.bindings["risk['csea.image_csam']"] == "medium"
    assert "large and risk['csea.image_csam'] >= 'medium'" in c9.condition
    assert c9.confidence == "S" and "GH_OXF" in c9.source


EXPERT_BANKS = ConfigFacts(
    hash_matching_on=True,
    webhook_configured=True,
    scanned_surfaces=["livestream", "public"],
    banks=[
        BankFact(name="iwf-csam", kind="block", signal_types=["md5", "pdq"], entries=25_000, sources=["IWF"])
    ],
)


def test_c9_is_evidenced_from_hash_matching_expert_banks_and_public_scanning(kite_live, snapshot) -> None:
    activity = snapshot(
        config=EXPERT_BANKS,
        detections=[DetectionCount(harm="csea.image_csam", source="hash_match", count=3)],
        actions=[ActionStats(kind="block_content", total=3, delivered=3, seconds=[0.8, 1.1, 2.5])],
        confirmed_cases=[
            ConfirmedCase(case_id=1, subject_account="a", detected_by="hash_match", reported_to=["NCA"])
        ],
    )
    c9 = build_assessment(
        parse_profile(kite_live(service={"service_types": ["1a", "1g"]})), activity
    ).measure("ICU.C9")
    assert c9.status == "evidenced"
    facts = {f.key: f for f in c9.evidence}
    assert facts["hash_matching_on"].ok and "25,000 entries" in facts["hash_matching_on"].text
    assert facts["expert_hash_sources"].value == ["IWF"]
    assert facts["public_surfaces_covered"].ok
    assert facts["match_count"].value == 3
    assert "p50 1.1 s" in facts["takedown_for_matches"].text


def test_c9_without_an_expert_source_is_missing_and_says_why(kite_live, snapshot) -> None:
    homemade = EXPERT_BANKS.model_copy(
        update={
            "banks": [
                BankFact(name="ours", kind="block", signal_types=["pdq"], entries=10, sources=["manual"])
            ]
        }
    )
    c9 = build_assessment(
        parse_profile(kite_live(service={"service_types": ["1a", "1g"]})), snapshot(config=homemade)
    ).measure("ICU.C9")
    assert c9.status == "missing"
    failed = [f.text for f in c9.evidence if f.required and not f.ok]
    assert failed == ["no block bank entries from an expert source (IWF, NCMEC, C3P); sources seen: manual"]


def test_c2_shows_time_to_takedown_p50_and_p90(kite_live, snapshot) -> None:
    activity = snapshot(
        config=EXPERT_BANKS,
        actions=[
            ActionStats(kind="end_stream", total=4, delivered=4, seconds=[10, 20, 30, 40]),
            ActionStats(kind="restrict_account", total=1, delivered=1, seconds=[999]),
        ],
    )
    c2 = build_assessment(parse_profile(kite_live()), activity).measure("ICU.C2")
    assert c2.status == "evidenced"
    ttd = next(f for f in c2.evidence if f.key == "time_to_takedown_p50_p90")
    assert ttd.value == {"p50": 25.0, "p90": 37.0, "n": 4}  # restricting an account is not a takedown


def test_statements_and_alternatives_complete_what_firstlight_cannot_see(kite_live, snapshot) -> None:
    document = kite_live(
        measures={
            "ICU.G1": {"statement": "Terms section 4 covers CSEA separately (s.10(5))."},
            "ICU.D1": {
                "alternative": "In-stream report button forwards to our moderators by email",
                "reason": "reports are not yet forwarded to Firstlight",
                "how_compliant": "every report reaches a moderator within the hour",
                "rights_considered": "reports carry no more personal data than the report itself",
            },
        }
    )
    assessment = build_assessment(parse_profile(document), snapshot())
    assert assessment.measure("ICU.A2").status == "stated"
    assert assessment.measure("ICU.G1").status == "stated"
    d1 = assessment.measure("ICU.D1")
    assert (
        d1.status == "alternative" and d1.alternative.reason == "reports are not yet forwarded to Firstlight"
    )
    assert assessment.measure("ICU.G3").status == "missing"


def test_measures_hinging_on_unassessed_harms_are_undetermined(kite_live, snapshot) -> None:
    document = kite_live()
    for harm in ("terrorism", "hate"):
        del document["harms"][harm]
    assessment = build_assessment(parse_profile(document), snapshot())
    c15 = assessment.measure("ICU.C15")
    assert (c15.applies, c15.status) == (None, "undetermined")
    assert c15.bindings["risk['terrorism']"] == "not assessed"
    # A measure that applies whatever the unknown harms are is still decided.
    assert assessment.measure("ICU.D4").applies is True
