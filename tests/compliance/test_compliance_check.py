"""The enforcement check: what a regulator would flag, computed from the records and a snapshot."""

from __future__ import annotations

from datetime import timedelta

from firstlight.compliance import (
    BankFact,
    ConfigFacts,
    ConfirmedCase,
    RecordSummary,
    ReportCount,
    build_assessment,
    check_compliance,
    parse_profile,
)

from .conftest import NOW

GOOD_CONFIG = ConfigFacts(
    hash_matching_on=True,
    webhook_configured=True,
    scanned_surfaces=["livestream", "public"],
    banks=[BankFact(name="ncmec", kind="block", signal_types=["pdq"], entries=500, sources=["NCMEC"])],
)
EVERYTHING_STATED = {
    m: {"statement": f"{m}: in place, see the T&S handbook"}
    for m in (
        "ICU.A2",
        "ICU.D1",
        "ICU.D2",
        "ICU.D3",
        "ICU.D4",
        "ICU.D5",
        "ICU.D6",
        "ICU.D7",
        "ICU.D9",
        "ICU.D10",
        "ICU.D11",
        "ICU.D12",
        "ICU.G1",
        "ICU.G3",
        "ICU.H1",
    )
}


def _check(document, snapshot, *, recorded=None, at=NOW, recorded_at=NOW - timedelta(days=30)):
    current = build_assessment(document, snapshot)
    latest = None
    if recorded is not False:
        latest = RecordSummary(
            version=1,
            created_at=recorded_at,
            review_due=recorded_at + timedelta(days=365),
            assessment=recorded or current,
        )
    return check_compliance(current=current, snapshot=snapshot, latest=latest, now=at)


def _codes(result, severity="fail"):
    return sorted(f.code for f in result.findings if f.severity == severity)


def test_a_complete_up_to_date_record_passes(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(measures=EVERYTHING_STATED))
    result = _check(document, snapshot(config=GOOD_CONFIG))
    assert result.ok, [f.message for f in result.failures]


def test_a_confirmed_but_unreported_incidence_fails_with_no_prevalence_threshold(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(measures=EVERYTHING_STATED))
    unreported = ConfirmedCase(
        case_id=42, subject_account="streamer-7", report_task_status="open", report_overdue=True
    )
    reported = ConfirmedCase(case_id=43, subject_account="streamer-8", reported_to=["NCMEC"])
    # One case among a quiet service's thousands of streams: still a failure.
    result = _check(document, snapshot(config=GOOD_CONFIG, confirmed_cases=[unreported, reported]))
    assert not result.ok
    assert _codes(result) == ["csea_unreported"]
    (finding,) = result.failures
    assert finding.subject == "case 42"
    assert "report task is open and past its priority timeframe" in finding.message
    assert "no prevalence threshold" in finding.message and "s.66" in finding.ref


def test_a_report_on_its_way_within_its_timeframe_is_a_warning(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(measures=EVERYTHING_STATED))
    for status, code in (
        ("open", "csea_report_pending"),
        ("none", "csea_unreported"),
        ("closed", "csea_unreported"),
    ):
        case = ConfirmedCase(case_id=3, subject_account="a", report_task_status=status)
        result = _check(document, snapshot(config=GOOD_CONFIG, confirmed_cases=[case]))
        assert [f.code for f in result.findings if f.subject == "case 3"] == [code]
        assert result.ok is (status == "open")


def test_content_reported_to_ncmec_is_not_unreported(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(measures=EVERYTHING_STATED))
    case = ConfirmedCase(case_id=1, subject_account="a", reported_to=["NCMEC"])
    assert _check(document, snapshot(config=GOOD_CONFIG, confirmed_cases=[case])).ok


def test_a_non_uk_provider_need_not_report_content_with_no_uk_link(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(service={"uk_provider": False}, measures=EVERYTHING_STATED))
    abroad = ConfirmedCase(case_id=5, subject_account="a", account_country="US", victim_countries=["US"])
    result = _check(document, snapshot(config=GOOD_CONFIG, confirmed_cases=[abroad]))
    assert result.ok and _codes(result, "info") == ["csea_not_uk_linked"]
    # A UK-based viewer directing the abuse makes it UK-linked (s.70(6)(c)).
    linked = abroad.model_copy(update={"involved_countries": ["GB"]})
    assert _codes(_check(document, snapshot(config=GOOD_CONFIG, confirmed_cases=[linked]))) == [
        "csea_unreported"
    ]


def test_overdue_reviews_and_significant_changes_fail(kite_live, snapshot) -> None:
    document = parse_profile(kite_live(measures=EVERYTHING_STATED))
    activity = snapshot(config=GOOD_CONFIG)
    late = _check(document, activity, recorded_at=NOW - timedelta(days=400))
    assert _codes(late) == ["review_overdue"]
    earlier = build_assessment(
        parse_profile(
            kite_live(service={"functionalities": ["3a", "4a", "5b", "5d"]}, measures=EVERYTHING_STATED)
        ),
        activity,
    )
    changed = _check(document, activity, recorded=earlier)
    assert "significant_change" in _codes(changed)
    assert "added Livestreaming (5a)" in next(
        f.message for f in changed.failures if f.code == "significant_change"
    )


def test_new_evidence_that_raises_a_level_makes_the_record_out_of_date(kite_live, snapshot) -> None:
    document = parse_profile(
        kite_live(service={"service_types": [], "functionalities": ["3a", "5a"]}, measures=EVERYTHING_STATED)
    )
    recorded = build_assessment(document, snapshot(config=GOOD_CONFIG))
    case = ConfirmedCase(case_id=9, subject_account="a", reported_to=["NCA"])
    result = _check(document, snapshot(config=GOOD_CONFIG, confirmed_cases=[case]), recorded=recorded)
    assert _codes(result) == ["risk_out_of_date"]
    assert (
        "Image-based CSAM: the evidence now supports medium, the record says low"
        in result.failures[0].message
    )


def test_no_record_missing_evidence_unassessed_harms_and_late_reports_all_fail(kite_live, snapshot) -> None:
    document = kite_live()
    del document["harms"]["drugs_psychoactive_substances"]
    activity = snapshot(
        config=ConfigFacts(webhook_configured=False),
        reports=[ReportCount(destination="NCA", priority="P1", count=1, overdue=1)],
    )
    result = _check(parse_profile(document), activity, recorded=False)
    codes = _codes(result)
    assert {"no_assessment", "harm_not_assessed", "measure_without_evidence", "report_overdue"} <= set(codes)
    missing = {f.subject for f in result.failures if f.code == "measure_without_evidence"}
    assert {"ICU.C2", "ICU.D1", "ICU.G1"} <= missing
    assert "ICU.A2" not in missing  # stated by the operator
