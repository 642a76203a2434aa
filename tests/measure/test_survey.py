"""Design-based estimates against R survey 4.1.1 on the api data (reference_outputs/R_survey_…)."""

from __future__ import annotations

import numpy as np
import pytest

from firstlight.errors import Invalid
from firstlight.measure import SurveyDesign, design_interval, design_mean, design_total


@pytest.fixture
def apistrat(load_rows):
    rows = load_rows("survey_api/apistrat.csv")
    design = SurveyDesign.build(
        len(rows),
        weights=[float(r["pw"]) for r in rows],
        strata=[r["stype"] for r in rows],
        fpc=[float(r["fpc"]) for r in rows],
    )
    return rows, design


@pytest.fixture
def apiclus1(load_rows):
    rows = load_rows("survey_api/apiclus1.csv")
    design = SurveyDesign.build(
        len(rows),
        weights=[float(r["pw"]) for r in rows],
        clusters=[r["dnum"] for r in rows],
        fpc=[float(r["fpc"]) for r in rows],
    )
    return rows, design


def _no(rows) -> np.ndarray:
    return np.array([r["sch.wide"] == "No" for r in rows], dtype=float)


def test_stratified_proportion_matches_survey(apistrat) -> None:
    rows, design = apistrat
    est = design_mean(_no(rows), design)
    assert est.estimate == pytest.approx(0.172052, abs=5e-7)
    assert est.se == pytest.approx(0.02434478, abs=5e-9)
    assert est.df == 197
    assert design_interval(est, design, method="logit") == pytest.approx((0.1291851, 0.2254603), abs=5e-8)
    assert design_interval(est, design, method="korn-graubard") == pytest.approx(
        (0.1265684, 0.2258287), abs=5e-8
    )
    assert design_interval(est, design, method="wald") == pytest.approx((0.1240422, 0.2200618), abs=5e-8)


def test_stratified_mean_and_total_match_survey(apistrat) -> None:
    rows, design = apistrat
    mean = design_mean([float(r["api00"]) for r in rows], design)
    assert (round(mean.estimate, 2), round(mean.se, 4)) == (662.29, 9.4089)
    total = design_total([float(r["enroll"]) for r in rows], design)
    assert (round(total.estimate), round(total.se)) == (3687178, 114642)


def test_cluster_sample_matches_survey(apiclus1) -> None:
    rows, design = apiclus1
    mean = design_mean([float(r["api00"]) for r in rows], design)
    assert (round(mean.estimate, 2), round(mean.se, 3)) == (644.17, 23.542)
    assert design.df == 14
    est = design_mean(_no(rows), design)
    assert est.estimate == pytest.approx(0.1256831, abs=5e-8)
    assert design_interval(est, design, method="logit") == pytest.approx((0.08809992, 0.1762011), abs=5e-8)
    assert design_interval(est, design, method="korn-graubard") == pytest.approx(
        (0.08529551, 0.1762978), abs=5e-8
    )
    assert design_interval(est, design, method="wald") == pytest.approx((0.08201632, 0.1693498), abs=5e-8)


def test_fpc_may_be_a_sampling_fraction(apistrat) -> None:
    rows, design = apistrat
    counts = {s: sum(r["stype"] == s for r in rows) for s in {r["stype"] for r in rows}}
    as_fraction = SurveyDesign.build(
        len(rows),
        weights=[float(r["pw"]) for r in rows],
        strata=[r["stype"] for r in rows],
        fpc=[counts[r["stype"]] / float(r["fpc"]) for r in rows],
    )
    assert design_mean(_no(rows), as_fraction).se == pytest.approx(design_mean(_no(rows), design).se)


def test_simple_random_sample_gives_the_textbook_variance() -> None:
    y = np.array([1, 0, 0, 1, 0, 0, 0, 0, 1, 0], dtype=float)
    est = design_mean(y, SurveyDesign.build(len(y)))
    assert est.se == pytest.approx(np.sqrt(y.var(ddof=1) / len(y)))
    assert SurveyDesign.build(len(y)).is_simple


def test_a_stratum_with_one_unit_is_refused() -> None:
    design = SurveyDesign.build(3, strata=["a", "a", "b"])
    with pytest.raises(Invalid, match="single sampled unit"):
        design_mean([1, 0, 1], design)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"weights": [1, 0, 2]}, "weights"),
        ({"weights": [1, float("nan"), 2]}, "weights"),
        ({"fpc": [10, 10, 0]}, "fpc"),
        ({"fpc": [10, 20, 10]}, "fpc differs"),
        ({"fpc": [2, 2, 2]}, "population of only"),
    ],
)
def test_bad_designs_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        SurveyDesign.build(3, **kwargs)


def test_logit_interval_needs_something_found() -> None:
    design = SurveyDesign.build(4)
    est = design_mean([0, 0, 0, 0], design)
    with pytest.raises(Invalid, match="korn-graubard"):
        design_interval(est, design, method="logit")
    lo, hi = design_interval(est, design, method="korn-graubard")
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 4))
