"""BCa bootstrap: the interval arithmetic exactly, and the MSE bootstrap against SparseMSE 2.0.1 within a
Monte Carlo tolerance (reference_outputs/sparsemse_2.0.1_BCa_nboot1000_iseed1234.txt). numpy's random
stream differs from R's, so only the deterministic parts (point estimate, jackknife acceleration) can be
compared exactly; the full 1,000-replicate run is ``benchmarks/bench_mse_bca.py``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from firstlight.errors import Invalid
from firstlight.measure import CaptureTable, bca_quantiles, mse_bootstrap, run_mse


def test_bca_without_bias_or_acceleration_is_the_percentile_interval() -> None:
    reps = np.random.default_rng(0).normal(size=20_001)
    limits, z0 = bca_quantiles(reps, float(np.median(reps)), 0.0, [0.025, 0.975])
    assert z0 == pytest.approx(0.0, abs=1e-3)
    assert limits == pytest.approx(np.quantile(reps, [0.025, 0.975], method="median_unbiased"), abs=1e-3)


def test_bca_shifts_the_percentiles_by_the_bias_correction() -> None:
    reps = np.arange(1, 1001, dtype=float)
    estimate = 250.5  # a quarter of the replicates fall below it
    limits, z0 = bca_quantiles(reps, estimate, 0.0, [0.5])
    assert z0 == pytest.approx(stats.norm.ppf(0.25))
    assert limits[0] == pytest.approx(np.quantile(reps, stats.norm.cdf(2 * z0), method="median_unbiased"))


def test_an_estimate_outside_the_replicates_gives_the_extremes_not_nan() -> None:
    limits, _ = bca_quantiles(np.arange(10.0), 100.0, 0.0, [0.025, 0.975])
    assert np.all(np.isfinite(limits))


@pytest.fixture
def new_orleans_5(load_rows) -> CaptureTable:
    return CaptureTable.from_records(load_rows("mse/NewOrl_5.csv"))


def test_new_orleans_five_lists_within_monte_carlo_tolerance(new_orleans_5) -> None:
    """SparseMSE (nboot 1000, R seed 1234): 1034.151, BCa (588.8, 1703.7). With 300 replicates the limits
    of this run vary by about ±50 (lower) and ±100 (upper) across seeds; the tolerance is about 3 SD."""
    result = mse_bootstrap(new_orleans_5, nboot=300, seed=1234)
    assert result.estimate == pytest.approx(1034.151, abs=5e-4)
    assert result.acceleration == pytest.approx(-0.05516147, abs=5e-9)  # the jackknife is deterministic
    assert result.lower == pytest.approx(588.8, rel=0.25)
    assert result.upper == pytest.approx(1703.7, rel=0.20)
    assert result.failed == 0 and len(result.replicates) == 300
    # model selection is repeated in each replicate: the distribution is skewed far above the estimate
    assert np.mean(result.replicates < result.estimate) < 0.4


def test_new_orleans_eight_lists_small_run(load_rows) -> None:
    """SparseMSE: 1183.692, BCa (717.2, 1657.6) with 1,000 replicates; 18 of 28 list pairs never overlap."""
    table = CaptureTable.from_records(load_rows("mse/NewOrl.csv"))
    result = mse_bootstrap(table, nboot=100, seed=1234)
    assert result.estimate == pytest.approx(1183.692, abs=5e-4)
    assert result.acceleration == pytest.approx(-0.02933242, abs=5e-8)
    assert 400 < result.lower < result.estimate < result.upper < 2600
    # replicates 29 and 93 of this stream once failed when a warm-started fit overshot
    assert result.failed == 0


def test_same_seed_same_interval(new_orleans_5) -> None:
    a = mse_bootstrap(new_orleans_5, nboot=40, seed=5)
    b = mse_bootstrap(new_orleans_5, nboot=40, seed=5)
    assert (a.lower, a.upper) == (b.lower, b.upper)
    assert np.array_equal(a.replicates, b.replicates)


def test_bootstrap_through_the_service(load_rows) -> None:
    report = run_mse(load_rows("mse/NewOrl_5.csv"), nboot=30, seed=1, profile=False)
    assert report.bootstrap is not None
    assert report.to_dict()["bootstrap"]["nboot"] == 30


def test_bad_bootstrap_settings_are_refused(new_orleans_5) -> None:
    with pytest.raises(Invalid, match="nboot"):
        mse_bootstrap(new_orleans_5, nboot=0)
    with pytest.raises(Invalid, match="level"):
        mse_bootstrap(new_orleans_5, nboot=10, level=1.5)
