"""The ``firstlight`` command: one Typer app; each room mounts its own group.

Errors are one clear line on stderr and a non-zero exit code, never a traceback (set
``FIRSTLIGHT_DEBUG=1`` to see one). Commands call the same service functions as the API.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from firstlight import __version__
from firstlight.config import Settings, get_settings
from firstlight.errors import FirstlightError
from firstlight.store import Database, is_current, upgrade

__all__ = ["app", "main"]

app = typer.Typer(
    name="firstlight",
    help="Firstlight: child-safety engine — match, watch, review, report, assess, measure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

# Room command groups: (module with a Typer ``app``, group name). Rooms add one line here.
COMMAND_GROUPS: list[tuple[str, str]] = [
    ("firstlight.banks.cli", "bank"),
    ("firstlight.web.cli", "users"),
    ("firstlight.reports.cli", "report"),
    ("firstlight.compliance.cli", "assess"),
    ("firstlight.detect.cli", "risk"),
    ("firstlight.streams.cli", "streams"),
    ("firstlight.cases.cli", "cases"),
    ("firstlight.evidence.cli", "evidence"),
    ("firstlight.decide.cli", "actions"),
    ("firstlight.measure.cli", "measure"),
]
# Room top-level commands: (module, function name, command name). Rooms add one line here.
TOP_COMMANDS: list[tuple[str, str, str]] = [
    ("firstlight.banks.cli", "match", "match"), ("firstlight.banks.cli", "scan", "scan"),
    ("firstlight.signals.cli", "hash_files", "hash"),
    ("firstlight.streams.cli", "watch", "watch"),
]


def open_database(settings: Settings | None = None) -> Database:
    """The configured database, checked to be migrated (embedded SQLite is migrated on first use)."""
    settings = settings or get_settings()
    db = Database(settings.resolved_database_url)
    auto = settings.auto_migrate if settings.auto_migrate is not None else settings.is_embedded
    if auto:
        upgrade(db)
    elif not is_current(db):
        raise FirstlightError(
            "the database schema is not current: run `firstlight db upgrade` first",
            code="schema_behind",
        )
    return db


@app.command()
def version() -> None:
    """Print Firstlight's version."""
    console.print(f"firstlight {__version__}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Serve the API and console (default 127.0.0.1:8080) and process events."""
    import uvicorn

    from firstlight.api import create_app

    settings = get_settings()
    db = open_database(settings)
    host = host or settings.host
    port = port or settings.port
    err.print(
        f"Firstlight {__version__} on http://{host}:{port} (docs at /docs), "
        f"database {db.engine.url.render_as_string(hide_password=True)}"
    )
    uvicorn.run(create_app(settings, db=db, run_worker=True), host=host, port=port, log_level="info")


db_app = typer.Typer(help="Database schema: upgrade, status.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (all rooms' branches)."""
    settings = get_settings()
    db = Database(settings.resolved_database_url)
    with console.status("Migrating…"):
        upgrade(db)
    console.print(f"Database is current: {db.engine.url.render_as_string(hide_password=True)}")


@db_app.command("status")
def db_status() -> None:
    """Say whether the schema is current."""
    db = Database(get_settings().resolved_database_url)
    if is_current(db):
        console.print("current")
    else:
        raise FirstlightError("behind: run `firstlight db upgrade`", code="schema_behind")


keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            "-s",
            help="Repeatable: events:write, hash:read, banks:write, cases:review, "
            "reports:submit, admin",
        ),
    ],
    name: Annotated[str, typer.Option(help="Who or what uses this key")] = "default",
) -> None:
    """Create a key; its token is printed once and never stored."""
    from firstlight.auth import create_key

    db = open_database()
    with db.begin() as session:
        created = create_key(session, name=name, scopes=scope, actor="cli")
    err.print(f"Created key {created.key_id} ({', '.join(created.scopes)}). Keep the token safe:")
    console.print(created.token)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from firstlight.auth import list_keys

    db = open_database()
    table = Table("key id", "name", "scopes", "created", "revoked")
    with db.session() as session:
        for k in list_keys(session):
            table.add_row(
                k.key_id,
                k.name,
                ", ".join(k.scopes),
                k.created_at.isoformat(timespec="seconds"),
                k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key at once."""
    from firstlight.auth import revoke_key

    db = open_database()
    with db.begin() as session:
        revoke_key(session, key_id, actor="cli")
    console.print(f"Revoked {key_id}")


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the chain and report the first tampered entry (exit 1 if any)."""
    from firstlight.audit import verify

    db = open_database()
    with db.session() as session, console.status("Verifying the audit chain…"):
        result = verify(session)
    if result.ok:
        console.print(f"ok: {result.checked} entries, chain intact")
        return
    err.print(
        f"TAMPERED: entry {result.first_bad_seq}: {result.reason} "
        f"({result.checked} entries verified before it)"
    )
    raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the newest entries."""
    from sqlalchemy import select

    from firstlight.audit import AuditEntry

    db = open_database()
    with db.session() as session:
        rows = list(
            session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit))
        )[::-1]
    if as_json:
        for r in rows:
            print(json.dumps({"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor,
                              "action": r.action, "object_type": r.object_type,
                              "object_id": r.object_id, "details": r.details}))
        return
    table = Table("seq", "at", "actor", "action", "object")
    for r in rows:
        table.add_row(str(r.seq), r.at.isoformat(timespec="seconds"), r.actor, r.action,
                      f"{r.object_type}:{r.object_id}")
    console.print(table)


events_app = typer.Typer(help="Events the platform sent.", no_args_is_help=True)
app.add_typer(events_app, name="events")


@events_app.command("list")
def events_list(
    status: Annotated[str | None, typer.Option(help="pending, processed or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List events in acceptance order with their processing state."""
    from firstlight.events import list_events

    db = open_database()
    table = Table("seq", "id", "type", "received", "status", "attempts", "last error")
    for e in list_events(db, status=status, limit=limit):
        table.add_row(str(e.id), e.event_id, e.type, e.received_at.isoformat(timespec="seconds"),
                      e.status, str(e.attempts), (e.last_error or "")[:60])
    console.print(table)


@events_app.command("process")
def events_process() -> None:
    """Process pending events once (what the worker inside `serve` does continuously)."""
    from firstlight.events import process_pending

    db = open_database()
    summary = process_pending(db)
    console.print(
        f"processed {summary.processed}, retrying {summary.retried}, failed {summary.failed}"
    )


def _mount_rooms() -> None:
    for module_name, group in COMMAND_GROUPS:
        app.add_typer(importlib.import_module(module_name).app, name=group)
    for module_name, function, command in TOP_COMMANDS:
        app.command(command)(getattr(importlib.import_module(module_name), function))


_mount_rooms()


def main() -> None:
    """Entry point: run the app, turning known errors into one line and an exit code."""
    try:
        app()
    except FirstlightError as exc:
        err.print(f"error: {exc.message}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # never show a traceback to the user
        if os.environ.get("FIRSTLIGHT_DEBUG"):
            raise
        err.print(f"error: {type(exc).__name__}: {exc}")
        sys.exit(1)
