"""Multiple systems estimation against SparseMSE 2.0.1, modslavmse 2.0 and Rcapture 1.4-4
(reference_outputs/sparsemse_2.0.1_estimatepopulation0_and_rcapture_profileCI.txt and
modslavmse_2.0_Silverman2020_tables5_6.txt)."""

from __future__ import annotations

import numpy as np
import pytest

from firstlight.errors import Invalid
from firstlight.measure import CaptureTable, check_model, estimate_population, fit_model, parse_terms, run_mse


@pytest.fixture
def table(load_rows):
    def make(name: str) -> CaptureTable:
        return CaptureTable.from_records(load_rows(f"mse/{name}.csv"))

    return make


# (data, method) → (lower, point, upper) of estimatepopulation.0, Wald on the log dark figure, to 0.1
SPARSEMSE = {
    ("NewOrl", "main"): (644.9, 996.7, 1617.5),
    ("NewOrl", "stepwise"): (720.9, 1183.7, 2046.1),
    ("NewOrl_5", "main"): (658.3, 1034.2, 1708.6),
    ("NewOrl_5", "stepwise"): (658.3, 1034.2, 1708.6),
    ("UKdat", "main"): (10988.8, 12214.0, 13621.3),
    ("UKdat", "stepwise"): (9977.3, 11418.0, 13145.7),
    ("UKdat_5", "main"): (11985.2, 13444.1, 15133.4),
    ("UKdat_5", "stepwise"): (9884.4, 11313.0, 13027.4),
    ("Ned", "main"): (48523.9, 52823.5, 57581.9),
    ("Ned", "stepwise"): (92439.9, 111139.4, 133991.5),
    ("Ned_5", "main"): (48594.5, 52923.9, 57717.7),
    ("Ned_5", "stepwise"): (98675.4, 121521.6, 150138.9),
}


@pytest.mark.parametrize("name,method", sorted(SPARSEMSE))
def test_estimates_and_wald_intervals_match_sparsemse(table, name: str, method: str) -> None:
    fit = estimate_population(table(name), method=method)
    lower, upper = fit.wald_interval(0.95)
    assert (round(lower, 1), round(fit.estimate, 1), round(upper, 1)) == SPARSEMSE[name, method]


def test_uk_six_lists_headline(table) -> None:
    """11,418 [9,977, 13,146]; the model of Silverman (2014) for the Home Office."""
    fit = estimate_population(table("UKdat"))
    assert fit.table.n == 2744
    assert round(fit.estimate) == 11418
    assert [round(x) for x in fit.wald_interval()] == [9977, 13146]
    assert set(fit.term_names) == {"PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO"}
    assert [s.term for s in fit.steps][:2] == ["PF:NCA", "LA:NG"]
    assert all(s.p_value < 0.02 for s in fit.steps)
    # Rcapture's closedpCI.t on the same model: deviance 22.99392 on 49 df, AIC 162.6591
    assert fit.deviance == pytest.approx(22.99392, abs=5e-6)
    assert fit.df_resid == 49
    assert fit.aic == pytest.approx(162.6591, abs=5e-5)
    assert fit.bic == pytest.approx(245.4995, abs=5e-5)
    assert fit.se == pytest.approx(809.2235, abs=5e-4)


@pytest.mark.parametrize(
    "name,mode,lower,upper",
    [("UKdat", 11408.92, 9982.256, 13181.687), ("UKdat_5", 11303.87, 9889.196, 13063.096)],
)
def test_profile_intervals_match_rcapture(table, name: str, mode: float, lower: float, upper: float) -> None:
    prof = estimate_population(table(name)).profile_interval(0.95)
    assert prof.mode == pytest.approx(mode, abs=0.01)
    assert prof.lower == pytest.approx(lower, abs=0.001)
    assert prof.upper == pytest.approx(upper, abs=0.001)


def test_uk_five_lists_headline(table) -> None:
    fit = estimate_population(table("UKdat_5"))
    assert round(fit.estimate) == 11313
    assert [round(x) for x in fit.wald_interval()] == [9884, 13027]
    assert fit.deviance == pytest.approx(16.35138, abs=5e-6) and fit.df_resid == 19


def test_new_orleans_stepwise_and_main_effects(table) -> None:
    data = table("NewOrl")
    assert data.n == 185  # the SparseMSE 2.0.1 version (MultipleSystemsEstimation 1.2.0 has 186)
    step = estimate_population(data)
    assert step.term_names == ("D:E",)
    assert round(step.estimate, 1) == 1183.7
    main = estimate_population(data, method="main")
    assert round(main.estimate, 1) == 996.7
    assert [round(x, 1) for x in main.wald_interval()] == [644.9, 1617.5]


def test_modslavmse_uk_four_lists(table) -> None:
    """Silverman (2020) Table 5, UK four lists, AIC 5%: 11.0 thousand; main effects 10.7."""
    data = table("UKdat_4")
    assert round(estimate_population(data).estimate / 1000, 1) == 11.0
    assert round(estimate_population(data, method="main").estimate / 1000, 1) == 10.7


def test_zero_cells_are_restored(table) -> None:
    data = table("NewOrl")
    assert len(data.counts) == 2**8 - 1
    assert int((data.counts > 0).sum()) == 19
    assert data.n == 185


def test_existence_and_identifiability_checks_on_artificial_3(table) -> None:
    """Chan, Silverman & Vincent (2021) Table 2: [12,13,23] not identifiable, [12,3] no MLE, [13,23] fine."""
    data = table("Artificial_3")
    assert check_model(data, parse_terms(data, "A:B,A:C,B:C")).code == 2
    assert check_model(data, parse_terms(data, "A:B")).code == 1
    assert check_model(data, parse_terms(data, "A:C,B:C")).ok


def test_a_term_for_lists_that_never_overlap_is_a_structural_zero(table) -> None:
    data = table("NewOrl")
    a_b = parse_terms(data, "A:B")
    assert data.counts[(data.patterns[:, 0] == 1) & (data.patterns[:, 1] == 1)].sum() == 0
    fit = fit_model(data, a_b)
    assert fit.empty_overlaps == a_b
    both = (data.patterns[:, 0] == 1) & (data.patterns[:, 1] == 1)
    assert np.all(fit.fitted[both] == 0) and np.all(fit.fitted[~both] > 0)
    assert "A:B" not in fit.coefficients
    # the −∞ parameter still counts: 1 + 8 main effects + 1 = 10 parameters, as SparseMSE's AIC
    assert fit.aic - 2 * 10 == pytest.approx(fit.bic - 10 * np.log(185))


def test_fixed_model_by_names_through_the_service(load_rows) -> None:
    report = run_mse(
        load_rows("mse/UKdat.csv"),
        method="fixed",
        terms="PF:NCA,LA:NG,NG:GP,LA:PF,PF:GP,GO:GP,NG:GO",
        profile=False,
    )
    assert round(report.fit.estimate) == 11418
    data = report.to_dict()
    assert data["observed"] == 2744 and len(data["patterns"]) == 25
    assert data["profile"] is None and data["bootstrap"] is None


def test_one_row_per_case_without_a_count_column() -> None:
    rows = [{"A": 1, "B": 0}] * 30 + [{"A": 0, "B": 1}] * 20 + [{"A": 1, "B": 1}] * 10
    fit = run_mse(rows, method="main").fit
    # two lists, main effects: Lincoln–Petersen, N = n₁·n₂/m = 40·30/10
    assert fit.estimate == pytest.approx(120.0)


@pytest.mark.parametrize(
    "rows,message",
    [
        ([{"A": 1, "count": 3}], "at least two lists"),
        ([{"A": 2, "B": 0, "count": 3}], "0 or 1"),
        ([{"A": 1, "B": 0, "count": -3}], "whole numbers"),
        ([{"A": 1, "B": 0, "count": 2.5}], "whole numbers"),
        ([{"A": 0, "B": 0, "count": 4}], "dark figure"),
        ([{"A": 1, "B": 0, "count": "lots"}], "row 1"),
        ([{"A": 1, "B": 0, "n": 3}, {"A": 1, "n": 2}], "row 2: no value for column 'B'"),
        ([{f"L{i}": 1 for i in range(13)} | {"count": 1}], "at most 12 lists"),
    ],
)
def test_bad_tables_get_clear_errors(rows: list, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        run_mse(rows)


def test_bad_terms_and_methods_are_refused() -> None:
    rows = [{"A": 1, "B": 0, "C": 0, "n": 5}, {"A": 1, "B": 1, "C": 0, "n": 2}]
    with pytest.raises(Invalid, match="must name two lists"):
        run_mse(rows, method="fixed", terms="A:Z")
    with pytest.raises(Invalid, match="only used with method 'fixed'"):
        run_mse(rows, terms="A:B")
    with pytest.raises(Invalid, match="unknown MSE method"):
        run_mse(rows, method="bayes")
    with pytest.raises(Invalid, match="pthresh"):
        run_mse(rows, pthresh=2)


def test_stepwise_with_pthresh_zero_is_main_effects(table) -> None:
    data = table("UKdat")
    assert estimate_population(data, pthresh=0).estimate == pytest.approx(
        estimate_population(data, method="main").estimate
    )
    assert np.isclose(estimate_population(data, pthresh=0).estimate, 12214.0, atol=0.05)
