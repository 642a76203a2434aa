"""Platform prevalence: the share of items (or views) that violate policy, from a reviewed sample.

A sample of items or views is drawn, reviewers label each one, and the share found violating is scaled
up to the population with a confidence interval. Three designs are covered:

- **simple random sample** — every item (or view) equally likely: binomial intervals (Wilson by default);
- **stratified** — e.g. by surface or classifier-score band, with an fpc per stratum;
- **probability-weighted** — e.g. views sampled with probability proportional to a risk score, weight
  = 1/inclusion probability; optionally clustered (several views of one item).

When nothing violating is found the headline is the one-sided upper bound ("no more than X per 10,000").
Reviewer error is corrected with a gold set (:func:`correct_for_review_error`).

The cases room feeds :func:`prevalence_from_reviews` with ``(stratum, weight, is_violating)`` tuples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from firstlight.errors import Invalid
from firstlight.measure.proportion import BINOMIAL_METHODS, binomial_interval, binomial_upper_bound
from firstlight.measure.survey import (
    DESIGN_METHODS,
    SurveyDesign,
    design_interval,
    design_mean,
    design_upper_bound,
)

__all__ = [
    "PREVALENCE_METHODS",
    "GoldSet",
    "Prevalence",
    "ReviewErrorCorrection",
    "ReviewRecord",
    "StratumSummary",
    "correct_for_review_error",
    "estimate_prevalence",
    "prevalence_from_reviews",
]

PREVALENCE_METHODS: tuple[str, ...] = ("auto", *BINOMIAL_METHODS, *DESIGN_METHODS)


@dataclass(frozen=True)
class ReviewRecord:
    """One reviewed sample unit (an item or a view).

    ``weight`` is 1/inclusion probability (leave 1 for a simple random sample); ``cluster`` groups units
    that were sampled together (e.g. views of the same item); ``fpc`` is the stratum's population size
    (number of items or views it holds) or its sampling fraction (≤ 1).
    """

    violating: bool
    stratum: str | None = None
    weight: float = 1.0
    cluster: str | None = None
    fpc: float | None = None


@dataclass(frozen=True)
class StratumSummary:
    name: str
    n: int
    positives: int
    weight: float
    estimate: float


@dataclass(frozen=True)
class ReviewErrorCorrection:
    """Rogan–Gladen correction for imperfect labels, with a delta-method interval that includes the
    gold set's own uncertainty about the reviewers' sensitivity and specificity."""

    sensitivity: float
    specificity: float
    gold_positives: int
    gold_negatives: int
    estimate: float
    se: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Prevalence:
    """A prevalence estimate with its interval and, always, a one-sided upper bound."""

    estimate: float
    lower: float
    upper: float
    upper_bound: float
    level: float
    method: str
    design: str
    n: int
    positives: int
    se: float
    df: int
    strata: tuple[StratumSummary, ...] = ()
    correction: ReviewErrorCorrection | None = None

    def per(self, scale: float = 10_000) -> tuple[float, float, float]:
        """(estimate, lower, upper) per ``scale`` items, the form transparency reports use."""
        return self.estimate * scale, self.lower * scale, self.upper * scale

    def statement(self, scale: int = 10_000) -> str:
        """One line for a transparency report."""
        if self.positives == 0:
            return (
                f"none found in {self.n:,} reviewed: no more than {_fmt(self.upper_bound * scale)} per "
                f"{scale:,} ({self.level:.0%} one-sided upper bound)"
            )
        est, lo, hi = self.per(scale)
        return (
            f"{_fmt(est)} per {scale:,} ({self.level:.0%} CI {_fmt(lo)}–{_fmt(hi)}, {self.method}, "
            f"{self.positives:,} of {self.n:,} reviewed)"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["statement"] = self.statement()
        return data


def _fmt(x: float) -> str:
    """Three significant figures without scientific notation: 2,558 / 14.4 / 0.369."""
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}" if x >= 0.001 or x == 0 else f"{x:.2e}"


def _design_name(design: SurveyDesign) -> str:
    if design.is_simple:
        return "simple"
    parts = []
    if len(design.stratum_names) > 1:
        parts.append("stratified")
    if design.n_psu < design.n:
        parts.append("clustered")
    if not np.all(design.weights == design.weights[0]):
        parts.append("weighted")
    return "+".join(parts) or "simple (fpc)"


def estimate_prevalence(
    records: Sequence[ReviewRecord], *, method: str = "auto", level: float = 0.95
) -> Prevalence:
    """Estimate prevalence from reviewed sample units.

    ``method="auto"`` uses Wilson for a simple random sample and the logit interval otherwise
    (Korn–Graubard when the sample found nothing or only violations, where the logit is undefined).
    """
    if method not in PREVALENCE_METHODS:
        raise Invalid(f"unknown method {method!r}; choose one of {', '.join(PREVALENCE_METHODS)}")
    if not records:
        raise Invalid("the sample is empty: nothing was reviewed")
    y = np.fromiter((1.0 if r.violating else 0.0 for r in records), float, len(records))
    has = {f: any(getattr(r, f) is not None for r in records) for f in ("stratum", "cluster", "fpc")}
    if has["fpc"] and any(r.fpc is None for r in records):
        raise Invalid("fpc is given for some units but not others")
    design = SurveyDesign.build(
        len(records),
        weights=[r.weight for r in records],
        strata=[r.stratum or "" for r in records] if has["stratum"] else None,
        clusters=[r.cluster or "" for r in records] if has["cluster"] else None,
        fpc=[r.fpc for r in records] if has["fpc"] else None,  # type: ignore[misc]
    )
    positives = int(y.sum())
    n = len(records)
    est = design_mean(y, design)
    chosen = method
    if method == "auto":
        chosen = "wilson" if design.is_simple else "logit" if 0 < positives < n else "korn-graubard"
    if chosen in BINOMIAL_METHODS:
        if not design.is_simple:
            raise Invalid(
                f"{chosen} assumes a simple random sample; this sample is {_design_name(design)}: "
                "use logit or korn-graubard"
            )
        lower, upper = binomial_interval(positives, n, method=chosen, level=level)  # type: ignore[arg-type]
        bound = binomial_upper_bound(positives, n, level=level)
        se = math.sqrt(est.estimate * (1 - est.estimate) / n)
    else:
        lower, upper = design_interval(est, design, method=chosen, level=level)  # type: ignore[arg-type]
        bound = design_upper_bound(est, design, level=level)
        se = est.se
    k = len(design.stratum_names)
    n_h = np.bincount(design.strata, minlength=k)
    pos_h = np.bincount(design.strata, weights=y, minlength=k)
    w_h = np.bincount(design.strata, weights=design.weights, minlength=k)
    wy_h = np.bincount(design.strata, weights=design.weights * y, minlength=k)
    strata = tuple(
        StratumSummary(name, int(n_h[i]), int(pos_h[i]), float(w_h[i]), float(wy_h[i] / w_h[i]))
        for i, name in enumerate(design.stratum_names)
    )
    return Prevalence(
        estimate=est.estimate,
        lower=lower,
        upper=upper,
        upper_bound=bound,
        level=level,
        method=chosen,
        design=_design_name(design),
        n=n,
        positives=positives,
        se=se,
        df=est.df,
        strata=strata if len(strata) > 1 else (),
    )


def prevalence_from_reviews(
    reviews: Iterable[tuple[str | None, float, bool] | ReviewRecord],
    *,
    method: str = "auto",
    level: float = 0.95,
) -> Prevalence:
    """Prevalence from Firstlight's own review samples: ``(stratum, weight, is_violating)`` per reviewed
    unit, where weight = 1/(probability the unit was sampled). Strata are treated as sampled with
    replacement (no fpc), which is conservative when sampling fractions are small."""
    records = [
        r if isinstance(r, ReviewRecord) else ReviewRecord(bool(r[2]), r[0], float(r[1])) for r in reviews
    ]
    return estimate_prevalence(records, method=method, level=level)


@dataclass(frozen=True)
class GoldSet:
    """Reviewer accuracy measured on items whose true label is known."""

    true_positives: int
    positives: int
    true_negatives: int
    negatives: int

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[bool, bool]]) -> GoldSet:
        """From ``(truth, label)`` pairs."""
        tp = pos = tn = neg = 0
        for truth, label in pairs:
            if truth:
                pos += 1
                tp += bool(label)
            else:
                neg += 1
                tn += not label
        return cls(tp, pos, tn, neg)

    @property
    def sensitivity(self) -> float:
        return self.true_positives / self.positives

    @property
    def specificity(self) -> float:
        return self.true_negatives / self.negatives


def correct_for_review_error(prevalence: Prevalence, gold: GoldSet) -> Prevalence:
    """Correct a prevalence for reviewer error (Rogan & Gladen 1978): p = (q + Sp − 1)/(Se + Sp − 1).

    Variance by the delta method (Greiner & Gardner 2000):
    Var p ≈ [Var q + p²·Var Se + (1 − p)²·Var Sp] / (Se + Sp − 1)², so a small gold set widens the
    interval. The estimate is clipped to [0, 1]; the interval is Wald on that scale.
    """
    if gold.positives < 1 or gold.negatives < 1:
        raise Invalid("the gold set needs at least one truly violating and one truly benign item")
    se_, sp_ = gold.sensitivity, gold.specificity
    j = se_ + sp_ - 1
    if j <= 0:
        raise Invalid(
            f"reviewers are no better than chance on the gold set (sensitivity {se_:.3f}, "
            f"specificity {sp_:.3f}); the correction is undefined"
        )
    q = prevalence.estimate
    p = (q + sp_ - 1) / j
    var = (
        prevalence.se**2
        + p * p * se_ * (1 - se_) / gold.positives
        + (1 - p) ** 2 * sp_ * (1 - sp_) / gold.negatives
    ) / (j * j)
    z = float(stats.norm.ppf(1 - (1 - prevalence.level) / 2))
    sd = math.sqrt(var)
    p_clipped = min(1.0, max(0.0, p))
    correction = ReviewErrorCorrection(
        sensitivity=se_,
        specificity=sp_,
        gold_positives=gold.positives,
        gold_negatives=gold.negatives,
        estimate=p_clipped,
        se=sd,
        lower=max(0.0, p - z * sd),
        upper=min(1.0, p + z * sd),
    )
    return replace(prevalence, correction=correction)
