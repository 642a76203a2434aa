"""``firstlight risk``: inspect an account's or a session's risk, confirm accounts, load indicator and
term lists, and run the evaluation harness. Each command calls the same service as the API."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from firstlight.detect._types import RiskScore
from firstlight.errors import Invalid

app = typer.Typer(help="Session risk: inspect, confirm, lists, evaluate.", no_args_is_help=True)
terms_app = typer.Typer(help="Operator term lists for chat and payment notes.", no_args_is_help=True)
app.add_typer(terms_app, name="terms")
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AtOpt = Annotated[str | None, typer.Option("--at", help="ISO time to evaluate at (default: now).")]


def _at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"--at is not an ISO date-time: {value!r}") from exc
    if at.tzinfo is None:
        raise Invalid("--at needs a timezone, e.g. 2026-03-01T12:00:00+00:00")
    return at


def _show(risk: RiskScore, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(risk.as_dict()))
        return
    capped = " (population features capped)" if risk.population_capped else ""
    console.print(f"[bold]{risk.subject}[/bold]  score {risk.score:.3f}  tier {risk.tier_hint}{capped}")
    table = Table("feature", "weight", "value", "adds", "population", "why")
    for c in risk.contributions:
        table.add_row(c.feature, f"{c.weight:g}", f"{c.value:.2f}", f"{c.logit:+.2f}",
                      "yes" if c.population_level else "", c.explanation)
    console.print(table)


@app.command("account")
def account_cmd(account_id: str, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """Show an account's risk and every contribution to it."""
    from firstlight.cli import open_database
    from firstlight.detect.prior import account_risk

    with open_database().session() as s:
        _show(account_risk(s, account_id, at=_at(at)), as_json)


@app.command("session")
def session_cmd(stream_id: str, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """Show a stream's or private call's risk (prior plus decayed in-stream evidence)."""
    from firstlight.cli import open_database
    from firstlight.detect.prior import get_session_risk

    with open_database().session() as s:
        _show(get_session_risk(s, stream_id, at=_at(at)), as_json)


@app.command("confirm")
def confirm_cmd(
    account_id: str,
    actor: Annotated[str, typer.Option(help="Who confirmed (recorded in the audit log).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Mark an account confirmed and show the accounts its payments link to (network expansion)."""
    from firstlight.cli import open_database
    from firstlight.detect.prior import on_account_confirmed

    with open_database().begin() as s:
        expansion = on_account_confirmed(s, account_id, actor=actor)
    if as_json:
        console.print_json(json.dumps(expansion.as_dict()))
        return
    console.print(f"{account_id} confirmed; {len(expansion.linked)} linked account(s)")
    for x in expansion.linked:
        console.print(f"  {x.account_id}: {x.payments} payment(s), score {x.risk.score:.3f} "
                      f"tier {x.risk.tier_hint}")


@app.command("list-add")
def list_add_cmd(
    list_name: str,
    path: Annotated[Path, typer.Argument(help="File with one account id per line (# comments).")],
) -> None:
    """Add account ids to an indicator list (e.g. known facilitators from a shared-signal programme)."""
    from firstlight.cli import open_database
    from firstlight.detect.ledger import add_list_entries

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read {path}: {exc}") from exc
    with open_database().begin() as s:
        added = add_list_entries(s, list_name, lines, source=path.name)
    console.print(f"{added} new entr{'y' if added == 1 else 'ies'} in {list_name}")


@terms_app.command("check")
def terms_check_cmd(paths: Annotated[list[Path], typer.Argument(help="Files or folders.")]) -> None:
    """Load term lists as the detector would and count terms per category (terms are not printed)."""
    from firstlight.detect.termlists import load_term_lists

    terms = load_term_lists(paths)
    table = Table("category", "terms", "trend queries")
    for cat in terms.categories:
        table.add_row(cat, str(len(terms.terms.get(cat, ()))), str(len(terms.queries.get(cat, ()))))
    console.print(table)
    console.print(f"{terms.size} entries from {len(terms.sources)} file(s)")


@app.command("evaluate")
def evaluate_cmd(
    quick: Annotated[bool, typer.Option("--quick", help="A small scenario (seconds, for CI).")] = False,
    seed: Annotated[int | None, typer.Option(help="Scenario seed.")] = None,
    budget: Annotated[float, typer.Option(help="Share of benign accounts that may be flagged.")] = 0.01,
    config: Annotated[Path | None, typer.Option(help="Risk config TOML to evaluate.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the synthetic scenario through the detector and print recall, time to alert and F_latency."""
    from dataclasses import replace

    from firstlight.detect.config import get_risk_config, load_risk_config
    from firstlight.detect.evaluate import evaluate
    from firstlight.detect.scenarios import ScenarioParams

    if not 0 < budget < 1:
        raise Invalid("--budget must be between 0 and 1")
    params = ScenarioParams.quick() if quick else ScenarioParams()
    if seed is not None:
        params = replace(params, seed=seed)
    cfg = load_risk_config(config) if config else get_risk_config()
    with console.status("Running the scenario…"):
        report = evaluate(params, config=cfg, budget=budget)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    else:
        console.print(report.as_markdown(), markup=False, highlight=False, soft_wrap=True)
