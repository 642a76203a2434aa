"""Bulk scan of a folder tree against the banks: hashing on every core, matching in one place, resumable.

How it works: the files under the folder are listed in a stable order; worker processes (one per core by
default) hash them (``firstlight.signals.hash_file``: PDQ/MD5/SHA-256 for photos, vPDQ and hashes for video);
the parent process looks each file's signals up (``match_signals``) and writes the results.

Resumable after an interruption (Ctrl-C, a crash, a reboot): results are appended to the output and flushed
to disk *before* the file's path is appended to the state file (``<output>.state``). A re-run skips every
path in the state file, and a path that had reached the output but not the state file is not written twice.

Output: JSON Lines (one object per file that matched or failed; ``--all`` writes every file) or CSV (one row
per match, plus one row per failed file with its error).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firstlight.errors import FirstlightError, Invalid

__all__ = ["ScanSummary", "iter_files", "scan_folder"]

CSV_COLUMNS = [
    "path",
    "bank",
    "bank_kind",
    "entry_id",
    "signal_type",
    "distance",
    "threshold",
    "category",
    "source",
    "suppressed_by_entry",
    "query_signal",
    "error",
]
CHUNK = 16  # files per task sent to a worker: large enough to amortise the round trip


@dataclass
class ScanSummary:
    """What a scan did (this run only; ``skipped`` counts files done by an earlier, interrupted run)."""

    files: int = 0
    scanned: int = 0
    skipped: int = 0
    matched: int = 0
    blocking: int = 0
    errors: int = 0
    seconds: float = 0.0
    output: str = ""
    state: str = ""
    interrupted: bool = False
    error_samples: list[str] = field(default_factory=list)

    @property
    def files_per_second(self) -> float:
        return self.scanned / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "scanned": self.scanned,
            "skipped": self.skipped,
            "matched": self.matched,
            "blocking": self.blocking,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.files_per_second, 1),
            "output": self.output,
            "state": self.state,
            "interrupted": self.interrupted,
        }


def iter_files(root: Path) -> Iterator[Path]:
    """Regular files under ``root`` in a stable order (sorted per folder); symlinks are not followed."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(Path(e.path))
                elif e.is_file(follow_symlinks=False):
                    yield Path(e.path)
            except OSError:
                continue
        stack.extend(reversed(subdirs))


def _hash_chunk(
    args: tuple[list[str], bool, bool],
) -> list[tuple[str, list[tuple[str, str, Any, dict]] | str]]:
    """Worker: hash files; a file that fails gives its error message instead of signals."""
    from firstlight.signals import hash_file

    paths, dihedral, fast = args
    out: list[tuple[str, Any]] = []
    for p in paths:
        try:
            signals = hash_file(p, dihedral=dihedral, fast=fast)
            out.append((p, [(s.signal_type, s.value, s.quality, dict(s.extra or {})) for s in signals]))
        except FirstlightError as e:
            out.append((p, e.message))
        except Exception as e:  # a decoder bug must not stop a scan of a million files
            out.append((p, f"{type(e).__name__}: {e}"))
    return out


def _worker_init() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except Exception:
        pass


def _read_done(state: Path) -> set[str]:
    if not state.exists():
        return set()
    with state.open("r", encoding="utf-8", errors="replace") as f:
        return {line.rstrip("\n") for line in f if line.strip()}


def _read_reported(output: Path, fmt: str) -> set[str]:
    """Paths already present in an output file (so a resumed scan does not write them twice)."""
    if not output.exists():
        return set()
    out: set[str] = set()
    with output.open("r", encoding="utf-8", errors="replace") as f:
        if fmt == "jsonl":
            for line in f:
                try:
                    out.add(json.loads(line)["path"])
                except (ValueError, KeyError, TypeError):
                    continue
        else:
            for row in csv.DictReader(f):
                if row.get("path"):
                    out.add(row["path"])
    return out


def _records(path: str, result: Any, report: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The JSONL object and the CSV rows for one file."""
    if isinstance(result, str):
        return {"path": path, "error": result}, [{"path": path, "error": result}]
    explained = report.explain()
    obj = {
        "path": path,
        "verdict": explained["verdict"],
        "blocking": explained["blocking"],
        "matches": explained["matches"],
        "signals": {s["signal_type"]: s["value"] for s in explained["signals"] if "extra" not in s},
    }
    rows = []
    for m in report.matches:
        rows.append(
            {
                "path": path,
                "bank": m.bank_name,
                "bank_kind": m.bank_kind,
                "entry_id": m.entry_id,
                "signal_type": m.signal_type,
                "distance": m.distance,
                "threshold": m.threshold,
                "category": m.category or "",
                "source": m.source,
                "suppressed_by_entry": m.suppressed_by.entry_id if m.suppressed_by else "",
                "query_signal": m.query_signal if len(m.query_signal) <= 200 else m.query_signal[:200],
                "error": "",
            }
        )
    return obj, rows


def scan_folder(
    db: Any,
    root: str | Path,
    output: str | Path,
    *,
    fmt: str = "jsonl",
    workers: int | None = None,
    dihedral: bool = False,
    fast: bool = False,
    write_all: bool = False,
    restart: bool = False,
    progress: Callable[[ScanSummary, int], None] | None = None,
    index_dir: Path | None = None,
) -> ScanSummary:
    """Scan every file under ``root``; see the module docstring. ``progress(summary, total)`` is called
    after each chunk. ``restart`` forgets an earlier run's state and output."""
    from firstlight.banks.matcher import _Query, get_matcher, match_signals

    root_path = Path(root)
    if not root_path.is_dir():
        raise Invalid(f"{root} is not a folder")
    if fmt not in ("jsonl", "csv"):
        raise Invalid("format must be jsonl or csv")
    out_path = Path(output)
    state_path = out_path.with_name(out_path.name + ".state")
    if restart:
        out_path.unlink(missing_ok=True)
        state_path.unlink(missing_ok=True)
    summary = ScanSummary(output=str(out_path), state=str(state_path))
    done = _read_done(state_path)
    reported = _read_reported(out_path, fmt)
    files = [str(p) for p in iter_files(root_path)]
    summary.files = len(files)
    todo = [p for p in files if p not in done]
    summary.skipped = len(files) - len(todo)
    workers = max(1, workers or os.cpu_count() or 1)

    started = time.perf_counter()
    # Workers only hash; they never touch the database (children leave with os._exit, so no connection
    # inherited through fork is ever closed or used there).
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    new_output = not out_path.exists() or out_path.stat().st_size == 0
    out = out_path.open("a", encoding="utf-8", newline="")
    state = state_path.open("a", encoding="utf-8")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS) if fmt == "csv" else None
    if writer is not None and new_output:
        writer.writeheader()
    try:
        chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
        pending = iter(chunks)
        futures = []
        for chunk in pending:  # the first submit forks the workers, before the index is loaded here
            futures.append(pool.submit(_hash_chunk, (chunk, dihedral, fast)))
            if len(futures) >= workers * 2:
                break
        matcher = get_matcher(db, index_dir=index_dir)
        matcher.ensure_loaded()
        if progress is not None:
            progress(summary, len(files))
        with db.session() as session:
            while futures:
                results = futures.pop(0).result()
                nxt = next(pending, None)
                if nxt is not None:
                    futures.append(pool.submit(_hash_chunk, (nxt, dihedral, fast)))
                buf = io.StringIO()
                csv_rows: list[dict[str, Any]] = []
                for path, result in results:
                    report = None
                    if isinstance(result, str):
                        summary.errors += 1
                        if len(summary.error_samples) < 5:
                            summary.error_samples.append(f"{path}: {result}")
                    else:
                        signals = [_Query(st, v, q, extra) for st, v, q, extra in result]
                        report = match_signals(session, signals)
                        session.rollback()  # end the read transaction: SQLite must not pin old pages
                        if report.matches:
                            summary.matched += 1
                        if report.blocking:
                            summary.blocking += 1
                    summary.scanned += 1
                    if path in reported:
                        continue
                    if report is not None and not report.matches and not write_all:
                        continue
                    obj, rows = _records(path, result, report)
                    if writer is not None:
                        csv_rows.extend(rows if rows else [{"path": path}])
                    else:
                        buf.write(json.dumps(obj, separators=(",", ":")) + "\n")
                if writer is not None:
                    writer.writerows(csv_rows)
                else:
                    out.write(buf.getvalue())
                out.flush()
                os.fsync(out.fileno())
                state.write("".join(p + "\n" for p, _ in results))
                state.flush()
                if progress is not None:
                    progress(summary, len(files))
    except KeyboardInterrupt:
        summary.interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        pool.shutdown(wait=True, cancel_futures=True)
        out.close()
        state.close()
    return summary
