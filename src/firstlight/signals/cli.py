"""``firstlight hash FILE…``: the signals Firstlight derives from each file, as a table or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from firstlight.errors import FirstlightError
from firstlight.signals._hashing import hash_file

__all__ = ["hash_files"]


def hash_files(
    files: Annotated[list[Path], typer.Argument(help="Photos, videos or other files to hash")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    dihedral: Annotated[
        bool, typer.Option("--dihedral", help="Also print PDQ of the 7 rotations/flips")
    ] = False,
    fast: Annotated[
        bool, typer.Option("--fast", help="Fast PDQ (JPEG luma decode; drifts ~1-2 bits)")
    ] = False,
) -> None:
    """Hash files: PDQ, MD5 and SHA-256 for photos; vPDQ, MD5 and SHA-256 for videos.

    A file that cannot be hashed gets a one-line error (its own JSON object with --json); the others are
    still hashed, and the exit code is 2 if any failed.
    """
    console = Console()
    err = Console(stderr=True)
    results: list[dict[str, Any]] = []
    failed = 0
    for file in files:
        try:
            signals = hash_file(file, dihedral=dihedral, fast=fast)
        except FirstlightError as exc:
            failed += 1
            results.append({"file": str(file), **exc.to_dict()})
            if not json_output:
                err.print(f"error: {file}: {exc.message}")
            continue
        results.append({"file": str(file), "signals": [asdict(s) for s in signals]})
    if json_output:
        typer.echo(json.dumps(results, indent=2))
    else:
        table = Table("file", "signal type", "quality", "note")
        table.add_column("signal", overflow="fold")
        for result in results:
            for signal in result.get("signals", []):
                value = signal["value"]
                if len(value) > 72:
                    value = value[:69] + "..."
                note = ", ".join(f"{k}={v}" for k, v in signal["extra"].items())
                quality = "" if signal["quality"] is None else str(signal["quality"])
                table.add_row(result["file"], signal["signal_type"], quality, note, value)
        console.print(table)
    if failed:
        raise typer.Exit(2)
