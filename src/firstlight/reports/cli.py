"""``firstlight report``: list, show, render, submit, status, deliver, nca-reference, hold, overdue."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from firstlight.config import get_settings
from firstlight.reports import retention, service, tasks

__all__ = ["app"]

app = typer.Typer(help="Reports to the NCA and NCMEC: tasks, rendering, delivery.",
                  no_args_is_help=True)
console = Console()


def _db():  # imported late: firstlight.cli imports this module while it is being built
    from firstlight.cli import open_database

    return open_database(get_settings())


def _print_tasks(rows: list, now=None) -> None:
    from firstlight.store.db import utcnow

    now = now or utcnow()
    table = Table("id", "case", "priority", "status", "due", "overdue", "reason")
    for task in rows:
        late = task.status in tasks.OPEN_STATUSES and task.due_at < now
        table.add_row(str(task.id), str(task.case_id), task.priority, task.status,
                      task.due_at.isoformat(timespec="seconds"), "OVERDUE" if late else "",
                      task.reason.splitlines()[0][:60])
    console.print(table)


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="open, delivering, delivered, cancelled")] = None,
    limit: int = 100,
) -> None:
    """Report tasks, most urgent first; overdue ones are marked."""
    with _db().session() as session:
        _print_tasks(tasks.list_report_tasks(session, status=status, limit=limit))


@app.command("overdue")
def overdue_cmd() -> None:
    """Tasks past their deadline and not yet delivered (exit code 1 when there are any)."""
    with _db().session() as session:
        rows = tasks.overdue(session)
        _print_tasks(rows)
    if rows:
        raise typer.Exit(1)


@app.command("show")
def show_cmd(task_id: int) -> None:
    """A task, its routing decision and each destination's delivery state (JSON)."""
    with _db().session() as session:
        console.print_json(json.dumps(service.task_status(session, task_id)))


@app.command("status")
def status_cmd(task_id: int) -> None:
    """One line per destination: where delivery stands."""
    with _db().session() as session:
        info = service.task_status(session, task_id)
    console.print(f"task {info['id']} ({info['priority']}) {info['status']}"
                  + (" OVERDUE" if info["overdue"] else ""))
    for sub in info["submissions"]:
        console.print(f"  {sub['destination']}: {sub['state']} {sub['remote_id'] or ''} "
                      f"{sub['last_error'] or ''}".rstrip())


@app.command("render")
def render_cmd(
    task_id: int,
    fmt: Annotated[str, typer.Option("--format", "-f", help="xml (NCMEC), json (NCA), html")] = "json",
) -> None:
    """Print the report as NCMEC XML, the NCA Schedule 1 bundle (JSON) or the portal document (HTML)."""
    with _db().session() as session:
        _, body = service.render_task(session, task_id, fmt)
    sys.stdout.write(body.decode())


@app.command("submit")
def submit_cmd(
    task_id: int,
    deliver: Annotated[bool, typer.Option(help="Deliver now, not only queue")] = True,
) -> None:
    """Freeze the report, queue it for each destination, and deliver it."""
    db = _db()
    with db.begin() as session:
        service.queue_submissions(session, task_id, actor="cli")
    if deliver:
        for result in service.deliver_due(db, task_id=task_id):
            console.print(f"submission {result.submission_id}: {result.state} "
                          f"{result.remote_id or ''} {result.detail}".rstrip())
    status_cmd(task_id)


@app.command("deliver")
def deliver_cmd() -> None:
    """One pass of the delivery worker over every due submission (resumes interrupted ones)."""
    for result in service.deliver_due(_db()):
        console.print(f"submission {result.submission_id}: {result.state} "
                      f"{result.remote_id or ''} {result.detail}".rstrip())


@app.command("nca-reference")
def nca_reference_cmd(
    task_id: int,
    reference: str,
    declared_by: Annotated[str, typer.Option(help="Who made the para 7 declaration")],
) -> None:
    """Record the reference the NCA portal gave for a report you filed there."""
    with _db().begin() as session:
        service.record_nca_reference(session, task_id, reference=reference,
                                     declared_by=declared_by, actor="cli")
    console.print(f"task {task_id}: NCA reference {reference} recorded (kept 5 years)")


@app.command("hold")
def hold_cmd(task_id: int, reason: Annotated[str, typer.Option(help="Why (e.g. LE request)")]) -> None:
    """Place a legal hold on everything a delivered report obliges us to keep."""
    with _db().begin() as session:
        entries = retention.place_hold(session, task_id, actor="cli", reason=reason)
    console.print(f"task {task_id}: {len(entries)} retention entries held")


@app.command("ncmec-test-server")
def ncmec_test_server_cmd(
    xsd: Annotated[Path, typer.Option(help="NCMEC's cyber_tipline.xsd (e.g. ../shared/spec/ncmec/)")],
    port: int = 8089,
    username: str = "esp-user",
    password: str = "esp-pass",
) -> None:
    """Run the local ISPWS test server (for demos; never a real receiver) until Ctrl-C."""
    import time

    from firstlight.errors import Invalid
    from firstlight.reports.testing import NcmecServer

    if not xsd.is_file():
        raise Invalid(f"no XSD at {xsd}")
    server = NcmecServer(xsd_path=xsd, username=username, password=password).start(port)
    console.print(f"local NCMEC test server on {server.base_url} (user {username}); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()
