"""``firstlight cases``: the review queue from the command line (same services as ``/v1/cases``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from firstlight import cases

app = typer.Typer(help="Review queue: list, show, claim, decide.", no_args_is_help=True)
console = Console()
Reviewer = Annotated[str, typer.Option("--reviewer", "-r", help="Your name (recorded in the audit log)")]


def _db():  # imported late: firstlight.cli mounts this module while it is being imported
    from firstlight.cli import open_database

    return open_database()


@app.command("queue")
def queue_cmd(limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Active cases, most urgent first."""
    with _db().session() as s:
        found = cases.queue(s, limit=limit)
        rows = [{"id": c.id, "subject": c.subject_account, "status": c.status, "priority": c.priority,
                 "items": c.item_count, "claimed_by": c.claimed_by} for c in found]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("case", "subject", "status", "priority", "items", "claimed by")
    for r in rows:
        table.add_row(str(r["id"]), r["subject"], r["status"], f"{r['priority']:.1f}", str(r["items"]),
                      r["claimed_by"] or "")
    console.print(table)


@app.command("show")
def show_cmd(case_id: int) -> None:
    """A case with its items and each item's explanation (JSON)."""
    with _db().session() as s:
        case = cases.get_case(s, case_id)
        out = {"id": case.id, "subject_account": case.subject_account, "status": case.status,
               "priority": case.priority, "category": case.category,
               "items": [{"content_id": i.content_id, "event_id": i.event_id, "rule": i.rule,
                          "outcome": i.outcome, "evidence_id": i.evidence_id,
                          "reason": i.explanation.get("reason")} for i in cases.case_items(s, case_id)]}
    console.print_json(json.dumps(out, default=str))


@app.command("claim")
def claim_cmd(case_id: int, reviewer: Reviewer) -> None:
    """Claim a case for review."""
    with _db().begin() as s:
        cases.claim(s, case_id, reviewer=f"cli:{reviewer}")
    console.print(f"case {case_id} claimed by {reviewer}")


@app.command("decide")
def decide_cmd(
    case_id: int,
    decision: Annotated[str, typer.Argument(help="confirm | false_positive | escalate")],
    reviewer: Reviewer,
    category: Annotated[str | None, typer.Option(help="confirm: A/B/C or A1/A2/B1/B2")] = None,
    note: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[str, typer.Option(help="report priority P1/P2/P3")] = "P2",
) -> None:
    """Decide a case you have claimed."""
    with _db().begin() as s:
        result = cases.decide_case(s, case_id, reviewer=f"cli:{reviewer}", decision=decision,
                                   category=category, note=note, report_priority=priority)
        status = result.case.status
    extra = f", report task {result.report_task_id}" if result.report_task_id else ""
    if result.allow_listed:
        extra += f", {len(result.allow_listed)} hashes added to the allow bank"
    console.print(f"case {case_id}: {status}{extra}")
