"""Bias-corrected and accelerated (BCa) bootstrap intervals, and the MSE bootstrap that repeats the model
choice in every replicate (Chan, Silverman & Vincent 2021, §3.3; R ``SparseMSE::estimatepopulation``).

For MSE the replicates are multinomial resamples of the n observed cases over the observed capture
patterns; each replicate is re-estimated *including the stepwise model choice*, so the interval carries
the model uncertainty that an interval conditional on one model hides. The acceleration comes from the
jackknife: delete one case from each observed pattern in turn, and weight each deletion by that
pattern's count. The BCa percentiles (Efron 1987; DiCiccio & Efron 1996) are read from the replicates
with the median-unbiased quantile rule (R ``quantile(type = 8)``).

numpy's random streams differ from R's, so replicates never match R's draw for draw: compare with the
reference intervals within a Monte Carlo tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from firstlight.errors import FirstlightError, Invalid
from firstlight.measure.mse import CaptureTable, Term, estimate_population

__all__ = ["MAX_REPLICATES", "BootstrapInterval", "bca_quantiles", "mse_bootstrap"]

MAX_REPLICATES = 100_000


def bca_quantiles(
    replicates: np.ndarray, estimate: float, acceleration: float, probs: Sequence[float]
) -> tuple[np.ndarray, float]:
    """BCa limits at each probability in ``probs`` and the bias correction z₀.

    z₀ = Φ⁻¹(share of replicates below the estimate); each nominal α becomes
    Φ(z₀ + (z₀ + z_α)/(1 − a(z₀ + z_α))). The share is kept inside [1/(2B), 1 − 1/(2B)] so that an
    estimate outside the bootstrap distribution gives the extreme replicates rather than NaN.
    """
    reps = np.asarray(replicates, dtype=float)
    b = len(reps)
    if b < 2:
        raise Invalid("the bootstrap needs at least two replicates")
    share = float(np.mean(reps < estimate))
    share = min(max(share, 1 / (2 * b)), 1 - 1 / (2 * b))
    z0 = float(stats.norm.ppf(share))
    za = stats.norm.ppf(np.asarray(probs, dtype=float))
    shifted = z0 + za
    adjusted = stats.norm.cdf(z0 + shifted / (1 - acceleration * shifted))
    return np.quantile(reps, adjusted, method="median_unbiased"), z0


def jackknife_acceleration(values: np.ndarray, weights: np.ndarray) -> float:
    """a = Σ wᵢ dᵢ³ / (6 (Σ wᵢ dᵢ²)^{3/2}) with dᵢ = θ̄ − θ₍ᵢ₎ and θ̄ the weighted mean."""
    w = np.asarray(weights, dtype=float)
    v = np.asarray(values, dtype=float)
    d = np.dot(w, v) / w.sum() - v
    denom = 6 * np.dot(w, d * d) ** 1.5
    return float(np.dot(w, d**3) / denom) if denom > 0 else 0.0


@dataclass(frozen=True, eq=False)
class BootstrapInterval:
    """A BCa bootstrap interval and what produced it."""

    estimate: float
    lower: float
    upper: float
    level: float
    nboot: int
    seed: int | None
    acceleration: float
    bias_correction: float
    failed: int
    replicates: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "nboot": self.nboot,
            "seed": self.seed,
            "acceleration": self.acceleration,
            "bias_correction": self.bias_correction,
            "failed_replicates": self.failed,
        }


def _safe(estimator: Callable[[np.ndarray], float], counts: np.ndarray) -> float:
    try:
        return estimator(counts)
    except FirstlightError:
        return math.nan


def mse_bootstrap(
    table: CaptureTable,
    *,
    method: str = "stepwise",
    terms: Sequence[Term] = (),
    pthresh: float = 0.02,
    nboot: int = 1000,
    seed: int | None = 1234,
    level: float = 0.95,
) -> BootstrapInterval:
    """BCa interval for the population size, re-choosing the model in every replicate.

    The papers use ``nboot=1000`` and ``seed=1234`` (R's stream; numpy's differs). A replicate whose
    fit fails is dropped and counted in ``failed``.
    """
    if not (1 <= nboot <= MAX_REPLICATES):
        raise Invalid(f"nboot must be between 1 and {MAX_REPLICATES:,}, got {nboot}")
    if not (0 < level < 1):
        raise Invalid(f"confidence level must be between 0 and 1, got {level}")

    def estimator(counts: np.ndarray) -> float:
        sample = table.with_counts(counts)
        return estimate_population(sample, method=method, terms=terms, pthresh=pthresh).estimate

    point = estimator(table.counts)
    observed = np.flatnonzero(table.counts)
    n = table.n
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, table.counts[observed] / n, size=nboot)
    replicates = np.empty(nboot)
    counts = np.zeros_like(table.counts)
    for b in range(nboot):
        counts[observed] = draws[b]
        replicates[b] = _safe(estimator, counts)
    jack = np.empty(len(observed))
    for i, cell in enumerate(observed):
        counts = table.counts.copy()
        counts[cell] -= 1
        jack[i] = _safe(estimator, counts)
    ok = np.isfinite(jack)
    acceleration = jackknife_acceleration(jack[ok], table.counts[observed][ok])
    good = replicates[np.isfinite(replicates)]
    alpha = 1 - level
    (lower, upper), z0 = bca_quantiles(good, point, acceleration, (alpha / 2, 1 - alpha / 2))
    return BootstrapInterval(
        estimate=point,
        lower=float(lower),
        upper=float(upper),
        level=level,
        nboot=nboot,
        seed=seed,
        acceleration=acceleration,
        bias_correction=z0,
        failed=int(nboot - len(good)),
        replicates=good,
    )
