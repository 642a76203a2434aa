"""Closed-population models against Rcapture 1.4-4 (reference_outputs/Rcapture_1.4-4_HIV_lesbian_ill.txt)."""

from __future__ import annotations

import pytest

from firstlight.errors import Invalid
from firstlight.measure import (
    CaptureTable,
    chao_lower_bound,
    closed_population,
    closed_population_from_frequencies,
)

# model → (abundance, stderr, deviance, df, AIC, BIC) as printed by closedp.t
HIV = {
    "M0": (11576.700, 946.06812, 297.81917, 13, 368.85503, 379.9500),
    "Mt": (11124.578, 904.75198, 13.02614, 10, 90.06200, 117.7995),
}
LESBIAN = {
    "M0": (3829.197, 99.40288, 477.24880, 13, 573.6014, 584.9802),
    "Mt": (3738.469, 95.24629, 174.80923, 10, 277.1619, 305.6087),
}


def _check(fit, expected) -> None:
    abundance, se, deviance, df, aic, bic = expected
    assert fit.abundance == pytest.approx(abundance, abs=1e-3)
    assert fit.se == pytest.approx(se, rel=1e-6)  # Rcapture stops IRLS a little earlier
    assert fit.deviance == pytest.approx(deviance, abs=1e-4)
    assert fit.df == df
    assert fit.aic == pytest.approx(aic, abs=1e-4)
    assert fit.bic == pytest.approx(bic, abs=1e-4)


@pytest.mark.parametrize("model", ["M0", "Mt"])
def test_hiv(load_rows, model: str) -> None:
    table = CaptureTable.from_records(load_rows("rcapture/HIV.csv"))
    _check(closed_population(table, model, profile=False), HIV[model])


@pytest.mark.parametrize("model", ["M0", "Mt"])
def test_lesbian(load_rows, model: str) -> None:
    table = CaptureTable.from_records(load_rows("rcapture/lesbian.csv"))
    _check(closed_population(table, model, profile=False), LESBIAN[model])


@pytest.mark.parametrize(
    "data,mode,lower,upper",
    [("HIV", 11117.02, 9531.736, 13114.12), ("lesbian", 3736.762, 3559.359, 3933.211)],
)
def test_mt_profile_intervals(load_rows, data: str, mode: float, lower: float, upper: float) -> None:
    table = CaptureTable.from_records(load_rows(f"rcapture/{data}.csv"))
    prof = closed_population(table, "Mt").profile
    assert prof is not None
    assert (prof.mode, prof.lower, prof.upper) == pytest.approx((mode, lower, upper), abs=1e-2)


def test_ill_frequencies_zero_truncated_poisson_and_chao(load_rows) -> None:
    freqs = [float(r["freq"]) for r in load_rows("rcapture/ill.csv")]
    fit = closed_population_from_frequencies(freqs, profile=False)
    _check(fit, (7079.897, 365.7532, 61.810785, 4, 95.97148, 107.04953))
    assert chao_lower_bound(freqs[0], freqs[1], sum(freqs)) == pytest.approx(9273.511, abs=1e-3)


def test_m0_on_frequencies_equals_m0_on_the_full_table(load_rows) -> None:
    table = CaptureTable.from_records(load_rows("rcapture/HIV.csv"))
    by_captures = [int(table.counts[table.patterns.sum(axis=1) == j].sum()) for j in range(1, 5)]
    from_freq = closed_population_from_frequencies(by_captures, occasions=4, profile=False)
    assert from_freq.abundance == pytest.approx(closed_population(table, "M0", profile=False).abundance)


def test_unknown_model_and_bad_frequencies_are_refused(load_rows) -> None:
    table = CaptureTable.from_records(load_rows("rcapture/HIV.csv"))
    with pytest.raises(Invalid, match="unknown model"):
        closed_population(table, "Mh")
    with pytest.raises(Invalid):
        closed_population_from_frequencies([10, -1, 2])
    with pytest.raises(Invalid, match="occasions"):
        closed_population_from_frequencies([10, 5, 2], occasions=2)
