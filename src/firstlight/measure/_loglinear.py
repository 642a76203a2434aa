"""Poisson log-linear fits of capture tables, and the profile-likelihood interval for the population size.

Shared by :mod:`firstlight.measure.mse` and :mod:`firstlight.measure.rcapture`. The design matrix ``X``
always has the intercept in column 0, so the unobserved cell (no capture) has fitted count exp(β₀).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import optimize, stats
from scipy.special import gammaln

from firstlight.errors import Invalid

__all__ = ["PoissonFit", "ProfileInterval", "fit_poisson", "profile_interval"]

_POISSON = sm.families.Poisson()


@dataclass(frozen=True, eq=False)
class PoissonFit:
    params: np.ndarray
    cov: np.ndarray
    fitted: np.ndarray
    deviance: float
    llf: float
    df_resid: int
    converged: bool


def fit_poisson(
    X: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None, start: np.ndarray | None = None
) -> PoissonFit:
    """Maximum-likelihood Poisson GLM with log link (statsmodels IRLS).

    ``start`` only saves iterations: the log-likelihood is concave, so a converged warm start finds the
    same maximum. When a warm start overshoots (a new term's true value is far from 0) the fit is redone
    from statsmodels' own starting values.
    """
    if start is not None:
        try:
            fit = _irls(X, y, offset, start)
            if fit.converged:
                return fit
        except Invalid:
            pass
    return _irls(X, y, offset, None)


def _irls(X: np.ndarray, y: np.ndarray, offset: np.ndarray | None, start: np.ndarray | None) -> PoissonFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IRLS warns on near-boundary fits; convergence is reported
        try:
            res = sm.GLM(y, X, family=_POISSON, offset=offset).fit(start_params=start)
        except (np.linalg.LinAlgError, ValueError) as exc:  # singular design or overflow
            raise Invalid(f"the log-linear model could not be fitted: {exc}") from exc
    params = np.asarray(res.params)
    if not np.all(np.isfinite(params)):
        raise Invalid("the log-linear model did not converge (estimates are infinite)")
    return PoissonFit(
        params=params,
        cov=np.asarray(res.cov_params()),
        fitted=np.asarray(res.fittedvalues),
        deviance=float(res.deviance),
        llf=float(res.llf),
        df_resid=int(round(res.df_resid)),
        converged=bool(res.converged),
    )


@dataclass(frozen=True)
class ProfileInterval:
    """Profile-likelihood interval for N; ``mode`` is the maximiser of the multinomial profile."""

    mode: float
    lower: float
    upper: float
    level: float


def _complete(X: np.ndarray, offset: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    zero_row = np.zeros((1, X.shape[1]))
    zero_row[0, 0] = 1.0
    X0 = np.vstack([X, zero_row])
    off0 = None if offset is None else np.append(offset, 0.0)
    return X0, off0


def profile_interval(
    X: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    level: float = 0.95,
) -> ProfileInterval:
    """Cormack's (1992) profile-likelihood interval for the population size N, as Rcapture's
    ``closedpCI.t`` computes it.

    For a trial N the unobserved cell gets count N − n and the model is refitted to the complete table;
    the profile log-likelihood is the multinomial one, log N!/(N − n)! + Σ y log(μ/N) + (N − n) log(μ₀/N).
    The interval is every N within χ²₁(level)/2 of the maximum.
    """
    n = float(y.sum())
    X0, off0 = _complete(X, offset)
    fit = fit_poisson(X, y, offset, start)
    params = fit.params

    def loglik(N: float) -> float:
        y0 = np.append(y, N - n)
        mu = fit_poisson(X0, y0, off0, params).fitted
        positive = y0 > 0
        return float(
            gammaln(N + 1) - gammaln(N - n + 1) + np.sum(y0[positive] * np.log(mu[positive] / mu.sum()))
        )

    n_hat = n + math.exp(params[0])
    lo_b, hi_b = n + 1e-6, max(n_hat * 50, n + 100)
    res = optimize.minimize_scalar(
        lambda N: -loglik(N),
        bounds=(lo_b, min(hi_b, n_hat * 3 + 10)),
        method="bounded",
        options={"xatol": 1e-6 * n_hat},
    )
    mode, top = float(res.x), -float(res.fun)
    cut = float(stats.chi2.ppf(level, 1)) / 2

    def gap(N: float) -> float:
        return top - loglik(N) - cut

    lower = lo_b if gap(lo_b) <= 0 else optimize.brentq(gap, lo_b, mode, xtol=1e-8 * n_hat)
    upper_end = mode * 2
    while gap(upper_end) < 0:
        if upper_end > hi_b:
            return ProfileInterval(mode, float(lower), math.inf, level)
        upper_end *= 2
    upper = optimize.brentq(gap, mode, upper_end, xtol=1e-8 * n_hat)
    return ProfileInterval(mode, float(lower), float(upper), level)
