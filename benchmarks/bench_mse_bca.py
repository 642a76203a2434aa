"""The full BCa bootstrap of Chan, Silverman & Vincent (2021) on New Orleans: 1,000 replicates, each
re-choosing the model by stepwise selection (pthresh 0.02), plus the jackknife for the acceleration —
what ``SparseMSE::estimatepopulation(NewOrl, nboot = 1000, iseed = 1234)`` runs (7.4 min in R).

Anchors, measured in the same run on the same bootstrap draws:

- **naive**: the same stepwise rule written as SparseMSE loops it — every candidate term is checked with
  the existence linear program at every step, nothing cached — timed on the first ``--naive`` replicates
  and scaled per replicate;
- **one estimate × replicates**: the time of one stepwise estimate on the original data times the
  number of estimates the bootstrap makes (replicates + jackknife deletions).

It also prints the interval against R's (numpy's random stream differs from R's, so they agree within
Monte Carlo error, not digit for digit).

    python benchmarks/bench_mse_bca.py            # NewOrl and NewOrl_5, 1,000 replicates
    python benchmarks/bench_mse_bca.py --quick    # 200 replicates, NewOrl only
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import time
from pathlib import Path

import numpy as np
from scipy import stats

from firstlight.measure import CaptureTable, check_model, fit_model, mse_bootstrap, stepwise
from firstlight.measure.mse import _check

DATA = Path(os.environ.get("FIRSTLIGHT_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
R_REFERENCE = {"NewOrl": (1183.692, 717.2108, 1657.6080), "NewOrl_5": (1034.151, 588.8175, 1703.6937)}


def load(name: str) -> CaptureTable:
    with (DATA / "data" / "measurement" / "mse" / f"{name}.csv").open(newline="") as fh:
        return CaptureTable.from_records(list(csv.DictReader(fh)))


def naive_stepwise(table: CaptureTable, pthresh: float = 0.02) -> float:
    """SparseMSE's loop: every remaining candidate gets a p-value and an existence/rank check per step."""
    pairs = list(itertools.combinations(range(table.k), 2))
    both = {p: (table.patterns[:, p[0]] == 1) & (table.patterns[:, p[1]] == 1) for p in pairs}
    n_star = {p: table.counts[both[p]].sum() for p in pairs}
    terms: list[tuple[int, int]] = []
    fit = fit_model(table)
    while True:
        best, best_p = None, 1.0
        for p in pairs:
            if p in terms:
                continue
            mu = fit.fitted[both[p]].sum()
            pv = min(stats.poisson.cdf(n_star[p], mu), stats.poisson.sf(n_star[p] - 1, mu))
            _check.cache_clear()
            if not check_model(table, [*terms, p]).ok:
                pv = 1.0
            if pv < best_p:
                best, best_p = p, pv
        if best is None or best_p >= pthresh:
            return fit.estimate
        terms.append(best)
        fit = fit_model(table, terms)


def run(name: str, nboot: int, naive_reps: int) -> None:
    table = load(name)
    _check.cache_clear()
    t0 = time.perf_counter()
    result = mse_bootstrap(table, nboot=nboot, seed=1234)
    ours = time.perf_counter() - t0
    n_estimates = nboot + int(np.count_nonzero(table.counts)) + 1

    t0 = time.perf_counter()
    for _ in range(5):
        _check.cache_clear()
        stepwise(table)
    one = (time.perf_counter() - t0) / 5

    rng = np.random.default_rng(1234)
    observed = np.flatnonzero(table.counts)
    draws = rng.multinomial(table.n, table.counts[observed] / table.n, size=naive_reps)
    t0 = time.perf_counter()
    for draw in draws:
        counts = np.zeros_like(table.counts)
        counts[observed] = draw
        naive_stepwise(table.with_counts(counts))
    naive_per = (time.perf_counter() - t0) / naive_reps

    point, r_lo, r_hi = R_REFERENCE[name]
    below = float(np.mean(result.replicates < result.estimate))
    print(f"\n{name}: {table.n} cases on {table.k} lists, {nboot:,} replicates + jackknife")
    print(f"  estimate {result.estimate:,.1f} (R {point:,.1f}); acceleration {result.acceleration:.6f}")
    print(f"  BCa 95%  ({result.lower:,.1f}, {result.upper:,.1f}); R seed 1234: ({r_lo:,.1f}, {r_hi:,.1f})")
    print(f"  failed replicates {result.failed}; share of replicates below the estimate {below:.3f}")
    print(f"  time {ours:.1f} s = {ours / n_estimates * 1e3:.1f} ms per estimate")
    naive_total = naive_per * n_estimates
    print(
        f"  anchor, naive loop: {naive_per * 1e3:.1f} ms per replicate ({naive_reps} timed), "
        f"{naive_total:.0f} s for the run: ratio {naive_total / ours:.1f}x"
    )
    one_total = one * n_estimates
    print(f"  anchor, one estimate x {n_estimates:,}: {one_total:.1f} s: ratio {one_total / ours:.2f}")
    print("  (R 4.2.2 SparseMSE took 7.4 min for NewOrl where the reference was made: not a ratio)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 replicates, NewOrl only")
    parser.add_argument("--naive", type=int, default=40, help="replicates timed for the naive anchor")
    args = parser.parse_args()
    if not (DATA / "data" / "measurement").is_dir():
        raise SystemExit(f"{DATA}/data/measurement is absent: set FIRSTLIGHT_SHARED_DIR")
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name in ["NewOrl"] if args.quick else ["NewOrl", "NewOrl_5"]:
        run(name, 200 if args.quick else 1000, args.naive)


if __name__ == "__main__":
    main()
