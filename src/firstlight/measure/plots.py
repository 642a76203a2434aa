"""PNG charts of the measure room's results (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from firstlight.errors import Invalid

if TYPE_CHECKING:
    from firstlight.measure.impact import ImpactResult
    from firstlight.measure.nsum import NSUMResult
    from firstlight.measure.prevalence import Prevalence
    from firstlight.measure.service import MSEReport

__all__ = ["plot_impact", "plot_mse", "plot_nsum", "plot_prevalence"]


def _figure(ncols: int = 1) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(6.5 * ncols, 4.2), squeeze=False)
    return fig, axes[0]


def _save(fig: Any, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        fig.savefig(out, dpi=120, format="png")
    except OSError as exc:
        raise Invalid(f"cannot write the plot to {out}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return out


def plot_prevalence(result: Prevalence, path: str | Path, *, scale: int = 10_000) -> Path:
    """The estimate and interval per ``scale`` items, with the per-stratum shares beside it."""
    fig, (ax,) = _figure()
    labels, points, lows, highs = [], [], [], []
    for s in result.strata:
        labels.append(f"stratum {s.name} (n={s.n:,})")
        points.append(s.estimate * scale)
        lows.append(s.estimate * scale)
        highs.append(s.estimate * scale)
    labels.append(f"overall ({result.method})")
    est, lo, hi = result.per(scale)
    points.append(est)
    lows.append(lo)
    highs.append(hi)
    if result.correction is not None:
        c = result.correction
        labels.append("corrected for reviewer error")
        points.append(c.estimate * scale)
        lows.append(c.lower * scale)
        highs.append(c.upper * scale)
    y = np.arange(len(labels))
    p = np.array(points)
    ax.errorbar(p, y, xerr=[p - np.array(lows), np.array(highs) - p], fmt="o", capsize=4)
    if result.positives == 0:
        ax.axvline(result.upper_bound * scale, linestyle="--", color="grey")
        ax.text(result.upper_bound * scale, len(labels) - 0.5, " upper bound", color="grey")
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"violating per {scale:,} ({result.level:.0%} interval)")
    ax.set_title(result.statement(scale), fontsize=9)
    ax.set_xlim(left=0)
    return _save(fig, path)


def plot_mse(report: MSEReport, path: str | Path) -> Path:
    """Intervals for the population size by method, and the bootstrap distribution when there is one."""
    fit = report.fit
    fig, axes = _figure(2 if report.bootstrap is not None else 1)
    ax = axes[0]
    rows = [("Wald (log dark figure)", fit.estimate, *report.wald)]
    if report.profile is not None:
        rows.append(("profile likelihood", report.profile.mode, report.profile.lower, report.profile.upper))
    if report.bootstrap is not None:
        b = report.bootstrap
        rows.append((f"BCa bootstrap ({b.nboot:,})", b.estimate, b.lower, b.upper))
    y = np.arange(len(rows))
    for i, (_, point, lo, hi) in enumerate(rows):
        hi_plot = hi if np.isfinite(hi) else point * 3
        ax.errorbar([point], [i], xerr=[[point - lo], [hi_plot - point]], fmt="o", capsize=4)
    ax.axvline(fit.table.n, color="grey", linestyle=":")
    ax.set_ylim(-0.7, len(rows) - 0.4)
    ax.text(fit.table.n, -0.6, f" observed {fit.table.n:,}", color="grey")
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlabel(f"population size ({report.level:.0%} interval)")
    terms = ", ".join(fit.term_names) or "main effects only"
    ax.set_title(f"N̂ = {fit.estimate:,.0f} ({fit.method}: {terms})", fontsize=9)
    if report.bootstrap is not None:
        b = report.bootstrap
        reps = b.replicates
        top = np.quantile(reps, 0.99)
        axes[1].hist(reps[reps <= top], bins=40, color="#8ab")
        for x, style in ((b.estimate, "-"), (b.lower, "--"), (b.upper, "--")):
            axes[1].axvline(x, color="k", linestyle=style)
        axes[1].set_xlabel("bootstrap replicates of N (model re-chosen each time; top 1% not shown)")
    return _save(fig, path)


def plot_nsum(result: NSUMResult, path: str | Path) -> Path:
    """Known groups estimated from the others (internal validation), and the hidden-group estimates."""
    fig, axes = _figure(2)
    ax = axes[0]
    if result.validation:
        known = np.array([v.known for v in result.validation])
        est = np.array([v.estimate for v in result.validation])
        ax.loglog(known, est, "o")
        span = [min(known.min(), np.nanmin(est)) * 0.8, max(known.max(), np.nanmax(est)) * 1.25]
        ax.plot(span, span, color="grey", linestyle="--")
        for v in result.validation:
            ax.annotate(v.group, (v.known, v.estimate), textcoords="offset points", xytext=(4, 4))
        ax.set_xlabel("known size")
        ax.set_ylabel("estimated from the other known groups")
    ax.set_title("leave-one-out check of the known groups", fontsize=9)
    ax = axes[1]
    if result.estimates:
        y = np.arange(len(result.estimates))
        mle = np.array([e.mle for e in result.estimates])
        ax.errorbar(
            mle,
            y,
            xerr=[mle - [e.lower for e in result.estimates], [e.upper for e in result.estimates] - mle],
            fmt="o",
            capsize=4,
            label="Killworth MLE",
        )
        ax.plot([e.pimle for e in result.estimates], y, "x", label="plug-in")
        ax.set_yticks(y, [e.group for e in result.estimates])
        ax.legend()
    ax.set_xlabel(f"estimated size ({result.level:.0%} interval)")
    ax.set_title(f"mean network size {result.mean_degree:,.1f}", fontsize=9)
    return _save(fig, path)


def plot_impact(result: ImpactResult, path: str | Path) -> Path:
    """Prevalence in each wave and area, with intervals."""
    fig, (ax,) = _figure()
    z = float(stats.norm.ppf(1 - (1 - result.level) / 2))
    for area in dict.fromkeys(w.area for w in result.waves):
        rows = [w for w in result.waves if w.area == area]
        x = [0, 1]
        p = np.array([w.estimate for w in rows])
        e = np.array([z * w.se for w in rows])
        ax.errorbar(x, p, yerr=[np.minimum(e, p), e], fmt="o-", capsize=4, label=area)
    ax.set_xticks([0, 1], [result.before, result.after])
    ax.set_ylabel(f"prevalence ({result.level:.0%} interval)")
    ax.set_ylim(bottom=0)
    r = result.reduction
    title = f"reduction in {result.area}: {r.estimate:.0%}"
    if np.isfinite(r.lower) and np.isfinite(r.upper):
        title += f" (CI {r.lower:.0%} to {r.upper:.0%})"
    if result.did is not None:
        d = result.did.reduction
        title += f"; beyond comparison: {d.estimate:.0%}"
    ax.set_title(title, fontsize=9)
    ax.legend()
    return _save(fig, path)
