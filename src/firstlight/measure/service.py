"""The measure room's four actions, shared by the CLI (``firstlight measure …``) and the API
(``POST /v1/measure/…``). Each takes rows as dicts — a CSV file's lines or a JSON body's ``rows`` — and
returns a result with ``to_dict()``; bad input raises :class:`firstlight.errors.Invalid`.

Expected columns (case-insensitive; other columns are ignored unless stated):

prevalence
    ``violating`` (1/0, true/false, yes/no; also accepted: ``is_violating``, ``label``, ``y``), and
    optionally ``stratum``, ``weight`` (1/inclusion probability), ``cluster`` (sampling unit, e.g. the
    item a view belongs to) and ``fpc`` (stratum population size, or sampling fraction ≤ 1).
    Gold set (optional): ``truth`` and ``label``, one row per gold item.
mse
    one 0/1 column per list and a count column (``count``, ``n``, ``freq`` or ``frequency``); without a
    count column each row is one case. Every other column is taken as a list.
nsum
    one row per respondent, one column per group (how many people in that group they know), and
    optionally a weight column. Group sizes that are known are given separately.
impact
    ``wave`` (two values: before/after, pre/post or numbers), ``y`` (1/0 or a share; also ``outcome``),
    and optionally ``area`` (intervention and comparison), ``cluster``, ``stratum``, ``weight``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from firstlight.errors import Invalid
from firstlight.measure._io import (
    Row,
    check_rows,
    column,
    optional_float,
    optional_text,
    to_bool,
    to_float,
)
from firstlight.measure._loglinear import ProfileInterval
from firstlight.measure.bootstrap import BootstrapInterval, mse_bootstrap
from firstlight.measure.impact import ImpactResult, Observation, estimate_impact
from firstlight.measure.mse import CaptureTable, MSEFit, estimate_population, parse_terms
from firstlight.measure.nsum import NSUMResult, scale_up
from firstlight.measure.prevalence import (
    GoldSet,
    Prevalence,
    ReviewRecord,
    correct_for_review_error,
    estimate_prevalence,
)

__all__ = ["MSEReport", "run_impact", "run_mse", "run_nsum", "run_prevalence"]


def run_prevalence(
    rows: Sequence[Row],
    *,
    method: str = "auto",
    level: float = 0.95,
    gold: Sequence[Row] | None = None,
) -> Prevalence:
    """Prevalence of violating items from a reviewed sample, corrected with a gold set if given."""
    check_rows(rows, "sample")
    records = []
    for i, row in enumerate(rows, start=1):
        flag = column(row, "violating", "is_violating", "label", "y")
        if flag is None:
            raise Invalid(f"row {i}: no 'violating' column")
        weight = optional_float(column(row, "weight", "w"), "weight", i)
        records.append(
            ReviewRecord(
                violating=to_bool(flag, "violating", i),
                stratum=optional_text(column(row, "stratum")),
                weight=1.0 if weight is None else weight,
                cluster=optional_text(column(row, "cluster")),
                fpc=optional_float(column(row, "fpc"), "fpc", i),
            )
        )
    result = estimate_prevalence(records, method=method, level=level)
    if gold:
        pairs = []
        for i, row in enumerate(gold, start=1):
            truth, label = column(row, "truth"), column(row, "label")
            if truth is None or label is None:
                raise Invalid(f"gold set row {i}: needs 'truth' and 'label' columns")
            pairs.append((to_bool(truth, "truth", i), to_bool(label, "label", i)))
        result = correct_for_review_error(result, GoldSet.from_pairs(pairs))
    return result


@dataclass(frozen=True, eq=False)
class MSEReport:
    """The chosen model's estimate with its Wald, profile and (optionally) BCa bootstrap intervals."""

    fit: MSEFit
    level: float
    wald: tuple[float, float]
    profile: ProfileInterval | None
    bootstrap: BootstrapInterval | None

    def to_dict(self) -> dict[str, Any]:
        fit, table = self.fit, self.fit.table
        return {
            "lists": list(table.lists),
            "observed": table.n,
            "patterns": [{"pattern": list(p), "count": c} for p, c in table.observed_rows()],
            "method": fit.method,
            "terms": list(fit.term_names),
            "empty_overlaps": [table.term_name(t) for t in fit.empty_overlaps],
            "steps": [{"term": s.term, "p_value": s.p_value, "estimate": s.estimate} for s in fit.steps],
            "estimate": fit.estimate,
            "dark_figure": fit.dark_figure,
            "se": fit.se,
            "level": self.level,
            "wald": {"lower": self.wald[0], "upper": self.wald[1]},
            "profile": None
            if self.profile is None
            else {"mode": self.profile.mode, "lower": self.profile.lower, "upper": self.profile.upper},
            "bootstrap": None if self.bootstrap is None else self.bootstrap.to_dict(),
            "deviance": fit.deviance,
            "df": fit.df_resid,
            "aic": fit.aic,
            "bic": fit.bic,
            "coefficients": fit.coefficients,
        }


def run_mse(
    rows: Sequence[Row],
    *,
    method: str = "stepwise",
    terms: str | Sequence[str] = (),
    pthresh: float = 0.02,
    level: float = 0.95,
    profile: bool = True,
    nboot: int = 0,
    seed: int | None = 1234,
    count_column: str | None = None,
) -> MSEReport:
    """Population size from overlapping lists; ``nboot`` > 0 adds the BCa bootstrap interval."""
    check_rows(rows, "table")
    if not (0 < level < 1):
        raise Invalid(f"confidence level must be between 0 and 1, got {level}")
    table = CaptureTable.from_records(rows, count_column=count_column)
    parsed = parse_terms(table, terms) if terms else ()
    if parsed and method != "fixed":
        raise Invalid("terms are only used with method 'fixed'")
    fit = estimate_population(table, method=method, terms=parsed, pthresh=pthresh)
    prof = fit.profile_interval(level) if profile else None
    boot = None
    if nboot:
        boot = mse_bootstrap(
            table, method=method, terms=parsed, pthresh=pthresh, nboot=nboot, seed=seed, level=level
        )
    return MSEReport(fit, level, fit.wald_interval(level), prof, boot)


def run_nsum(
    rows: Sequence[Row],
    *,
    known: Mapping[str, float],
    total: float,
    weight_column: str | None = None,
    level: float = 0.95,
) -> NSUMResult:
    """Network scale-up estimates of every group whose size is not in ``known``."""
    check_rows(rows, "survey")
    columns = list(rows[0].keys())
    if weight_column is not None and weight_column not in columns:
        raise Invalid(f"no column named {weight_column!r}")
    groups = [c for c in columns if c != weight_column]
    ard = np.empty((len(rows), len(groups)))
    weights = np.ones(len(rows)) if weight_column else None
    for i, row in enumerate(rows, start=1):
        for j, g in enumerate(groups):
            ard[i - 1, j] = to_float(row.get(g), f"column {g!r}", i)
        if weights is not None:
            weights[i - 1] = to_float(row.get(weight_column), "weight", i)
    return scale_up(ard, groups, known, total=total, weights=weights, level=level)


def run_impact(
    rows: Sequence[Row],
    *,
    level: float = 0.95,
    nboot: int = 1000,
    seed: int | None = 1234,
    before: str | None = None,
    area: str | None = None,
) -> ImpactResult:
    """Reduction in prevalence between two waves (and difference in differences with a comparison)."""
    check_rows(rows, "sample")
    observations = []
    for i, row in enumerate(rows, start=1):
        wave = optional_text(column(row, "wave", "period"))
        outcome = column(row, "y", "outcome")
        if wave is None or outcome is None:
            raise Invalid(f"row {i}: needs 'wave' and 'y' columns")
        try:
            y = to_float(outcome, "y", i)
        except Invalid:
            y = float(to_bool(outcome, "y", i))
        if y < 0:
            raise Invalid(f"row {i}: y must be zero or more, got {outcome!r}")
        weight = optional_float(column(row, "weight", "w"), "weight", i)
        observations.append(
            Observation(
                wave=wave,
                y=y,
                area=optional_text(column(row, "area")) or "intervention",
                cluster=optional_text(column(row, "cluster")),
                stratum=optional_text(column(row, "stratum")),
                weight=1.0 if weight is None else weight,
            )
        )
    return estimate_impact(observations, level=level, before=before, area=area, nboot=nboot, seed=seed)
