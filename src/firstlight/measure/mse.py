"""Multiple systems estimation (MSE): how many victims are on none of the lists?

k lists (police, NGOs, local authorities …) each record some of a hidden population. For every non-empty
capture pattern ω the number of cases seen on exactly those lists is known; the cases on no list — the
*dark figure* — are not. A Poisson log-linear model

    log μ_ω = α₀ + Σ_{j ∈ ω} α_j + Σ_{i<j ∈ ω} α_ij

fitted to the 2^k − 1 observed cells (zero cells restored) predicts the missing cell as exp(α₀), so the
population is N̂ = n + exp(α̂₀). The two-list terms α_ij allow for dependence between lists.

Following Chan, Silverman & Vincent (2021, JASA 116:1297; R ``SparseMSE`` 2.0.1):

- a pair of lists with no case in common gets α_ij = −∞ when its term is in the model: the cells holding
  both lists are structural zeros and are dropped (the *extended* MLE);
- before a model is used its MLE is checked to exist (the Fienberg–Rinaldo 2012 linear program) and to be
  identifiable (rank of the design matrix) — :func:`check_model`;
- the model is chosen by forward stepwise selection (:func:`stepwise`): add the two-list term whose overlap
  count is least likely under the current model (one-sided Poisson p-value), while that p-value is below
  ``pthresh`` (0.02) and the enlarged model passes the checks;
- intervals: Wald on log α₀ (``SparseMSE::estimatepopulation.0``), the profile likelihood of Cormack
  (1992) as Rcapture computes it, and the BCa bootstrap that repeats the model choice in every replicate
  (:mod:`firstlight.measure.bootstrap`).

Assumptions to state with every estimate: a closed population over the period, perfect matching of cases
across lists, and dependence between lists captured by the chosen two-list terms. Intervals conditional on
one model understate the uncertainty; prefer the bootstrap interval.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from firstlight.errors import Invalid
from firstlight.measure._loglinear import ProfileInterval, fit_poisson, profile_interval

__all__ = [
    "MAX_LISTS",
    "CaptureTable",
    "MSEFit",
    "ModelCheck",
    "Step",
    "Term",
    "check_model",
    "estimate_population",
    "fit_model",
    "parse_terms",
    "stepwise",
]

MAX_LISTS = 12  # 4,095 cells; more lists than this is not an MSE problem anyone can fit
Term = tuple[int, int]
COUNT_COLUMNS = ("count", "n", "freq", "frequency", "Freq", "Frequency")


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts for every non-empty capture pattern of k lists; row r is the pattern with bit code r + 1
    (list j present when bit j is set). Patterns never observed are zero cells."""

    lists: tuple[str, ...]
    patterns: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_patterns(
        cls, lists: Sequence[str], patterns: np.ndarray | Sequence[Sequence[int]], counts: Sequence[float]
    ) -> CaptureTable:
        """Aggregate (pattern, count) rows; patterns not given get zero count."""
        names = tuple(str(x) for x in lists)
        k = len(names)
        if k < 2:
            raise Invalid("multiple systems estimation needs at least two lists")
        if k > MAX_LISTS:
            raise Invalid(f"at most {MAX_LISTS} lists are supported, got {k}")
        if len(set(names)) != k:
            raise Invalid("list names must be unique")
        pats = np.asarray(patterns, dtype=float)
        cnts = np.asarray(counts, dtype=float)
        if pats.ndim != 2 or pats.shape[1] != k or len(cnts) != len(pats):
            raise Invalid("each row needs one 0/1 value per list and a count")
        if not np.all((pats == 0) | (pats == 1)):
            raise Invalid("list columns must hold 0 or 1")
        if not np.all(np.isfinite(cnts)) or np.any(cnts < 0) or np.any(cnts != np.round(cnts)):
            raise Invalid("counts must be whole numbers of cases, zero or more")
        codes = pats.astype(np.int64) @ (1 << np.arange(k))
        if np.any((codes == 0) & (cnts > 0)):
            raise Invalid("a row with no list marked cannot be observed (that is the dark figure)")
        full = np.bincount(codes, weights=cnts, minlength=1 << k)[1:]
        all_codes = np.arange(1, 1 << k)
        all_patterns = ((all_codes[:, None] >> np.arange(k)) & 1).astype(np.int8)
        if full.sum() <= 0:
            raise Invalid("the lists hold no cases")
        return cls(names, all_patterns, full.astype(np.int64))

    @classmethod
    def from_records(
        cls, records: Sequence[Mapping[str, Any]], *, count_column: str | None = None
    ) -> CaptureTable:
        """From rows of a table: one 0/1 column per list plus a count column (``count``, ``n``, ``freq``
        …), or one row per case when there is no count column."""
        if not records:
            raise Invalid("the table has no rows")
        columns = list(records[0].keys())
        if count_column is None:
            count_column = next((c for c in COUNT_COLUMNS if c in columns), None)
        elif count_column not in columns:
            raise Invalid(f"no column named {count_column!r}")
        lists = [c for c in columns if c != count_column]
        pats, counts = [], []
        for i, row in enumerate(records, start=1):
            try:
                pats.append([_flag(row[c]) for c in lists])
                counts.append(1.0 if count_column is None else _count(row[count_column]))
            except KeyError as exc:
                raise Invalid(f"row {i}: no value for column {exc}") from None
            except (ValueError, TypeError) as exc:
                raise Invalid(f"row {i}: {exc}") from None
        return cls.from_patterns(lists, pats, counts)

    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def n(self) -> int:
        """Cases observed on at least one list."""
        return int(self.counts.sum())

    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        return CaptureTable(self.lists, self.patterns, np.asarray(counts, dtype=np.int64))

    def term_name(self, term: Term) -> str:
        return f"{self.lists[term[0]]}:{self.lists[term[1]]}"

    def observed_rows(self) -> list[tuple[tuple[int, ...], int]]:
        return [
            (tuple(int(v) for v in p), int(c))
            for p, c in zip(self.patterns, self.counts, strict=True)
            if c > 0
        ]


def _count(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the count must be a number, got {value!r}") from None


def _flag(value: Any) -> int:
    text = str(value).strip().lower()
    if text in ("1", "1.0", "true", "yes", "y"):
        return 1
    if text in ("0", "0.0", "false", "no", "n", ""):
        return 0
    raise ValueError(f"list membership must be 0 or 1, got {value!r}")


@lru_cache(maxsize=16)
def _pairs(k: int) -> tuple[Term, ...]:
    return tuple(itertools.combinations(range(k), 2))


@lru_cache(maxsize=16)
def _pair_incidence(k: int) -> np.ndarray:
    """cells × pairs matrix: 1 where the cell's pattern contains both lists of the pair."""
    codes = np.arange(1, 1 << k)
    pats = (codes[:, None] >> np.arange(k)) & 1
    return np.stack([pats[:, i] * pats[:, j] for i, j in _pairs(k)], axis=1).astype(float)


def parse_terms(table: CaptureTable, spec: str | Sequence[str] | Sequence[Term]) -> tuple[Term, ...]:
    """Two-list terms from names: ``"PF:NCA,LA:NG"`` or ``["PF:NCA", …]`` or index pairs."""
    items: list[Any] = [s for s in spec.split(",") if s.strip()] if isinstance(spec, str) else list(spec)
    index = {name: i for i, name in enumerate(table.lists)}
    terms: set[Term] = set()
    for item in items:
        if isinstance(item, str):
            parts = [p.strip() for p in item.replace("*", ":").split(":")]
            if len(parts) != 2 or any(p not in index for p in parts):
                raise Invalid(f"term {item!r} must name two lists as A:B; lists are {', '.join(table.lists)}")
            i, j = index[parts[0]], index[parts[1]]
        else:
            i, j = (int(v) for v in item)
            if not (0 <= i < table.k and 0 <= j < table.k):
                raise Invalid(f"term {item!r} refers to a list that does not exist")
        if i == j:
            raise Invalid(f"term {item!r} pairs a list with itself")
        terms.add((min(i, j), max(i, j)))
    return tuple(sorted(terms))


@dataclass(frozen=True)
class _Design:
    X: np.ndarray
    y: np.ndarray
    keep: np.ndarray
    names: tuple[str, ...]
    empty_overlaps: tuple[Term, ...]


def _design(table: CaptureTable, terms: Sequence[Term], *, drop_empty_lists: bool) -> _Design:
    pats, counts = table.patterns, table.counts
    keep = np.ones(len(counts), dtype=bool)
    live, empty = [], []
    for i, j in terms:
        both = (pats[:, i] == 1) & (pats[:, j] == 1)
        if counts[both].sum() == 0:
            empty.append((i, j))
            keep &= ~both
        else:
            live.append((i, j))
    mains = list(range(table.k))
    if drop_empty_lists:  # a list with no cases: its effect is −∞ and its cells are structural zeros
        for j in range(table.k):
            if counts[pats[:, j] == 1].sum() == 0:
                mains.remove(j)
                keep &= pats[:, j] == 0
    P = pats[keep].astype(float)
    columns = [np.ones(len(P))] + [P[:, j] for j in mains] + [P[:, i] * P[:, j] for i, j in live]
    names = ("(dark figure)", *(table.lists[j] for j in mains), *(table.term_name(t) for t in live))
    return _Design(np.column_stack(columns), counts[keep].astype(float), keep, names, tuple(empty))


@dataclass(frozen=True)
class ModelCheck:
    """Whether a model's maximum-likelihood estimate exists and is identifiable for these data;
    ``code`` follows SparseMSE's ``checkident``: 0 fine, 1 does not exist, 2 not identifiable, 3 both."""

    exists: bool
    identifiable: bool

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    @property
    def code(self) -> int:
        return (not self.exists) + 2 * (not self.identifiable)


@lru_cache(maxsize=8192)  # keys are ≤ 512 bytes (4,095 cells as bits), so at most a few MB
def _check(k: int, support: bytes, terms: tuple[Term, ...]) -> ModelCheck:
    pats = ((np.arange(1, 1 << k)[:, None] >> np.arange(k)) & 1).astype(np.int8)
    mask = np.unpackbits(np.frombuffer(support, dtype=np.uint8), count=len(pats)).astype(bool)
    table = CaptureTable(tuple(f"L{j}" for j in range(k)), pats, mask.astype(np.int64))
    d = _design(table, terms, drop_empty_lists=False)
    identifiable = int(np.linalg.matrix_rank(d.X)) == d.X.shape[1]
    # Fienberg & Rinaldo (2012): the MLE exists iff some strictly positive table has the same margins
    # t = Xᵀy. Write x = u + s·1 with u ≥ 0 and maximise s subject to Xᵀx = t; it exists iff s* > 0.
    # Existence depends only on which cells are positive, hence the cache key.
    A = d.X.T
    A_eq = np.column_stack([A, A.sum(axis=1)])
    res = optimize.linprog(
        c=np.append(np.zeros(A.shape[1]), -1.0),
        A_eq=A_eq,
        b_eq=A @ d.y,
        bounds=(0, None),
        method="highs",
    )
    exists = bool(res.status == 0 and -res.fun > 1e-7)
    return ModelCheck(exists, identifiable)


def check_model(table: CaptureTable, terms: Sequence[Term] = ()) -> ModelCheck:
    """Existence (Fienberg–Rinaldo linear program) and identifiability (design rank) of the MLE."""
    return _check(table.k, np.packbits(table.counts > 0).tobytes(), tuple(sorted(terms)))


@dataclass(frozen=True)
class Step:
    """One step of the stepwise choice: the term added and its one-sided Poisson p-value."""

    term: str
    p_value: float
    estimate: float


@dataclass(frozen=True, eq=False)
class MSEFit:
    """A fitted log-linear model and its population estimate N̂ = n + exp(α̂₀)."""

    table: CaptureTable
    method: str
    terms: tuple[Term, ...]
    empty_overlaps: tuple[Term, ...]
    estimate: float
    dark_figure: float
    log_dark_se: float
    se: float
    deviance: float
    df_resid: int
    aic: float
    bic: float
    coefficients: dict[str, float]
    fitted: np.ndarray = field(repr=False)
    steps: tuple[Step, ...] = ()
    _design: _Design | None = field(default=None, repr=False)
    _params: np.ndarray | None = field(default=None, repr=False)

    @property
    def term_names(self) -> tuple[str, ...]:
        return tuple(self.table.term_name(t) for t in self.terms)

    def wald_interval(self, level: float = 0.95) -> tuple[float, float]:
        """N̂ = n + exp(α̂₀ ± z·se), symmetric on the log dark figure (SparseMSE ``estimatepopulation.0``)."""
        z = float(stats.norm.ppf(1 - (1 - level) / 2))
        log_dark = math.log(self.dark_figure)
        n = self.table.n
        return n + math.exp(log_dark - z * self.log_dark_se), n + math.exp(log_dark + z * self.log_dark_se)

    def profile_interval(self, level: float = 0.95) -> ProfileInterval:
        """Profile-likelihood interval of this model (Rcapture ``closedpCI.t``)."""
        assert self._design is not None
        return profile_interval(self._design.X, self._design.y, start=self._params, level=level)


def fit_model(
    table: CaptureTable,
    terms: Sequence[Term] = (),
    *,
    method: str = "fixed",
    start: Mapping[str, float] | None = None,
) -> MSEFit:
    """Fit main effects plus the given two-list terms (no checks: see :func:`check_model`).

    ``start`` (coefficients by name, e.g. a smaller model's) warm-starts the fit; it changes the number
    of iterations, not the answer.
    """
    terms = tuple(sorted(set(terms)))
    d = _design(table, terms, drop_empty_lists=True)
    initial = None if start is None else np.array([start.get(name, 0.0) for name in d.names])
    fit = fit_poisson(d.X, d.y, start=initial)
    dark = math.exp(fit.params[0])
    var0 = float(fit.cov[0, 0])
    n = table.n
    npar = 1 + table.k + len(terms)  # a structural −∞ parameter still counts (SparseMSE's AIC)
    fitted = np.zeros(len(table.counts))
    fitted[d.keep] = fit.fitted
    return MSEFit(
        table=table,
        method=method,
        terms=terms,
        empty_overlaps=d.empty_overlaps,
        estimate=n + dark,
        dark_figure=dark,
        log_dark_se=math.sqrt(var0),
        se=math.sqrt(dark + dark * dark * var0),
        deviance=fit.deviance,
        df_resid=fit.df_resid,
        aic=-2 * fit.llf + 2 * npar,
        bic=-2 * fit.llf + npar * math.log(n),
        coefficients=dict(zip(d.names, (float(v) for v in fit.params), strict=True)),
        fitted=fitted,
        _design=d,
        _params=fit.params,
    )


def stepwise(table: CaptureTable, *, pthresh: float = 0.02) -> MSEFit:
    """Chan, Silverman & Vincent's forward stepwise choice (SparseMSE ``stepwisefit``).

    From main effects, repeatedly: for each two-list term not yet in the model, compare the number of
    cases on both lists, n*, with its Poisson distribution under the current fit (mean = the fitted
    count of those cells); the p-value is the smaller tail, min(P(X ≤ n*), P(X ≥ n*)). Add the term with
    the smallest p-value among those whose enlarged model passes :func:`check_model`, if it is below
    ``pthresh``; otherwise stop. Only the front-runners are checked, in p-value order, which gives the
    same choice as checking every candidate.
    """
    if not (0 <= pthresh <= 1):
        raise Invalid(f"pthresh must be between 0 and 1, got {pthresh}")
    fit = fit_model(table, method="stepwise")
    if pthresh == 0:
        return fit
    incidence = _pair_incidence(table.k)
    pairs = _pairs(table.k)
    n_star = table.counts @ incidence
    included = np.zeros(len(pairs), dtype=bool)
    terms: list[Term] = []
    steps: list[Step] = []
    while not included.all():
        mu_star = fit.fitted @ incidence
        p = np.minimum(stats.poisson.cdf(n_star, mu_star), stats.poisson.sf(n_star - 1, mu_star))
        p[included] = 1.0
        chosen = None
        for idx in np.argsort(p, kind="stable"):
            if p[idx] >= pthresh:
                break
            if check_model(table, [*terms, pairs[idx]]).ok:
                chosen = int(idx)
                break
        if chosen is None:
            break
        included[chosen] = True
        terms.append(pairs[chosen])
        fit = fit_model(table, terms, method="stepwise", start=fit.coefficients)
        steps.append(Step(table.term_name(pairs[chosen]), float(p[chosen]), fit.estimate))
    return replace(fit, steps=tuple(steps))


def estimate_population(
    table: CaptureTable,
    *,
    method: str = "stepwise",
    terms: Sequence[Term] = (),
    pthresh: float = 0.02,
) -> MSEFit:
    """The estimate with its model: ``stepwise`` (default), ``main`` effects only, or ``fixed`` terms."""
    if method == "stepwise":
        return stepwise(table, pthresh=pthresh)
    if method == "main":
        return fit_model(table, method="main")
    if method == "fixed":
        return fit_model(table, terms, method="fixed")
    raise Invalid(f"unknown MSE method {method!r}; choose stepwise, main or fixed")
