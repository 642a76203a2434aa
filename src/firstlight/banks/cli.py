"""``firstlight bank …`` (banks, entries, import/export, exchanges, the index) and the top-level
``firstlight match FILE…`` and ``firstlight scan DIR`` commands. Each calls the same service function as
the API."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from firstlight.errors import Invalid

__all__ = ["app", "match", "scan"]

app = typer.Typer(
    help="Hash banks: create, list, add, import, export, disable; exchanges; the match index.",
    no_args_is_help=True,
)
exchange_app = typer.Typer(
    help="Signal exchanges (NCMEC, StopNCII, ThreatExchange, local file).", no_args_is_help=True
)
app.add_typer(exchange_app, name="exchange")
index_app = typer.Typer(help="The in-memory match index.", no_args_is_help=True)
app.add_typer(index_app, name="index")

console = Console()
err = Console(stderr=True)
ACTOR = "cli"


def _db() -> Any:
    from firstlight.cli import open_database

    return open_database()


def _index_dir() -> Path:
    from firstlight.config import get_settings

    return get_settings().data_dir / "indexes"


def _parse_kv(items: list[str] | None, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise Invalid(f"{what} must be KEY=VALUE, not {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


# --- banks ----------------------------------------------------------------------------------------------


@app.command("create")
def bank_create(
    name: str,
    kind: Annotated[
        str, typer.Option(help="block (known CSAM), allow (known false positives) or survivor")
    ] = "block",
    pdq_threshold: Annotated[
        int | None, typer.Option(help="largest PDQ distance that matches (0-31)")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a bank."""
    from firstlight.banks import create_bank

    with _db().begin() as session:
        info = create_bank(
            session,
            name,
            kind,
            thresholds={"pdq": pdq_threshold} if pdq_threshold is not None else None,
            description=description,
            actor=ACTOR,
        )
    console.print(f"Created {info.kind} bank {info.name!r}")


@app.command("list")
def bank_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List banks with their kinds, thresholds and sizes."""
    from firstlight.banks import list_banks

    with _db().session() as session:
        banks = list_banks(session)
    if as_json:
        print(json.dumps([b.to_dict() for b in banks], indent=2))
        return
    table = Table("name", "kind", "entries", "pdq threshold", "enabled", "description")
    for b in banks:
        table.add_row(
            b.name,
            b.kind,
            str(b.entry_count),
            str(b.threshold("pdq")),
            "yes" if b.enabled else "no",
            b.description or "",
        )
    console.print(table)


@app.command("update")
def bank_update(
    name: str,
    kind: Annotated[str | None, typer.Option()] = None,
    pdq_threshold: Annotated[int | None, typer.Option()] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    description: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Change a bank's kind, PDQ threshold, description, or switch it off and on."""
    from firstlight.banks import update_bank

    with _db().begin() as session:
        info = update_bank(
            session,
            name,
            kind=kind,
            thresholds={"pdq": pdq_threshold} if pdq_threshold is not None else None,
            enabled=enable,
            description=description,
            actor=ACTOR,
        )
    console.print(
        f"{info.name}: {info.kind}, pdq threshold {info.threshold('pdq')}, "
        f"{'enabled' if info.enabled else 'disabled'}"
    )


@app.command("delete")
def bank_delete(name: str, yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Delete a bank and all its entries."""
    from firstlight.banks import delete_bank

    if not yes and not typer.confirm(f"Delete bank {name!r} and all its entries?"):
        raise typer.Exit(1)
    with _db().begin() as session:
        removed = delete_bank(session, name, actor=ACTOR)
    console.print(f"Deleted {name!r} ({removed} entries)")


@app.command("add")
def bank_add(
    bank: str,
    files: Annotated[list[Path] | None, typer.Argument(help="media files to hash and add")] = None,
    hash_: Annotated[
        list[str] | None,
        typer.Option("--hash", help="TYPE:VALUE (e.g. pdq:f8f8…); repeatable, all form one entry"),
    ] = None,
    source: Annotated[str, typer.Option()] = "manual",
    category_iwf: Annotated[str | None, typer.Option(help="IWF category A, B or C")] = None,
    category_ncmec: Annotated[str | None, typer.Option(help="NCMEC/industry class A1, A2, B1 or B2")] = None,
    note: Annotated[str | None, typer.Option()] = None,
    original_id: Annotated[str | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add entries: one per media file, and/or one from --hash values."""
    from firstlight.banks import add_file_to_bank, add_to_bank

    if not files and not hash_:
        raise Invalid("give media files and/or --hash TYPE:VALUE")
    meta = {
        "source": source,
        "category_iwf": category_iwf,
        "category_ncmec": category_ncmec,
        "note": note,
        "actor": ACTOR,
    }
    added = []
    db = _db()
    if hash_:
        pairs = []
        for h in hash_:
            st, sep, value = h.partition(":")
            if not sep:
                raise Invalid(f"--hash must be TYPE:VALUE, not {h!r}")
            pairs.append((st, value))
        with db.begin() as session:
            added.append(add_to_bank(session, bank, pairs, original_id=original_id, **meta))
    for f in files or []:
        with db.begin() as session:
            added.append(add_file_to_bank(session, bank, f, original_id=original_id or f.name, **meta))
    if as_json:
        print(json.dumps([{**e.to_dict(), "created": e.created} for e in added], indent=2))
        return
    for e in added:
        state = "added" if e.created else "already in the bank as"
        console.print(
            f"{state} entry {e.id}: "
            + ", ".join(f"{k} {v[:24]}…" if len(v) > 27 else f"{k} {v}" for k, v in e.signals.items())
        )


@app.command("show")
def bank_show(
    bank: str,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    after_id: Annotated[int, typer.Option()] = 0,
) -> None:
    """Show a bank's entries (paged by id)."""
    from firstlight.banks import get_bank, list_entries

    with _db().session() as session:
        info = get_bank(session, bank)
        rows = list_entries(session, bank, limit=limit, after_id=after_id)
    console.print(f"{info.name}: {info.kind} bank, {info.entry_count} entries")
    table = Table("id", "enabled", "signals", "category", "source", "note")
    for e in rows:
        cat = " ".join(c for c in (e.category_ncmec, e.category_iwf and f"iwf:{e.category_iwf}") if c)
        table.add_row(
            str(e.id), "yes" if e.enabled else "no", ", ".join(e.signals), cat, e.source, (e.note or "")[:40]
        )
    console.print(table)


def _set_enabled(entry_id: int, enabled: bool, reason: str | None) -> None:
    from firstlight.banks import set_entry_enabled

    with _db().begin() as session:
        e = set_entry_enabled(session, entry_id, enabled, reason=reason, actor=ACTOR)
    console.print(f"entry {e.id} of {e.bank_name!r} is now {'enabled' if e.enabled else 'disabled'}")


@app.command("disable")
def bank_disable(entry_id: int, reason: Annotated[str | None, typer.Option()] = None) -> None:
    """Disable an entry: it stops matching at once."""
    _set_enabled(entry_id, False, reason)


@app.command("enable")
def bank_enable(entry_id: int) -> None:
    """Enable a disabled entry again."""
    _set_enabled(entry_id, True, None)


@app.command("import")
def bank_import(
    bank: str,
    file: Annotated[Path, typer.Argument(help="the hash list ('-' for standard input)")],
    fmt: Annotated[
        str, typer.Option("--format", help="local (pytx '<type> <signal>' lines), csv, jsonl")
    ] = "local",
    signal_type: Annotated[str | None, typer.Option(help="for files of bare signals")] = None,
    source: Annotated[str | None, typer.Option(help="provenance recorded on each entry")] = None,
) -> None:
    """Import a hash list into a bank (duplicates are skipped; bad lines are reported)."""
    from firstlight.banks import import_into_bank

    db = _db()
    try:
        stream = sys.stdin if str(file) == "-" else file.open("r", encoding="utf-8-sig")
    except OSError as e:
        raise Invalid(f"cannot read {file}: {e.strerror or e}") from None
    with stream, db.begin() as session, console.status(f"Importing into {bank}…"):
        result = import_into_bank(
            session,
            bank,
            stream,
            fmt,
            signal_type=signal_type,
            source=source or f"import:{file.name}",
            actor=ACTOR,
        )
    console.print(f"added {result.added}, duplicates {result.duplicates}, skipped {result.skipped}")
    for e in result.errors[:20]:
        err.print(f"  line {e.line}: {e.message}")


@app.command("export")
def bank_export(
    bank: str,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default stdout)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="local, csv or jsonl")] = "csv",
    include_disabled: Annotated[bool, typer.Option()] = False,
) -> None:
    """Export a bank as a hash list (pytx formats or Firstlight JSON lines)."""
    from firstlight.banks import export_bank, get_bank

    with _db().session() as session:
        get_bank(session, bank)
        lines = export_bank(session, bank, fmt, include_disabled=include_disabled)
        if output is None:
            for line in lines:
                sys.stdout.write(line)
            return
        with output.open("w", encoding="utf-8", newline="") as f:
            f.writelines(lines)
    err.print(f"wrote {output}")


# --- index ----------------------------------------------------------------------------------------------


@index_app.command("save")
def index_save() -> None:
    """Save a snapshot of the match index in the data dir, so `serve` and `scan` start fast."""
    from firstlight.banks import get_matcher

    matcher = get_matcher(_db(), index_dir=_index_dir())
    with console.status("Loading the index…"):
        matcher.ensure_loaded()
    path = matcher.save()
    console.print(f"saved {path} ({json.dumps(matcher.stats())})")


@index_app.command("status")
def index_status() -> None:
    """Load the index (from the snapshot if there is one) and show its size."""
    from firstlight.banks import get_matcher

    matcher = get_matcher(_db(), index_dir=_index_dir())
    matcher.ensure_loaded()
    print(json.dumps(matcher.stats(), indent=2))


# --- exchanges ------------------------------------------------------------------------------------------


@exchange_app.command("add")
def exchange_add(
    name: str,
    api: Annotated[str, typer.Option(help="local_file, ncmec, stop_ncii or fb_threatexchange")],
    bank: Annotated[
        str | None, typer.Option(help="bank it feeds (default: named after the exchange)")
    ] = None,
    bank_kind: Annotated[str, typer.Option()] = "block",
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE settings of the API, e.g. filename=/lists/x.txt, "
            "environment=test_Industry, base_url=https://…",
        ),
    ] = None,
) -> None:
    """Configure an exchange (credentials come from FIRSTLIGHT_EXCHANGE_<API>_CREDENTIALS)."""
    from firstlight.banks.exchanges import create_exchange

    with _db().begin() as session:
        info = create_exchange(
            session,
            name,
            api,
            bank_name=bank,
            bank_kind=bank_kind,
            config=_parse_kv(setting, "--set"),
            actor=ACTOR,
        )
    console.print(f"Exchange {info.name!r} ({info.api}) feeds bank {info.bank_name!r}")


@exchange_app.command("list")
def exchange_list() -> None:
    """List exchanges with their last fetch."""
    from firstlight.banks.exchanges import list_exchanges

    with _db().session() as session:
        rows = list_exchanges(session)
    table = Table("name", "api", "bank", "enabled", "items", "last fetch", "ok", "credentials")
    for e in rows:
        table.add_row(
            e.name,
            e.api,
            e.bank_name,
            "yes" if e.enabled else "no",
            str(e.fetched_items),
            e.fetch_completed_at.isoformat(timespec="seconds") if e.fetch_completed_at else "",
            {True: "yes", False: "no", None: ""}[e.fetch_succeeded],
            e.credentials_from or "",
        )
    console.print(table)


@exchange_app.command("fetch")
def exchange_fetch(
    name: Annotated[str | None, typer.Argument(help="the exchange (or --all)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every enabled exchange, one after another")] = False,
    max_batches: Annotated[int | None, typer.Option(help="stop after this many batches")] = None,
    force: Annotated[bool, typer.Option(help="take over a fetch that looks stuck")] = False,
) -> None:
    """Fetch new records into the bank; interrupted, it resumes from the last committed batch.

    Run it from cron or a timer (e.g. every 15 minutes with --all) to keep banks current."""
    from firstlight.banks.exchanges import fetch_exchange, list_exchanges
    from firstlight.errors import FirstlightError

    db = _db()
    if all_:
        with db.session() as session:
            names = [e.name for e in list_exchanges(session) if e.enabled]
    elif name:
        names = [name]
    else:
        raise Invalid("name an exchange or pass --all")
    failed = []
    for n in names:
        with console.status(f"Fetching {n}…") as status:
            try:
                result = fetch_exchange(
                    db,
                    n,
                    max_batches=max_batches,
                    force=force,
                    actor=ACTOR,
                    on_batch=lambda r, n=n: status.update(f"Fetching {n}… {r.records} records"),
                )
            except FirstlightError as e:
                if not all_:
                    raise
                failed.append(n)
                err.print(f"{n}: error: {e.message}")
                continue
        console.print(
            f"{n}: {result.batches} batches, {result.records} records, added {result.added}, "
            f"removed {result.removed}, duplicates {result.duplicates}"
            + (", up to date" if result.up_to_date else ", more to fetch")
        )
    if failed:
        raise typer.Exit(2)


@exchange_app.command("reset")
def exchange_reset(name: str) -> None:
    """Forget the checkpoint: the next fetch starts from the beginning."""
    from firstlight.banks.exchanges import update_exchange

    with _db().begin() as session:
        update_exchange(session, name, reset_checkpoint=True, actor=ACTOR)
    console.print(f"{name}: checkpoint cleared")


# --- top-level: match and scan --------------------------------------------------------------------------


def match(
    files: Annotated[list[Path], typer.Argument(help="media files to look up")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
    dihedral: Annotated[bool, typer.Option(help="also match rotated/flipped copies")] = False,
) -> None:
    """Hash files and look them up in every bank. Exit status 1 when a file matched a block bank."""
    from firstlight.banks import get_matcher, match_signals
    from firstlight.errors import FirstlightError
    from firstlight.signals import hash_file

    db = _db()
    get_matcher(db, index_dir=_index_dir())
    blocked = False
    failed = False
    with db.session() as session:
        for f in files:
            try:
                report = match_signals(session, hash_file(f, dihedral=dihedral))
            except FirstlightError as e:
                failed = True
                if as_json:
                    print(json.dumps({"path": str(f), "error": e.message}))
                else:
                    err.print(f"{f}: error: {e.message}")
                continue
            blocked = blocked or bool(report.blocking)
            if as_json:
                print(json.dumps({"path": str(f), **report.explain()}))
                continue
            console.print(f"[bold]{f}[/bold]: {report.explain()['verdict']}")
            for m in report.matches:
                why = f" (suppressed by allow entry {m.suppressed_by.entry_id})" if m.suppressed_by else ""
                console.print(
                    f"  {m.bank_kind} bank {m.bank_name!r} entry {m.entry_id}: {m.signal_type} "
                    f"distance {m.distance}/{m.threshold}"
                    f"{' ' + m.category if m.category else ''}{why}"
                )
    if failed:
        raise typer.Exit(2)
    if blocked:
        raise typer.Exit(1)


def scan(
    folder: Annotated[Path, typer.Argument(help="folder to scan (recursively)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="where matches go")] = Path("matches.jsonl"),
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv (default: from --output)")] = None,
    workers: Annotated[int | None, typer.Option(help="hashing processes (default: one per core)")] = None,
    dihedral: Annotated[bool, typer.Option(help="also match rotated/flipped copies")] = False,
    fast: Annotated[bool, typer.Option(help="faster JPEG decode (about a bit of PDQ drift)")] = False,
    write_all: Annotated[bool, typer.Option("--all", help="write every file, not only matches")] = False,
    restart: Annotated[bool, typer.Option(help="ignore an earlier interrupted run and start over")] = False,
) -> None:
    """Scan a folder tree against the banks, using every core; resumable (re-run the same command)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from firstlight.banks.scan import scan_folder

    fmt = fmt or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
    db = _db()
    with Progress(
        TextColumn("[bold]scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[found]}"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task("scan", total=None, rate="", found="")

        def progress(summary: Any, total: int) -> None:
            rate = summary.scanned / max(1e-9, time.perf_counter() - t0)
            bar.update(
                task,
                total=total,
                completed=summary.skipped + summary.scanned,
                rate=f"{rate:.0f} files/s",
                found=f"{summary.matched} matched",
            )

        t0 = time.perf_counter()
        summary = scan_folder(
            db,
            folder,
            output,
            fmt=fmt,
            workers=workers,
            dihedral=dihedral,
            fast=fast,
            write_all=write_all,
            restart=restart,
            progress=progress,
            index_dir=_index_dir(),
        )
    err.print(
        f"{summary.scanned} files scanned ({summary.skipped} done earlier) in {summary.seconds:.1f}s "
        f"({summary.files_per_second:.0f}/s): {summary.matched} matched, {summary.blocking} blocking, "
        f"{summary.errors} unreadable. Results: {summary.output}"
    )
    for sample in summary.error_samples:
        err.print(f"  {sample}")
