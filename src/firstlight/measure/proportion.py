"""Confidence intervals for a binomial proportion x/n from a simple random sample.

Three two-sided intervals that behave well for the rare events a platform measures, plus the one-sided
upper bound that transparency reports quote when a sample finds nothing ("no more than 5 of every 10,000
views"). Wald (p ± z·se) is deliberately absent: it collapses to [0, 0] when x = 0 and undercovers badly
for small x (Brown, Cai & DasGupta 2001).

- Wilson (1927): the score interval; good average coverage, never outside [0, 1].
- Clopper–Pearson (1934): inverts two one-sided binomial tests; conservative ("exact").
- Jeffreys: equal-tailed Beta(x + ½, n − x + ½) posterior interval; close to nominal on average.

The formulas are written out here (not delegated) so the tests can check them against statsmodels'
``proportion_confint`` and the published check values.
"""

from __future__ import annotations

import math
from typing import Literal

from scipy import stats

from firstlight.errors import Invalid

__all__ = [
    "BINOMIAL_METHODS",
    "BinomialMethod",
    "binomial_interval",
    "binomial_upper_bound",
]

BinomialMethod = Literal["wilson", "clopper-pearson", "jeffreys"]
BINOMIAL_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson", "jeffreys")


def _check(x: float, n: float, level: float) -> None:
    if not (0 < level < 1):
        raise Invalid(f"confidence level must be between 0 and 1, got {level}")
    if n <= 0:
        raise Invalid("the sample is empty: nothing was reviewed")
    if x < 0 or x > n:
        raise Invalid(f"found count {x} must lie between 0 and the sample size {n}")


def binomial_interval(
    x: float, n: float, *, method: BinomialMethod = "wilson", level: float = 0.95
) -> tuple[float, float]:
    """Two-sided ``level`` interval for the proportion x/n.

    ``x`` and ``n`` may be non-integer (an effective count, as in the Korn–Graubard interval).
    """
    _check(x, n, level)
    alpha = 1.0 - level
    if method == "wilson":
        z = stats.norm.ppf(1 - alpha / 2)
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        return max(0.0, centre - half), min(1.0, centre + half)
    if method == "clopper-pearson":
        lower = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
        upper = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
        return lower, upper
    if method == "jeffreys":
        lower = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5))
        upper = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 0.5, n - x + 0.5))
        return lower, upper
    raise Invalid(f"unknown interval method {method!r}; choose one of {', '.join(BINOMIAL_METHODS)}")


def binomial_upper_bound(x: float, n: float, *, level: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound: the true proportion is at most this with ``level`` confidence.

    With nothing found (x = 0) it is 1 − (1 − level)^(1/n), about 3/n at 95% (the "rule of three").
    """
    _check(x, n, level)
    if x >= n:
        return 1.0
    if x == 0:
        return 1.0 - (1.0 - level) ** (1.0 / n)
    return float(stats.beta.ppf(level, x + 1, n - x))
