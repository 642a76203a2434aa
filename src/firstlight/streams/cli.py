"""``firstlight watch URL`` and ``firstlight streams list|show``.

``watch`` monitors one stream from the command line exactly as ``serve`` would (same worker, same tiers,
same actions through the webhook outbox when one is configured) and prints each escalation as it happens.
With ``--hashes FILE`` (pytx's local-file format: ``pdq <hex>`` lines) it runs without a database: a dry run
that matches against those hashes and acts on nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from firstlight.errors import Invalid

__all__ = ["app", "watch"]

app = typer.Typer(help="Livestream sessions: list, show.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _load_hashes(path: Path) -> list[tuple[str, str, str, int, int]]:
    entries = []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2 or parts[0] != "pdq" or len(parts[1]) != 64:
            raise Invalid(f"{path}:{number}: expected 'pdq <64 hex digits>'")
        try:
            int(parts[1], 16)
        except ValueError as exc:
            raise Invalid(f"{path}:{number}: not a hex PDQ hash") from exc
        entries.append((parts[1].lower(), path.stem, "block", number, 31))
    return entries


def _print_escalation(e: dict[str, Any], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps({"event": "escalation", **e}, default=str))
        return
    t = e.get("stream_time_s")
    where = f"{t:7.2f} s" if t is not None else "  start  "
    colour = {"T1": "yellow", "T2": "orange3", "T3": "red"}.get(e["to_tier"], "white")
    console.print(f"[{colour}]{where}  {e['from_tier']}→{e['to_tier']}  {e['rule']}[/]: {e['summary']}")


class _PrintSink:
    """Dry-run sink: prints, keeps nothing."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def escalated(self, live, escalation, frame, findings) -> None:  # type: ignore[no-untyped-def]
        _print_escalation(escalation.explanation() | {"rule": escalation.rule}, self.as_json)

    def preserve(self, live, frame, findings) -> None:  # type: ignore[no-untyped-def]
        return None

    def progress(self, live) -> None:  # type: ignore[no-untyped-def]
        return None

    def closed(self, live) -> None:  # type: ignore[no-untyped-def]
        return None


def watch(
    url: Annotated[str, typer.Argument(help="rtmp://, rtsp://, srt://, https://….m3u8 or a file")],
    stream_id: Annotated[str | None, typer.Option(help="Session id (default: generated)")] = None,
    streamer: Annotated[str, typer.Option(help="Streamer account id")] = "cli",
    tier: Annotated[str, typer.Option(help="Starting tier: T0 (keyframes) or T1/T2 (dense)")] = "T0",
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds")] = None,
    hashes: Annotated[
        Path | None, typer.Option(help="Dry run against 'pdq <hex>' lines, without a database")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """Watch a livestream: sample, hash, match and escalate until it ends."""
    from firstlight.streams.pull import redact_url
    from firstlight.streams.tiers import StreamContext, Tier

    stream_id = stream_id or f"cli-{uuid.uuid4().hex[:8]}"
    start_tier = Tier.parse(tier)
    if start_tier >= Tier.T3:
        raise Invalid("--tier may be T0, T1 or T2")
    err.print(f"watching {redact_url(url)} as stream {stream_id} from {start_tier.label}")
    started = time.monotonic()
    if hashes is not None:
        from firstlight.streams.matching import StaticFrameMatcher
        from firstlight.streams.worker import StreamWorker

        worker = StreamWorker(_PrintSink(as_json), matcher=StaticFrameMatcher(_load_hashes(hashes)))
        try:
            live = worker.open(StreamContext(stream_id, streamer), ingest="pull", url=url,
                               start_tier=start_tier)
            _wait(worker, stream_id, duration, started)
        finally:
            worker.shutdown()
        _summary(live.snapshot() | {"tier": live.tier.label, "status": live.close_reason}, as_json,
                 time.monotonic() - started)
        return
    _watch_with_database(url, stream_id, streamer, start_tier, duration, as_json, started)


def _wait(worker: Any, stream_id: str, duration: float | None, started: float) -> None:
    while stream_id in worker:
        if duration is not None and time.monotonic() - started >= duration:
            worker.end(stream_id, "cli duration reached")
            worker.wait_closed(stream_id, 30)
            break
        time.sleep(0.2)


def _watch_with_database(
    url: str, stream_id: str, streamer: str, start_tier: Any, duration: float | None, as_json: bool,
    started: float,
) -> None:
    from firstlight.cli import open_database
    from firstlight.config import get_settings
    from firstlight.streams.engine import get_worker, shutdown_workers
    from firstlight.streams.service import end_stream, get_stream, start_stream

    settings = get_settings()
    db = open_database(settings)
    worker = get_worker(db, settings)
    assert worker is not None
    with db.begin() as session:
        start_stream(session, {"stream_id": stream_id, "streamer_account": streamer, "stream_url": url},
                     prior_tier=start_tier.label, allow_files=True)
    shown = 0
    state: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 10
        while stream_id not in worker and time.monotonic() < deadline:
            time.sleep(0.05)
        while True:
            with db.session() as session:
                state = get_stream(session, stream_id).as_dict()
            for e in state["escalations"][shown:]:
                _print_escalation(e, as_json)
            shown = len(state["escalations"])
            if stream_id not in worker:
                break
            if duration is not None and time.monotonic() - started >= duration:
                with db.begin() as session:
                    end_stream(session, stream_id, reason="cli duration reached")
                worker.wait_closed(stream_id, 30)
            time.sleep(0.3)
        with db.session() as session:
            state = get_stream(session, stream_id).as_dict()
        for e in state["escalations"][shown:]:
            _print_escalation(e, as_json)
    except KeyboardInterrupt:
        with db.begin() as session:
            end_stream(session, stream_id, reason="cli interrupted")
        worker.wait_closed(stream_id, 15)
        raise
    finally:
        shutdown_workers()
    _summary(state, as_json, time.monotonic() - started)


def _summary(state: dict[str, Any], as_json: bool, seconds: float) -> None:
    if as_json:
        console.print_json(json.dumps({"event": "summary", "wall_seconds": round(seconds, 2), **state},
                                      default=str))
        return
    ttfa = state.get("time_to_first_alert_s")
    console.print(
        f"stream {state['stream_id']}: {state.get('status')}, tier {state['tier']}, "
        f"{state['frames_analysed']} frames analysed, {state.get('frames_dropped', 0)} dropped"
        + (f", first alert after {ttfa:.2f} s" if ttfa is not None else "")
    )


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="live, ended, actioned, ...")] = None,
    limit: Annotated[int, typer.Option(help="Most recent N")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List sessions, newest first."""
    from firstlight.cli import open_database
    from firstlight.streams.service import StreamState, list_streams

    db = open_database()
    with db.session() as session:
        rows = [StreamState(r, []).as_dict() for r in list_streams(session, status=status, limit=limit)]
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    table = Table("stream", "status", "tier", "ingest", "streamer", "frames", "first alert (s)")
    for r in rows:
        ttfa = r["time_to_first_alert_s"]
        table.add_row(r["stream_id"], r["status"], r["tier"], r["ingest"], r["streamer_account"],
                      str(r["frames_analysed"]), "" if ttfa is None else f"{ttfa:.2f}")
    console.print(table)


@app.command("show")
def show_command(
    stream_id: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One session: state, metrics and every escalation with its explanation."""
    from firstlight.cli import open_database
    from firstlight.streams.service import get_stream

    db = open_database()
    with db.session() as session:
        state = get_stream(session, stream_id).as_dict()
    if as_json:
        console.print_json(json.dumps(state, default=str))
        return
    _summary(state, False, 0.0)
    for e in state["escalations"]:
        _print_escalation(e, False)
