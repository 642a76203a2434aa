"""Binomial intervals against statsmodels and the published check values."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from firstlight.errors import Invalid
from firstlight.measure import binomial_interval, binomial_upper_bound

CASES = [(0, 1), (0, 20), (1, 29), (15, 148), (81, 263), (5, 10_000), (16, 10_000), (50, 50), (7, 9)]
STATSMODELS = {"wilson": "wilson", "clopper-pearson": "beta", "jeffreys": "jeffreys"}


@pytest.mark.parametrize("x,n", CASES)
@pytest.mark.parametrize("method", sorted(STATSMODELS))
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_interval_matches_statsmodels(x: int, n: int, method: str, level: float) -> None:
    ours = binomial_interval(x, n, method=method, level=level)  # type: ignore[arg-type]
    theirs = list(proportion_confint(x, n, alpha=1 - level, method=STATSMODELS[method]))
    if method == "jeffreys":  # Brown, Cai & DasGupta's boundary rule, which statsmodels leaves out
        theirs[0] = 0.0 if x == 0 else theirs[0]
        theirs[1] = 1.0 if x == n else theirs[1]
    assert ours == pytest.approx(tuple(theirs), abs=1e-10)


@pytest.mark.parametrize(
    "x,n,wilson,cp",
    [
        (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
        (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
        (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
        (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
    ],
)
def test_newcombe_check_values(x: int, n: int, wilson: tuple, cp: tuple) -> None:
    assert binomial_interval(x, n, method="wilson") == pytest.approx(wilson, abs=5e-5)
    assert binomial_interval(x, n, method="clopper-pearson") == pytest.approx(cp, abs=5e-5)


def test_platform_scale_examples() -> None:
    lo, hi = binomial_interval(5, 10_000, method="wilson")
    assert (lo * 100, hi * 100) == pytest.approx((0.0214, 0.1170), abs=5e-5)
    lo, hi = binomial_interval(5, 10_000, method="clopper-pearson")
    assert (lo * 100, hi * 100) == pytest.approx((0.0162, 0.1166), abs=5e-5)
    assert binomial_upper_bound(0, 10_000, level=0.975) * 100 == pytest.approx(0.0369, abs=5e-5)


def test_upper_bound_with_nothing_found_follows_the_rule_of_three() -> None:
    bound = binomial_upper_bound(0, 3_000)
    assert bound == pytest.approx(1 - 0.05 ** (1 / 3_000))
    assert bound == pytest.approx(3 / 3_000, rel=0.01)


def test_upper_bound_equals_one_sided_clopper_pearson() -> None:
    # a one-sided 95% bound is the upper end of a two-sided 90% Clopper–Pearson interval
    assert binomial_upper_bound(4, 500) == pytest.approx(
        binomial_interval(4, 500, method="clopper-pearson", level=0.90)[1]
    )


@pytest.mark.parametrize(
    "x,n,level", [(1, 0, 0.95), (-1, 10, 0.95), (11, 10, 0.95), (1, 10, 1.0), (1, 10, 0.0)]
)
def test_bad_counts_or_levels_are_refused(x: int, n: int, level: float) -> None:
    with pytest.raises(Invalid):
        binomial_interval(x, n, level=level)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(Invalid, match="unknown interval method"):
        binomial_interval(1, 10, method="wald")  # type: ignore[arg-type]
