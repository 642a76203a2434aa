"""Impact: reduction between waves with delta-method and cluster-bootstrap intervals, and DiD."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firstlight.errors import Invalid
from firstlight.measure import Observation, estimate_impact, run_impact


def _wave(area: str, wave: str, found: int, n: int) -> list[Observation]:
    return [Observation(wave, 1.0 if i < found else 0.0, area) for i in range(n)]


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / (n - 1))


def test_reduction_with_delta_method_interval() -> None:
    obs = _wave("city", "before", 40, 200) + _wave("city", "after", 10, 200)
    result = estimate_impact(obs, nboot=0)
    assert (result.before, result.after, result.area) == ("before", "after", "city")
    assert result.reduction.estimate == pytest.approx(0.75)
    sd = math.sqrt((_se(0.2, 200) / 0.2) ** 2 + (_se(0.05, 200) / 0.05) ** 2)
    assert result.reduction.lower == pytest.approx(1 - 0.25 * math.exp(1.959964 * sd), abs=1e-6)
    assert result.reduction.upper == pytest.approx(1 - 0.25 * math.exp(-1.959964 * sd), abs=1e-6)
    assert result.did is None and "no comparison area" in result.notes[0]


def test_bootstrap_agrees_with_the_delta_method_on_a_large_sample() -> None:
    obs = _wave("city", "before", 400, 2000) + _wave("city", "after", 100, 2000)
    r = estimate_impact(obs, nboot=2000, seed=7).reduction
    assert r.boot_lower == pytest.approx(r.lower, abs=0.01)
    assert r.boot_upper == pytest.approx(r.upper, abs=0.01)


def _clustered(rng: np.random.Generator, wave: str, area: str, p: float) -> list[Observation]:
    out = []
    for zone in ("north", "south"):
        for venue in range(15):
            share = rng.beta(2, 2 / p - 2)  # venues differ: intra-cluster correlation
            for _ in range(int(rng.integers(5, 30))):
                out.append(Observation(wave, float(rng.random() < share), area, f"v{venue}", zone, 1.0))
    return out


def test_cluster_bootstrap_tracks_the_linearised_variance() -> None:
    rng = np.random.default_rng(3)
    obs = _clustered(rng, "1", "city", 0.3) + _clustered(rng, "2", "city", 0.1)
    result = estimate_impact(obs, nboot=4000, seed=11)
    r = result.reduction
    assert {w.clusters for w in result.waves} == {30}
    # both intervals come from the same design variance; they agree to Monte Carlo and skew error
    assert r.boot_lower == pytest.approx(r.lower, abs=0.04)
    assert r.boot_upper == pytest.approx(r.upper, abs=0.02)
    # clustering widens the interval against treating people as independent
    flat = [Observation(o.wave, o.y, o.area) for o in obs]
    f = estimate_impact(flat, nboot=0).reduction
    assert (r.upper - r.lower) > (f.upper - f.lower)


def test_difference_in_differences_with_a_comparison_area() -> None:
    obs = (
        _wave("intervention", "pre", 40, 200)
        + _wave("intervention", "post", 10, 200)
        + _wave("comparison", "pre", 40, 200)
        + _wave("comparison", "post", 30, 200)
    )
    result = estimate_impact(obs, nboot=500)
    assert result.before == "pre" and result.area == "intervention"
    did = result.did
    assert did is not None and did.comparison_area == "comparison"
    assert did.reduction.estimate == pytest.approx(1 - (0.05 / 0.2) / (0.15 / 0.2))
    assert did.difference.estimate == pytest.approx((0.05 - 0.2) - (0.15 - 0.2))
    assert did.reduction.lower < did.reduction.estimate < did.reduction.upper
    assert did.difference.boot_lower < did.difference.estimate < did.difference.boot_upper


def test_service_reads_rows_and_orders_numeric_waves() -> None:
    rows = [{"wave": "2", "y": "0"}] * 90 + [{"wave": "2", "y": "1"}] * 10
    rows += [{"wave": "1", "y": "yes"}] * 30 + [{"wave": "1", "y": "no"}] * 70
    result = run_impact(rows, nboot=0)
    assert (result.before, result.after) == ("1", "2")
    assert result.reduction.estimate == pytest.approx(1 - 0.1 / 0.3)


@pytest.mark.parametrize(
    "obs,kwargs,message",
    [
        (_wave("a", "x", 1, 5), {}, "exactly two waves"),
        (_wave("a", "autumn", 1, 5) + _wave("a", "spring", 1, 5), {}, "which wave came first"),
        (_wave("a", "before", 0, 5) + _wave("a", "after", 1, 5), {}, "nothing was found"),
        (_wave("a", "before", 1, 5) + _wave("a", "after", 1, 5), {"before": "then"}, "not in the data"),
        (_wave("a", "before", 1, 5) + _wave("b", "after", 1, 5), {"area": "a"}, "no observations"),
        (_wave("a", "before", 1, 5) + _wave("b", "after", 1, 5), {}, "say which one"),
    ],
)
def test_bad_impact_inputs_are_refused(obs: list, kwargs: dict, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        estimate_impact(obs, nboot=0, **kwargs)


def test_nothing_found_after_is_a_full_reduction_without_a_delta_interval() -> None:
    obs = _wave("a", "before", 10, 100) + _wave("a", "after", 0, 100)
    result = estimate_impact(obs, nboot=0)
    assert result.reduction.estimate == 1.0
    assert math.isnan(result.reduction.lower)
