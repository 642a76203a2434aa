"""Prevalence from reviewed samples: the design chosen, upper bounds, and reviewer-error correction."""

from __future__ import annotations

import math

import pytest

from firstlight.errors import Invalid
from firstlight.measure import (
    GoldSet,
    ReviewRecord,
    binomial_interval,
    correct_for_review_error,
    estimate_prevalence,
    prevalence_from_reviews,
    run_prevalence,
)


def _srs(found: int, n: int) -> list[ReviewRecord]:
    return [ReviewRecord(i < found) for i in range(n)]


def test_simple_sample_uses_wilson() -> None:
    result = estimate_prevalence(_srs(16, 10_000))
    assert result.design == "simple" and result.method == "wilson"
    assert result.estimate == pytest.approx(0.0016)
    assert (result.lower, result.upper) == pytest.approx(binomial_interval(16, 10_000))
    assert result.per()[0] == pytest.approx(16)


def test_nothing_found_reports_no_more_than_per_10000() -> None:
    result = estimate_prevalence(_srs(0, 6_000))
    assert result.positives == 0 and result.lower == 0
    assert result.upper_bound == pytest.approx(1 - 0.05 ** (1 / 6_000))
    assert result.statement() == (
        "none found in 6,000 reviewed: no more than 4.99 per 10,000 (95% one-sided upper bound)"
    )


def test_stratified_sample_matches_survey_reference(load_rows) -> None:
    rows = load_rows("survey_api/apistrat.csv")
    sample = [
        {"violating": r["sch.wide"] == "No", "stratum": r["stype"], "weight": r["pw"], "fpc": r["fpc"]}
        for r in rows
    ]
    result = run_prevalence(sample)
    assert result.method == "logit" and result.design == "stratified+weighted"
    assert result.estimate == pytest.approx(0.172052, abs=5e-7)
    assert result.se == pytest.approx(0.024345, abs=5e-7)
    assert (result.lower, result.upper) == pytest.approx((0.12919, 0.22546), abs=5e-6)
    assert {s.name: round(s.estimate, 2) for s in result.strata} == {"E": 0.09, "H": 0.48, "M": 0.30}


def test_weighted_sample_with_nothing_found_uses_korn_graubard() -> None:
    records = [
        ReviewRecord(False, stratum="high" if i < 50 else "low", weight=2 if i < 50 else 40)
        for i in range(200)
    ]
    result = estimate_prevalence(records)
    assert result.method == "korn-graubard"
    assert result.lower == 0 and 0 < result.upper_bound < result.upper < 1


def test_reviews_from_the_cases_room_as_tuples() -> None:
    reviews = [("classifier>0.9", 5.0, True), ("classifier>0.9", 5.0, False)] * 20 + [
        ("rest", 500.0, False)
    ] * 40
    result = prevalence_from_reviews(reviews)
    # weighted share: 20 violating × 5 over (40 × 5 + 40 × 500)
    assert result.estimate == pytest.approx(100 / 20_200)
    assert result.n == 80 and result.positives == 20


def test_binomial_method_on_a_weighted_sample_is_refused() -> None:
    with pytest.raises(Invalid, match="simple random sample"):
        estimate_prevalence([ReviewRecord(True, weight=1), ReviewRecord(False, weight=3)], method="wilson")


def test_reviewer_error_correction_by_rogan_gladen() -> None:
    raw = estimate_prevalence(_srs(100, 1_000))
    gold = GoldSet.from_pairs([(True, i < 90) for i in range(100)] + [(False, i >= 950) for i in range(1000)])
    assert (gold.sensitivity, gold.specificity) == (0.9, 0.95)
    corrected = correct_for_review_error(raw, gold).correction
    assert corrected is not None
    p = (0.1 + 0.95 - 1) / 0.85
    var = (0.1 * 0.9 / 1000 + p * p * 0.9 * 0.1 / 100 + (1 - p) ** 2 * 0.95 * 0.05 / 1000) / 0.85**2
    assert corrected.estimate == pytest.approx(p)
    assert corrected.se == pytest.approx(math.sqrt(var))
    assert corrected.lower == pytest.approx(p - 1.959964 * math.sqrt(var), abs=1e-6)


def test_gold_set_no_better_than_chance_is_refused() -> None:
    raw = estimate_prevalence(_srs(10, 100))
    with pytest.raises(Invalid, match="no better than chance"):
        correct_for_review_error(raw, GoldSet(5, 10, 5, 10))


def test_service_reads_gold_rows_and_flags() -> None:
    rows = [{"violating": "yes"}] * 3 + [{"violating": "no"}] * 97
    gold = (
        [{"truth": "1", "label": "1"}] * 9
        + [{"truth": "1", "label": "0"}]
        + [{"truth": "0", "label": "0"}] * 10
    )
    result = run_prevalence(rows, gold=gold)
    assert result.correction is not None and result.correction.sensitivity == 0.9


@pytest.mark.parametrize(
    "rows,message",
    [
        ([], "no rows"),
        ([{"other": 1}], "no 'violating' column"),
        ([{"violating": "maybe"}], "must be 1/0"),
        ([{"violating": 1, "weight": "heavy"}], "weight must be a number"),
        ([{"violating": 1, "weight": -2}], "weights must be"),
    ],
)
def test_bad_rows_get_clear_errors(rows: list, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        run_prevalence(rows)
