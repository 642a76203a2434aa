"""Classical closed-population capture–recapture models in Rcapture's log-linear form (Baillargeon &
Rivest 2007, JSS 19(5); R ``Rcapture::closedp.t``).

- **M0**: every list catches with the same probability: log μ_ω = β₀ + β·|ω| (the number of captures).
- **Mt**: each list has its own probability, lists independent: log μ_ω = β₀ + Σ_{j∈ω} β_j — the
  main-effects MSE model.
- **Chao's lower bound** n + f₁²/(2f₂) (Chao 1987) from the numbers caught once and twice, robust to
  heterogeneous catchability. (Rcapture's "Mh Chao (LB)" is a log-linear version; the two agree for
  frequency data such as ``ill`` but not in general.)

M0 also works from frequency-of-capture data (how many units were caught 1, 2, …, t times), where the
cell for j captures pools C(t, j) patterns (an offset of log C(t, j)).

Standard errors follow Rcapture: SE(N̂) = √(f₀ + f₀²·Var β̂₀) with f₀ = exp(β̂₀); profile intervals come
from the same multinomial profile likelihood as :meth:`MSEFit.profile_interval`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import comb, gammaln

from firstlight.errors import Invalid
from firstlight.measure._loglinear import ProfileInterval, fit_poisson, profile_interval
from firstlight.measure.mse import CaptureTable

__all__ = [
    "CLOSED_MODELS",
    "ClosedPopulationFit",
    "chao_lower_bound",
    "closed_population",
    "closed_population_from_frequencies",
]

CLOSED_MODELS: tuple[str, ...] = ("M0", "Mt")


@dataclass(frozen=True)
class ClosedPopulationFit:
    model: str
    abundance: float
    se: float
    deviance: float
    df: int
    aic: float
    bic: float
    profile: ProfileInterval | None = None


def _fit(
    model: str, X: np.ndarray, y: np.ndarray, offset: np.ndarray | None, with_profile: bool
) -> ClosedPopulationFit:
    n = float(y.sum())
    if n <= 0:
        raise Invalid("no units were captured")
    fit = fit_poisson(X, y, offset)
    f0 = math.exp(fit.params[0])
    npar = X.shape[1]
    prof = profile_interval(X, y, offset=offset, start=fit.params) if with_profile else None
    return ClosedPopulationFit(
        model=model,
        abundance=n + f0,
        se=math.sqrt(f0 + f0 * f0 * fit.cov[0, 0]),
        deviance=fit.deviance,
        df=fit.df_resid,
        aic=-2 * fit.llf + 2 * npar,
        bic=-2 * fit.llf + npar * math.log(n),
        profile=prof,
    )


def closed_population(table: CaptureTable, model: str = "Mt", *, profile: bool = True) -> ClosedPopulationFit:
    """Fit M0 or Mt to a capture-history table (one column per capture occasion or list)."""
    ones = np.ones(len(table.counts))
    if model == "M0":
        X = np.column_stack([ones, table.patterns.sum(axis=1)])
    elif model == "Mt":
        X = np.column_stack([ones, table.patterns])
    else:
        raise Invalid(f"unknown model {model!r}; choose one of {', '.join(CLOSED_MODELS)}")
    return _fit(model, X.astype(float), table.counts.astype(float), None, profile)


def closed_population_from_frequencies(
    frequencies: Sequence[float], *, occasions: int | None = None, profile: bool = True
) -> ClosedPopulationFit:
    """M0 from frequency-of-capture data: ``frequencies[j-1]`` units were caught exactly j times.

    With ``occasions`` = t the cell for j captures pools C(t, j) patterns (offset log C(t, j)). Without it
    the number of occasions is unbounded and M0 becomes the zero-truncated Poisson model (offset −log j!;
    Rcapture ``closedp.0(..., t = Inf)``; van der Heijden et al. 2003).
    """
    f = np.asarray(frequencies, dtype=float)
    if f.ndim != 1 or len(f) < 2:
        raise Invalid("give the numbers caught 1, 2, … times (at least two values)")
    if occasions is not None and len(f) > occasions:
        raise Invalid(f"{len(f)} capture frequencies but only {occasions} occasions")
    if not np.all(np.isfinite(f)) or np.any(f < 0):
        raise Invalid("frequencies must be counts, zero or more")
    if occasions is not None:
        f = np.concatenate([f, np.zeros(occasions - len(f))])
    j = np.arange(1, len(f) + 1, dtype=float)
    X = np.column_stack([np.ones(len(f)), j])
    offset = np.log(comb(occasions, j)) if occasions is not None else -gammaln(j + 1)
    return _fit("M0", X, f, offset, profile)


def chao_lower_bound(f1: float, f2: float, n: float) -> float:
    """Chao's (1987) lower bound n + f₁²/(2f₂); the bias-corrected n + f₁(f₁ − 1)/2 when f₂ = 0."""
    if f2 > 0:
        return n + f1 * f1 / (2 * f2)
    return n + f1 * (f1 - 1) / 2
