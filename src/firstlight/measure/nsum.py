"""Network scale-up (NSUM): estimate the size of a hidden group from how many of its members survey
respondents know.

Respondent i reports yᵢₖ, the number of people they know in group k. For groups of known size Nₖ
(k ∈ K) and a total population N, Killworth et al. (1998a, b) estimate each respondent's personal network
size (degree) and scale up:

    d̂ᵢ = N · Σ_{k∈K} yᵢₖ / Σ_{k∈K} Nₖ                   (degree)
    N̂ᵤ = N · Σᵢ yᵢᵤ / Σᵢ d̂ᵢ                            (maximum likelihood, "MLE")
    N̂ᵤ = N · meanᵢ(yᵢᵤ / d̂ᵢ) over d̂ᵢ > 0               (plug-in, "PIMLE")

with SE(N̂ᵤ) ≈ N·√(p̂(1 − p̂)/Σᵢ d̂ᵢ), p̂ = N̂ᵤ/N, from the binomial model yᵢᵤ ~ Bin(dᵢ, Nᵤ/N).
Survey weights enter both sums. Known-population checks (Feehan & Salganik's internal validation):
each known group is estimated in turn from the others and compared with its true size.

Assumptions: respondents know everyone in a group they are connected to as such (no transmission
error), networks mix at random (no barrier effects), and recall is accurate. Hidden and stigmatised
groups are usually *less visible* than this assumes, so the basic estimate is a lower bound unless a
visibility factor is applied (Feehan & Salganik 2016). Reference: R ``networkscaleup::killworth``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from firstlight.errors import Invalid

__all__ = ["GroupEstimate", "NSUMResult", "ValidationRow", "scale_up"]


@dataclass(frozen=True)
class GroupEstimate:
    group: str
    mle: float
    se: float
    lower: float
    upper: float
    pimle: float


@dataclass(frozen=True)
class ValidationRow:
    """A known group estimated from the other known groups (leave one out)."""

    group: str
    known: float
    estimate: float

    @property
    def ratio(self) -> float:
        return self.estimate / self.known


@dataclass(frozen=True)
class NSUMResult:
    total: float
    known_groups: tuple[str, ...]
    respondents: int
    mean_degree: float
    zero_degree: int
    estimates: tuple[GroupEstimate, ...]
    validation: tuple[ValidationRow, ...]
    level: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, out in zip(self.validation, data["validation"], strict=True):
            out["ratio"] = row.ratio
        return data


def _degrees(y: np.ndarray, known_idx: list[int], sizes: np.ndarray, total: float) -> np.ndarray:
    return total * y[:, known_idx].sum(axis=1) / sizes[known_idx].sum()


def scale_up(
    ard: np.ndarray | Sequence[Sequence[float]],
    groups: Sequence[str],
    known: Mapping[str, float],
    *,
    total: float,
    weights: Sequence[float] | np.ndarray | None = None,
    level: float = 0.95,
) -> NSUMResult:
    """Killworth MLE and plug-in estimates of every group not in ``known``, with leave-one-out checks.

    ``ard`` is respondents × groups (aggregated relational data); ``known`` maps group name → size.
    """
    y = np.asarray(ard, dtype=float)
    names = [str(g) for g in groups]
    if y.ndim != 2 or y.shape[1] != len(names) or y.shape[0] < 1:
        raise Invalid("the survey needs one row per respondent and one column per group")
    if not np.all(np.isfinite(y)) or np.any(y < 0):
        raise Invalid("answers must be counts of people known, zero or more")
    if not (total > 0 and math.isfinite(total)):
        raise Invalid("the total population must be a positive number")
    if not (0 < level < 1):
        raise Invalid(f"confidence level must be between 0 and 1, got {level}")
    unknown_names = [k for k in known if k not in names]
    if unknown_names:
        raise Invalid(f"known group(s) not in the survey: {', '.join(unknown_names)}")
    sizes = np.array([float(known.get(g, math.nan)) for g in names])
    known_idx = [i for i, g in enumerate(names) if g in known]
    hidden_idx = [i for i, g in enumerate(names) if g not in known]
    if not known_idx:
        raise Invalid("at least one group of known size is needed to estimate network sizes")
    if np.any(sizes[known_idx] <= 0) or np.any(sizes[known_idx] > total):
        raise Invalid("known group sizes must be positive and no larger than the total population")
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(y),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise Invalid("weights must be finite and greater than zero, one per respondent")
    w = w / w.mean()

    degree = _degrees(y, known_idx, sizes, total)
    sum_degree = float(np.dot(w, degree))
    if sum_degree <= 0:
        raise Invalid("no respondent knows anyone in the known groups; network sizes are all zero")
    positive = degree > 0
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    estimates = []
    for j in hidden_idx:
        mle = total * float(np.dot(w, y[:, j])) / sum_degree
        p = mle / total
        se = total * math.sqrt(max(p * (1 - p), 0.0) / sum_degree)
        pimle = total * float(np.dot(w[positive], y[positive, j] / degree[positive]) / w[positive].sum())
        estimates.append(GroupEstimate(names[j], mle, se, max(0.0, mle - z * se), mle + z * se, pimle))

    validation = []
    if len(known_idx) > 1:
        for j in known_idx:
            others = [i for i in known_idx if i != j]
            d = _degrees(y, others, sizes, total)
            denom = float(np.dot(w, d))
            est = total * float(np.dot(w, y[:, j])) / denom if denom > 0 else math.nan
            validation.append(ValidationRow(names[j], float(sizes[j]), est))
    return NSUMResult(
        total=float(total),
        known_groups=tuple(names[i] for i in known_idx),
        respondents=len(y),
        mean_degree=float(np.dot(w, degree) / w.sum()),
        zero_degree=int(np.sum(~positive)),
        estimates=tuple(estimates),
        validation=tuple(validation),
        level=level,
    )
