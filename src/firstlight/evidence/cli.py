"""``firstlight evidence``: holds, purge, custody checks and key rotation (same services as the API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from firstlight import evidence

app = typer.Typer(help="Evidence vault: show, custody, hold, purge, verify, rotate-key.",
                  no_args_is_help=True)
console = Console()
Actor = Annotated[str, typer.Option("--actor", help="Who is doing this (recorded)")]


def _open():
    from firstlight.cli import open_database
    from firstlight.config import get_settings

    settings = get_settings()
    return open_database(settings), evidence.Vault.open(settings)


@app.command("show")
def show_cmd(item_id: int) -> None:
    """An item's record and its chain of custody (JSON; never the media)."""
    db, _ = _open()
    with db.session() as s:
        item = evidence.get_item(s, item_id)
        out = {"id": item.id, "sha256": item.sha256, "md5": item.md5, "size": item.size,
               "media_type": item.media_type, "status": item.status, "key_id": item.key_id,
               "retain_until": item.retain_until, "legal_hold": item.legal_hold, "metadata": item.meta,
               "custody": [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                            "reason": e.reason} for e in evidence.custody_of(s, item_id)]}
    console.print_json(json.dumps(out, default=str))


@app.command("reveal")
def reveal_cmd(item_id: int, out: Annotated[Path, typer.Option("--out", "-o")],
               reason: Annotated[str, typer.Option(help="Why the original is needed")], actor: Actor) -> None:
    """Write the original media to a file (audited); the default everywhere else is the blurred copy."""
    db, vault = _open()
    with db.begin() as s:
        data = evidence.reveal(s, vault, item_id, actor=f"cli:{actor}", reason=reason)
    out.write_bytes(data)
    console.print(f"wrote {len(data)} bytes to {out}")


@app.command("hold")
def hold_cmd(item_id: int, reason: Annotated[str, typer.Option()], actor: Actor) -> None:
    """Place a legal hold (the purge skips the item until released)."""
    db, _ = _open()
    with db.begin() as s:
        evidence.place_hold(s, item_id, actor=f"cli:{actor}", reason=reason)
    console.print(f"evidence {item_id} on legal hold")


@app.command("release")
def release_cmd(item_id: int, reason: Annotated[str, typer.Option()], actor: Actor) -> None:
    """Release a legal hold."""
    db, _ = _open()
    with db.begin() as s:
        evidence.release_hold(s, item_id, actor=f"cli:{actor}", reason=reason)
    console.print(f"evidence {item_id} released")


@app.command("purge")
def purge_cmd() -> None:
    """Delete files past retention and not on hold (each deletion recorded)."""
    db, vault = _open()
    with db.begin() as s:
        purged = evidence.purge_expired(s, vault, actor="cli:purge")
    console.print(f"purged {len(purged)} item(s): {purged}")


@app.command("verify")
def verify_cmd() -> None:
    """Recompute the chain of custody (exit 1 on a break)."""
    db, _ = _open()
    with db.session() as s:
        result = evidence.verify_custody(s)
    if result.ok:
        console.print(f"ok: {result.checked} custody entries, chain intact")
        return
    console.print(f"TAMPERED at entry {result.first_bad_seq}: {result.reason}")
    raise typer.Exit(1)


@app.command("rotate-key")
def rotate_cmd(reseal: Annotated[bool, typer.Option(help="Re-encrypt existing files too")] = False) -> None:
    """Make a new vault key current (local key ring); optionally re-encrypt every preserved file."""
    db, vault = _open()
    kid = vault.rotate()
    moved = 0
    if reseal:
        with db.begin() as s:
            for item in evidence.list_items(s, status="preserved", limit=1000):
                if item.blob_path and item.key_id != kid:
                    item.key_id = vault.reseal(item.uid, item.blob_path)
                    evidence.append_custody(s, item_id=item.id, actor="cli:rotate-key", action="reseal",
                                            details={"key_id": kid})
                    moved += 1
    console.print(f"current key is now {kid}; re-encrypted {moved} file(s)")
