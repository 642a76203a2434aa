"""``firstlight measure prevalence|mse|nsum|impact FILE``: read a CSV, print a table, optionally write a
PNG plot (``--plot``) or JSON (``--json``). The expected columns are listed in
:mod:`firstlight.measure.service` and in ``docs/measurement.md``. Errors are raised as
:class:`firstlight.errors.Invalid`, which ``firstlight.cli`` prints as one line with exit code 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from firstlight.errors import Invalid
from firstlight.measure import plots, service
from firstlight.measure._io import jsonable, read_csv

__all__ = ["app"]

app = typer.Typer(
    help="Measure: prevalence from review samples, hidden-population size (MSE, NSUM), impact.",
    no_args_is_help=True,
)
console = Console()

FileArg = Annotated[Path, typer.Argument(help="CSV file with a header line", show_default=False)]
LevelOpt = Annotated[float, typer.Option(help="Confidence level")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of a table")]
PlotOpt = Annotated[Path | None, typer.Option(help="Write a PNG chart to this path")]


def _num(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def _emit(result: Any, as_json: bool, table: Table, plot: Path | None, plotter: Any) -> None:
    if plot is not None:
        plotter(result, plot)
    if as_json:
        print(json.dumps(jsonable(result), indent=2))
        return
    console.print(table)
    if plot is not None:
        console.print(f"plot written to {plot}")


@app.command()
def prevalence(
    file: FileArg,
    method: Annotated[
        str, typer.Option(help="auto, wilson, clopper-pearson, jeffreys, logit, korn-graubard, wald")
    ] = "auto",
    gold: Annotated[
        Path | None, typer.Option(help="Gold-set CSV (truth,label) to correct for reviewer error")
    ] = None,
    scale: Annotated[int, typer.Option(help="Report per this many items")] = 10_000,
    level: LevelOpt = 0.95,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Prevalence of violating items from a reviewed sample (columns: violating[, stratum, weight,
    cluster, fpc])."""
    if scale < 1:
        raise Invalid("--scale must be at least 1")
    result = service.run_prevalence(
        read_csv(file), method=method, level=level, gold=read_csv(gold) if gold else None
    )
    table = Table(title=result.statement(scale))
    for col in ("", "estimate", "lower", "upper"):
        table.add_column(col, justify="right" if col else "left")
    est, lo, hi = result.per(scale)
    table.add_row(f"per {scale:,} ({result.method}, {result.design})", _num(est, 3), _num(lo, 3), _num(hi, 3))
    table.add_row(f"one-sided {result.level:.0%} upper bound", "", "", _num(result.upper_bound * scale, 3))
    for s in result.strata:
        table.add_row(f"stratum {s.name}: {s.positives:,}/{s.n:,}", _num(s.estimate * scale, 3), "", "")
    if result.correction is not None:
        c = result.correction
        table.add_row(
            f"corrected (Se {c.sensitivity:.3f}, Sp {c.specificity:.3f})",
            _num(c.estimate * scale, 3),
            _num(c.lower * scale, 3),
            _num(c.upper * scale, 3),
        )
    _emit(result, as_json, table, plot, lambda r, p: plots.plot_prevalence(r, p, scale=scale))


@app.command()
def mse(
    file: FileArg,
    method: Annotated[str, typer.Option(help="stepwise, main or fixed")] = "stepwise",
    terms: Annotated[str, typer.Option(help="Two-list terms for --method fixed, e.g. 'A:B,C:D'")] = "",
    pthresh: Annotated[float, typer.Option(help="p-value threshold of the stepwise choice")] = 0.02,
    nboot: Annotated[int, typer.Option(help="Bootstrap replicates for a BCa interval (0: none)")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap")] = 1234,
    profile: Annotated[bool, typer.Option(help="Compute the profile-likelihood interval")] = True,
    count_column: Annotated[str | None, typer.Option(help="Name of the count column")] = None,
    level: LevelOpt = 0.95,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Population size from overlapping lists (one 0/1 column per list and a count column)."""
    report = service.run_mse(
        read_csv(file),
        method=method,
        terms=terms,
        pthresh=pthresh,
        level=level,
        profile=profile,
        nboot=nboot,
        seed=seed,
        count_column=count_column,
    )
    fit = report.fit
    table = Table(
        title=f"{fit.table.n:,} cases on {fit.table.k} lists; model: "
        f"{', '.join(fit.term_names) or 'main effects'}"
    )
    for col in ("interval", "estimate", "lower", "upper"):
        table.add_column(col, justify="left" if col == "interval" else "right")
    table.add_row("Wald (log dark figure)", _num(fit.estimate), _num(report.wald[0]), _num(report.wald[1]))
    if report.profile is not None:
        p = report.profile
        table.add_row("profile likelihood", _num(p.mode), _num(p.lower), _num(p.upper))
    if report.bootstrap is not None:
        b = report.bootstrap
        table.add_row(
            f"BCa bootstrap ({b.nboot:,}, seed {b.seed})", _num(b.estimate), _num(b.lower), _num(b.upper)
        )
    for step in fit.steps:
        table.add_row(f"  + {step.term} (p = {step.p_value:.2g})", _num(step.estimate), "", "")
    _emit(report, as_json, table, plot, plots.plot_mse)


def _known(pairs: list[str]) -> dict[str, float]:
    known: dict[str, float] = {}
    for item in pairs:
        name, sep, size = item.rpartition("=")
        if not sep or not name.strip():
            raise Invalid(f"--known takes NAME=SIZE, got {item!r}")
        try:
            known[name.strip()] = float(size)
        except ValueError:
            raise Invalid(f"--known {item!r}: the size must be a number") from None
    return known


@app.command()
def nsum(
    file: FileArg,
    known: Annotated[list[str], typer.Option(help="A group of known size, NAME=SIZE (repeat for each)")],
    total: Annotated[float, typer.Option(help="Total population size")],
    weight_column: Annotated[str | None, typer.Option(help="Column of survey weights")] = None,
    level: LevelOpt = 0.95,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Network scale-up: sizes of hidden groups from how many members respondents know."""
    result = service.run_nsum(
        read_csv(file), known=_known(known), total=total, weight_column=weight_column, level=level
    )
    table = Table(title=f"{result.respondents:,} respondents; mean network size {result.mean_degree:,.1f}")
    for col in ("group", "Killworth MLE", "lower", "upper", "plug-in", "known size"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for e in result.estimates:
        table.add_row(e.group, _num(e.mle), _num(e.lower), _num(e.upper), _num(e.pimle), "")
    for v in result.validation:
        table.add_row(f"{v.group} (left out)", _num(v.estimate), "", "", "", _num(v.known, 0))
    _emit(result, as_json, table, plot, plots.plot_nsum)


@app.command()
def impact(
    file: FileArg,
    nboot: Annotated[int, typer.Option(help="Cluster-bootstrap replicates (0: delta method only)")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap")] = 1234,
    before: Annotated[str | None, typer.Option(help="Label of the earlier wave")] = None,
    area: Annotated[str | None, typer.Option(help="The intervention area when there are two")] = None,
    level: LevelOpt = 0.95,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Reduction in prevalence between two waves (columns: wave, y[, area, cluster, stratum, weight])."""
    result = service.run_impact(read_csv(file), level=level, nboot=nboot, seed=seed, before=before, area=area)
    table = Table(title=f"impact in {result.area}: {result.before} → {result.after}")
    for col in ("", "estimate", "lower", "upper", "bootstrap lower", "bootstrap upper"):
        table.add_column(col, justify="left" if not col else "right")
    for w in result.waves:
        table.add_row(f"{w.area}, {w.wave} (n={w.n:,})", _num(w.estimate, 4), "", "", "", "")

    def pct(x: float | None) -> str:
        return "—" if x is None or not math.isfinite(x) else f"{x:.1%}"

    rows = [("reduction 1 − p₂/p₁", result.reduction)]
    if result.did is not None:
        rows.append((f"reduction beyond {result.did.comparison_area}", result.did.reduction))
        rows.append(("difference in differences (points)", result.did.difference))
    for label, iv in rows:
        table.add_row(
            label, pct(iv.estimate), pct(iv.lower), pct(iv.upper), pct(iv.boot_lower), pct(iv.boot_upper)
        )
    for note in result.notes:
        table.caption = (table.caption + "; " if table.caption else "") + note
    _emit(result, as_json, table, plot, plots.plot_impact)
