"""Intervention impact: how much did prevalence fall between two survey waves?

Each (area, wave) is an independent design-based sample — e.g. a time–location sample of venues
(clusters) within city zones (strata), recording for each person observed whether they are a minor.
Prevalence in each is the Hájek estimate of :mod:`firstlight.measure.survey`.

- **Reduction** R = 1 − p₂/p₁ in the intervention area. Delta-method interval on the log ratio,
  Var log(p₂/p₁) ≈ se₁²/p₁² + se₂²/p₂², and a cluster bootstrap (Rao & Wu 1988 rescaled bootstrap of
  PSUs within strata, n_h − 1 draws, like R ``survey``'s ``subbootstrap``) with percentile limits.
- **Difference in differences** when a comparison area was surveyed in the same waves: the ratio of
  ratios (p_T2/p_T1)/(p_C2/p_C1), i.e. the reduction beyond the comparison area's trend, and the
  additive (p_T2 − p_T1) − (p_C2 − p_C1), each with delta-method and bootstrap intervals.

A before/after comparison with no comparison area attributes every change to the intervention; one
with a comparison area still assumes parallel trends and no displacement (e.g. from street venues to
online exploitation). Say so next to the number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from firstlight.errors import Invalid
from firstlight.measure.survey import SurveyDesign, design_mean

__all__ = ["DiDEstimate", "ImpactResult", "Observation", "WaveEstimate", "estimate_impact"]

_MAX_CELLS = 4_000_000  # replicate × PSU cells held at once by the bootstrap


@dataclass(frozen=True)
class Observation:
    """One observed unit in one wave: ``y`` is 1 when it has the outcome (e.g. a minor), else 0."""

    wave: str
    y: float
    area: str = "intervention"
    cluster: str | None = None
    stratum: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class WaveEstimate:
    area: str
    wave: str
    estimate: float
    se: float
    n: int
    clusters: int


@dataclass(frozen=True)
class Interval:
    estimate: float
    lower: float
    upper: float
    boot_lower: float | None = None
    boot_upper: float | None = None


@dataclass(frozen=True)
class DiDEstimate:
    comparison_area: str
    reduction: Interval  # 1 − ratio of ratios
    difference: Interval  # (p_T2 − p_T1) − (p_C2 − p_C1)


@dataclass(frozen=True)
class ImpactResult:
    area: str
    before: str
    after: str
    level: float
    waves: tuple[WaveEstimate, ...]
    reduction: Interval
    did: DiDEstimate | None
    nboot: int
    seed: int | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_ORDERS = [("before", "after"), ("pre", "post"), ("baseline", "endline"), ("baseline", "followup")]


def _wave_order(labels: set[str], before: str | None) -> tuple[str, str]:
    if len(labels) != 2:
        raise Invalid(f"impact needs exactly two waves, found {len(labels)}: {', '.join(sorted(labels))}")
    if before is not None:
        if before not in labels:
            raise Invalid(f"wave {before!r} is not in the data ({', '.join(sorted(labels))})")
        return before, next(iter(labels - {before}))
    try:
        a, b = sorted(labels, key=float)
        return a, b
    except ValueError:
        pass
    lowered = {x.lower(): x for x in labels}
    for first, second in _ORDERS:
        if set(lowered) == {first, second}:
            return lowered[first], lowered[second]
    raise Invalid("cannot tell which wave came first: name them before/after or give `before`")


@dataclass(frozen=True, eq=False)
class _Sample:
    design: SurveyDesign
    y: np.ndarray
    num_psu: np.ndarray  # Σ w·y per PSU
    den_psu: np.ndarray  # Σ w per PSU


def _sample(obs: list[Observation]) -> _Sample:
    has_strata = any(o.stratum is not None for o in obs)
    has_clusters = any(o.cluster is not None for o in obs)
    design = SurveyDesign.build(
        len(obs),
        weights=[o.weight for o in obs],
        strata=[o.stratum or "" for o in obs] if has_strata else None,
        clusters=[o.cluster or "" for o in obs] if has_clusters else None,
    )
    y = np.array([o.y for o in obs], dtype=float)
    num = np.bincount(design.psu, weights=design.weights * y, minlength=design.n_psu)
    den = np.bincount(design.psu, weights=design.weights, minlength=design.n_psu)
    return _Sample(design, y, num, den)


def _bootstrap(sample: _Sample, nboot: int, rng: np.random.Generator) -> np.ndarray:
    """Rao–Wu rescaled bootstrap replicates of the Hájek mean (PSUs resampled within strata)."""
    num = np.zeros(nboot)
    den = np.zeros(nboot)
    for h in range(len(sample.design.stratum_names)):
        members = np.flatnonzero(sample.design.psu_stratum == h)
        n_h = len(members)
        if n_h < 2:
            raise Invalid("the cluster bootstrap needs at least two PSUs in every stratum")
        chunk = max(1, _MAX_CELLS // n_h)
        for start in range(0, nboot, chunk):
            stop = min(nboot, start + chunk)
            m = rng.multinomial(n_h - 1, np.full(n_h, 1 / n_h), size=stop - start) * (n_h / (n_h - 1))
            num[start:stop] += m @ sample.num_psu[members]
            den[start:stop] += m @ sample.den_psu[members]
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def _percentile(values: np.ndarray, level: float) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return None, None
    alpha = 1 - level
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _log_interval(log_ratio: float, var: float, z: float) -> tuple[float, float]:
    sd = math.sqrt(var)
    return 1 - math.exp(log_ratio + z * sd), 1 - math.exp(log_ratio - z * sd)


def estimate_impact(
    observations: Sequence[Observation],
    *,
    level: float = 0.95,
    before: str | None = None,
    area: str | None = None,
    nboot: int = 1000,
    seed: int | None = 1234,
) -> ImpactResult:
    """Reduction in prevalence between two waves, and the difference in differences when a second area
    (the comparison) was surveyed. ``area`` names the intervention area when there are two."""
    if not observations:
        raise Invalid("no observations")
    if not (0 < level < 1):
        raise Invalid(f"confidence level must be between 0 and 1, got {level}")
    if not (0 <= nboot <= 100_000):
        raise Invalid("nboot must be between 0 and 100,000")
    first, second = _wave_order({o.wave for o in observations}, before)
    areas = sorted({o.area for o in observations})
    if len(areas) > 2:
        raise Invalid(f"at most two areas (intervention and comparison), found {len(areas)}")
    if area is None:
        named = [a for a in areas if a.lower() in ("intervention", "treated", "treatment")]
        if len(areas) == 2 and len(named) != 1:
            raise Invalid("two areas: say which one had the intervention (`area`)")
        area = named[0] if named else areas[0]
    elif area not in areas:
        raise Invalid(f"area {area!r} is not in the data ({', '.join(areas)})")
    comparison = next((a for a in areas if a != area), None)

    rng = np.random.default_rng(seed)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    waves, est, boots = [], {}, {}
    for a in [area] + ([comparison] if comparison else []):
        for wave in (first, second):
            group = [o for o in observations if o.area == a and o.wave == wave]
            if not group:
                raise Invalid(f"no observations for area {a!r} in wave {wave!r}")
            s = _sample(group)
            m = design_mean(s.y, s.design)
            waves.append(WaveEstimate(a, wave, m.estimate, m.se, s.design.n, s.design.n_psu))
            est[a, wave] = m
            if nboot:
                boots[a, wave] = _bootstrap(s, nboot, rng)

    def log_ratio(a: str) -> tuple[float, float]:
        p1, p2 = est[a, first], est[a, second]
        if p1.estimate <= 0:
            raise Invalid(f"nothing was found in area {a!r} before; a reduction is undefined")
        if p2.estimate <= 0:
            return -math.inf, math.nan
        return (
            math.log(p2.estimate / p1.estimate),
            (p1.se / p1.estimate) ** 2 + (p2.se / p2.estimate) ** 2,
        )

    notes = []
    lr, var = log_ratio(area)
    if math.isinf(lr):
        notes.append("nothing was found after: the reduction is 100% and its delta interval undefined")
        lo = hi = math.nan
    else:
        lo, hi = _log_interval(lr, var, z)
    b_lo = b_hi = None
    if nboot:
        with np.errstate(invalid="ignore", divide="ignore"):
            b_lo, b_hi = _percentile(1 - boots[area, second] / boots[area, first], level)
    reduction = Interval(1 - math.exp(lr), lo, hi, b_lo, b_hi)

    did = None
    if comparison:
        lr_c, var_c = log_ratio(comparison)
        if math.isinf(lr) or math.isinf(lr_c):
            raise Invalid("difference in differences needs something found in every area and wave")
        ror = lr - lr_c
        r_lo, r_hi = _log_interval(ror, var + var_c, z)
        diff = (est[area, second].estimate - est[area, first].estimate) - (
            est[comparison, second].estimate - est[comparison, first].estimate
        )
        diff_se = math.sqrt(sum(est[a, w].se ** 2 for a in (area, comparison) for w in (first, second)))
        rb = db = (None, None)
        if nboot:
            with np.errstate(invalid="ignore", divide="ignore"):
                t_ratio = boots[area, second] / boots[area, first]
                c_ratio = boots[comparison, second] / boots[comparison, first]
                rb = _percentile(1 - t_ratio / c_ratio, level)
            db = _percentile(
                (boots[area, second] - boots[area, first])
                - (boots[comparison, second] - boots[comparison, first]),
                level,
            )
        did = DiDEstimate(
            comparison_area=comparison,
            reduction=Interval(1 - math.exp(ror), r_lo, r_hi, *rb),
            difference=Interval(diff, diff - z * diff_se, diff + z * diff_se, *db),
        )
    else:
        notes.append("no comparison area: the change is attributed to the intervention without a control")
    return ImpactResult(
        area=area,
        before=first,
        after=second,
        level=level,
        waves=tuple(waves),
        reduction=reduction,
        did=did,
        nboot=nboot,
        seed=seed,
        notes=tuple(notes),
    )
