"""``firstlight actions``: the webhook outbox (list, retry, deliver, stats) and the decision policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from firstlight import decide

app = typer.Typer(help="Webhook actions: list, retry, deliver, stats; policy check.",
                  no_args_is_help=True)
console = Console()


def _db():
    from firstlight.cli import open_database

    return open_database()


@app.command("list")
def list_cmd(status: Annotated[str | None, typer.Option(help="pending | delivered | dead")] = None,
             limit: Annotated[int, typer.Option(min=1, max=1000)] = 50) -> None:
    """Outbox actions (``--status dead`` shows the dead letters)."""
    with _db().session() as s:
        rows = decide.list_actions(s, status=status, limit=limit)
        table = Table("id", "kind", "status", "attempts", "key", "ms to action", "last error")
        for a in rows:
            table.add_row(str(a.id), a.kind, a.status, str(a.attempts), a.idempotency_key,
                          "" if a.time_to_action_ms is None else str(a.time_to_action_ms),
                          (a.last_error or "")[:60])
    console.print(table)


@app.command("retry")
def retry_cmd(action_id: int) -> None:
    """Put a dead action back in the queue."""
    with _db().begin() as s:
        decide.retry_action(s, action_id, actor="cli")
    console.print(f"action {action_id} queued again")


@app.command("deliver")
def deliver_cmd() -> None:
    """Run one pass of the outbox worker now (``serve`` does this continuously)."""
    result = decide.deliver_due(_db())
    console.print(f"delivered {result.delivered}, retrying {result.retried}, dead {result.dead}")


@app.command("stats")
def stats_cmd() -> None:
    """Time to takedown: event accepted → action delivered (ms)."""
    with _db().session() as s:
        console.print_json(json.dumps(decide.takedown_stats(s)))


@app.command("policy")
def policy_cmd(path: Annotated[Path | None, typer.Argument(help="TOML/YAML file; default built in")]
               = None) -> None:
    """Load and check a decision policy, then print its rules in order."""
    policy = decide.Policy.load(path)
    console.print(f"policy {policy.name!r} v{policy.version} ({policy.source}); "
                  f"weak_ratio {policy.weak_ratio}; scanned surfaces {', '.join(policy.surfaces)}")
    for n, r in enumerate(policy.rules, start=1):
        report = f"report {r.report_priority}" if r.report else "no report"
        console.print(f"{n}. {r.name}: when {json.dumps(dict(r.when))} -> {r.outcome}; "
                      f"actions {', '.join(r.actions) or 'none'}; case {r.open_case}; "
                      f"preserve {r.preserve}; {report}; severity {r.severity}")
