"""``firstlight assess``: the service profile, risk assessments, records, transparency and the check.

firstlight assess profile set profile.toml     store the service profile (a new version if changed)
firstlight assess run [--profile FILE]         assess and record the next immutable version
firstlight assess show [VERSION] --format pdf  the record as text, JSON, HTML or PDF
firstlight assess history                      every version, what triggered it, what changed
firstlight assess transparency --format pdf    transparency data as HTML, PDF, CSV or JSON
firstlight assess --check                      the regulator's view; exit 1 if anything fails
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from firstlight.compliance import service
from firstlight.compliance.catalogue import load_catalogue
from firstlight.compliance.check import CheckResult
from firstlight.compliance.profile import ProfileDocument, load_profile
from firstlight.compliance.records import current_profile, history, verify_records
from firstlight.config import get_settings
from firstlight.errors import Invalid

__all__ = ["app"]

app = typer.Typer(
    help="Online Safety Act records: profile, risk assessment, Codes measures, transparency, check.",
    no_args_is_help=True,
    invoke_without_command=True,
)
profile_app = typer.Typer(
    help="The service profile (Ofcom's Risk Profile facts and operator input).", no_args_is_help=True
)
app.add_typer(profile_app, name="profile")
console = Console()
err = Console(stderr=True)

ProfileOpt = Annotated[
    Path | None, typer.Option("--profile", "-p", help="Profile file (.toml/.yaml/.json); default: stored")
]
AuthorOpt = Annotated[str, typer.Option(help="Who is recording this (kept in the record and audit log)")]
SEVERITY_STYLE = {"fail": "bold red", "warn": "yellow", "info": "dim"}
STATUS_STYLE = {
    "evidenced": "green",
    "stated": "cyan",
    "alternative": "yellow",
    "missing": "bold red",
    "undetermined": "yellow",
    "upcoming": "dim",
}


def _db():  # imported late: firstlight.cli imports this module while it is being built
    from firstlight.cli import open_database

    return open_database(get_settings())


def _document(path: Path | None) -> ProfileDocument | None:
    return load_profile(path) if path is not None else None


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"dates are YYYY-MM-DD, not {value!r}") from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def _print_check(result: CheckResult) -> None:
    table = Table("severity", "finding", "duty", title="Enforcement check")
    for f in result.findings:
        table.add_row(f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/]", f.message, f.ref)
    if result.findings:
        console.print(table)
    fails = len(result.failures)
    if result.ok:
        console.print(f"[green]PASS[/]: no failing findings ({len(result.findings)} to note)")
    else:
        console.print(f"[bold red]FAIL[/]: {fails} failing finding(s)")


@app.callback()
def main(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Run the enforcement check (exit 1 on failures)")
    ] = False,
    profile: ProfileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --check: print JSON")] = False,
) -> None:
    """Online Safety Act records; `firstlight assess --check` gives the regulator's view."""
    if ctx.invoked_subcommand is not None:
        return
    if not check:
        console.print(ctx.get_help())
        return
    document = _document(profile)
    with _db().session() as session:
        result = service.run_check(session, get_settings(), document=document)
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        _print_check(result)
    if not result.ok:
        raise typer.Exit(1)


@profile_app.command("set")
def profile_set(path: Path, author: AuthorOpt = "cli") -> None:
    """Validate a profile file and store it as the current profile."""
    document = load_profile(path)
    with _db().begin() as session:
        row, created = service.set_profile(session, document, author=author)
        version = row.version
    console.print(
        f"profile version {version} {'stored' if created else 'unchanged'} ({document.service.name})"
    )


@profile_app.command("show")
def profile_show() -> None:
    """Print the current profile as JSON."""
    with _db().session() as session:
        stored = current_profile(session)
    if stored is None:
        raise Invalid("no service profile stored yet: `firstlight assess profile set FILE`")
    print(json.dumps({"version": stored[0].version, **stored[1].model_dump(mode="json")}, indent=2))


def _print_assessment(assessment, header: str) -> None:  # type: ignore[no-untyped-def]
    console.print(header)
    levels = Table("kind of harm", "level", "basis", "why", title="Risk levels")
    for h in assessment.risk.harms.values():
        level = str(h.level) if h.level is not None else "[bold red]not assessed[/]"
        levels.add_row(h.name, level, h.basis.replace("_", " "), h.decisive)
    console.print(levels)
    measures = Table("measure", "title", "status", "conf.", title="Codes measures that apply")
    for m in assessment.measures:
        if m.applies is False:
            continue
        style = STATUS_STYLE.get(m.status, "")
        measures.add_row(m.id, m.title, f"[{style}]{m.status}[/]" if style else m.status, m.confidence)
    console.print(measures)


@app.command("run")
def run(
    profile: ProfileOpt = None,
    author: AuthorOpt = "cli",
    reason: Annotated[str | None, typer.Option(help="Why this assessment (kept in the record)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute and show; record nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Assess the risk and record the result as the next immutable version."""
    document = _document(profile)
    settings = get_settings()
    db = _db()
    if dry_run:
        with db.session() as session:
            assessment = service.preview_assessment(session, settings, document=document)
        if as_json:
            print(assessment.model_dump_json(indent=2))
        else:
            _print_assessment(assessment, "[bold]Draft assessment (not recorded)[/]")
        return
    with db.begin() as session:
        result = service.run_assessment(session, settings, author=author, document=document, reason=reason)
        row = result.record
        header = (
            f"[bold]Recorded assessment version {row.version}[/] ({row.trigger}"
            f"{': ' + row.reason if row.reason else ''}); review due {row.review_due:%Y-%m-%d}; "
            f"SHA-256 {row.content_hash}"
        )
    if as_json:
        print(
            json.dumps(
                {
                    "version": row.version,
                    "content_hash": row.content_hash,
                    "review_due": row.review_due.isoformat(),
                    "trigger": row.trigger,
                    "levels": row.levels,
                },
                indent=2,
            )
        )
    else:
        _print_assessment(result.assessment, header)


@app.command("show")
def show(
    version: Annotated[int | None, typer.Argument(help="Record version; default the latest")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json, html or pdf")] = "text",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file")] = None,
) -> None:
    """Show a recorded assessment (the s.23 record) as text, JSON, HTML or PDF."""
    if fmt not in ("text", "json", "html", "pdf"):
        raise Invalid("format must be text, json, html or pdf")
    with _db().session() as session:
        row, assessment = service.assessment_for(session, version)
    from firstlight.compliance import render  # matplotlib and reportlab load only when a document is made

    if fmt == "text":
        _print_assessment(
            assessment,
            f"[bold]Assessment version {row.version}[/] by {row.author}, "
            f"{row.created_at:%Y-%m-%d}, review due {row.review_due:%Y-%m-%d}",
        )
        return
    body: str | bytes = {
        "json": lambda: json.dumps(
            {"version": row.version, "content_hash": row.content_hash, **row.body}, indent=2
        ),
        "html": lambda: render.assessment_html(assessment, row),
        "pdf": lambda: render.assessment_pdf(assessment, row),
    }[fmt]()
    _write(body, out)


@app.command("history")
def history_cmd() -> None:
    """Every recorded version: when, by whom, why, its review date and what changed."""
    with _db().session() as session:
        entries = history(session)
    table = Table("version", "recorded", "author", "trigger", "review due", "changes")
    for e in entries:
        changes = "; ".join(e.level_changes + e.measure_changes) or (e.reason or "")
        table.add_row(
            str(e.version),
            f"{e.created_at:%Y-%m-%d %H:%M}",
            e.author,
            e.trigger,
            f"{e.review_due:%Y-%m-%d}",
            changes,
        )
    console.print(table)


@app.command("verify")
def verify() -> None:
    """Recompute every record's hash and link (exit 1 if a record was altered)."""
    with _db().session() as session:
        result = verify_records(session)
    if result.ok:
        console.print(f"ok: {result.checked} assessment record(s), chain intact")
        return
    err.print(f"TAMPERED: version {result.first_bad_version}: {result.reason}")
    raise typer.Exit(1)


@app.command("measures")
def measures() -> None:
    """The Codes measures Firstlight checks, with their conditions and confidence."""
    catalogue = load_catalogue()
    table = Table("id", "title", "applies if", "conf.", title=f"{catalogue.code} ({catalogue.version})")
    for m in catalogue.measures:
        table.add_row(m.id, m.title, m.applies_if, m.confidence)
    console.print(table)


@app.command("transparency")
def transparency_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, pdf, csv or json")] = "html",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file")] = None,
    since: Annotated[str | None, typer.Option(help="Period start, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Period end, YYYY-MM-DD (inclusive)")] = None,
) -> None:
    """Transparency data: detections, actions, time to takedown, reports, cross-border breakdown."""
    from firstlight.compliance import render

    if fmt not in render.FORMATS:
        raise Invalid(f"format must be one of {', '.join(render.FORMATS)}")
    with _db().session() as session:
        data = service.gather_transparency(
            session, get_settings(), since=_day(since), until=_day(until, end=True)
        )
    body: str | bytes = {
        "html": lambda: render.transparency_html(data),
        "pdf": lambda: render.transparency_pdf(data),
        "csv": lambda: render.transparency_csv(data),
        "json": lambda: data.model_dump_json(indent=2),
    }[fmt]()
    _write(body, out)


def _write(body: str | bytes, out: Path | None) -> None:
    if out is not None:
        if isinstance(body, bytes):
            out.write_bytes(body)
        else:
            out.write_text(body, encoding="utf-8")
        err.print(f"wrote {out}")
    elif isinstance(body, bytes):
        if sys.stdout.isatty():
            raise Invalid("a PDF is binary: give --out FILE")
        sys.stdout.buffer.write(body)
    else:
        print(body)
