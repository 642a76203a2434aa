"""Hash-list file formats: python-threatexchange's two, plus a lossless JSON Lines format of our own.

* ``local`` — pytx's local-file exchange (``LocalFileSignalExchangeAPI``): one signal per line, written
  ``<signal_type> <signal>`` with a single space, or just ``<signal>`` when the whole file is one type.
  Blank lines and lines starting with ``#`` are skipped on reading (pytx would skip blanks too).
* ``csv`` — pytx's dataset export (``threatexchange dataset --csv``): the header
  ``signal_type,signal_str,collab,category,tags`` where ``category`` is a ``SignalOpinionCategory`` name
  (``NEGATIVE_CLASS``, ``INVESTIGATION_SEED``, ``POSITIVE_CLASS``) and ``tags`` are space-separated.
* ``jsonl`` — one JSON object per entry with every signal and all metadata (categories, source, note,
  original id, tags, enabled), for backups and moving banks between Firstlight installs.

Categories travel as tags in the pytx formats: NCMEC/industry classes as ``A1``, ``A2``, ``B1``, ``B2``
(what pytx's NCMEC exchange puts in its tags) and IWF classes as ``iwf:A``, ``iwf:B``, ``iwf:C`` (a bare
``A``, ``B`` or ``C`` tag is read as IWF too). Parsing is pure: it yields records and per-line errors and
never touches the database.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "CSV_HEADER",
    "FORMATS",
    "HashRecord",
    "ParseError",
    "categories_from_tags",
    "parse",
    "tags_with_categories",
    "write",
]

FORMATS = ("local", "csv", "jsonl")
CSV_HEADER = ["signal_type", "signal_str", "collab", "category", "tags"]
OPINION_CATEGORIES = ("NEGATIVE_CLASS", "INVESTIGATION_SEED", "POSITIVE_CLASS")
NCMEC_CATEGORIES = ("A1", "A2", "B1", "B2")
IWF_CATEGORIES = ("A", "B", "C")
MAX_LINE_CHARS = 1_000_000  # a vPDQ string of a long video is large, but not unbounded


@dataclass(frozen=True)
class HashRecord:
    """One entry read from (or written to) a hash list: its signals and what is known about it."""

    signals: tuple[tuple[str, str], ...]
    opinion: str = "POSITIVE_CLASS"
    collab: str | None = None
    tags: tuple[str, ...] = ()
    category_iwf: str | None = None
    category_ncmec: str | None = None
    source: str | None = None
    note: str | None = None
    original_id: str | None = None
    enabled: bool = True
    line: int = 0


@dataclass(frozen=True)
class ParseError:
    """A line that could not be read, and why."""

    line: int
    message: str
    text: str = field(default="", repr=False)


def categories_from_tags(tags: Iterable[str]) -> tuple[str | None, str | None]:
    """``(iwf, ncmec)`` categories carried in pytx-style tags, or None where absent."""
    iwf: str | None = None
    ncmec: str | None = None
    for tag in tags:
        t = tag.strip()
        up = t.upper()
        if up in NCMEC_CATEGORIES:
            ncmec = up
        elif up.startswith("IWF:") and up[4:] in IWF_CATEGORIES:
            iwf = up[4:]
        elif up in IWF_CATEGORIES:
            iwf = up
    return iwf, ncmec


def tags_with_categories(
    tags: Iterable[str] | None, category_iwf: str | None, category_ncmec: str | None
) -> list[str]:
    """Tags plus the categories written as tags (the inverse of ``categories_from_tags``), sorted."""
    out = {t for t in (tags or ()) if t}
    if category_ncmec:
        out.add(category_ncmec)
    if category_iwf:
        out.add(f"iwf:{category_iwf}")
    return sorted(out)


# --- reading ---------------------------------------------------------------------------------------------


def parse(
    lines: Iterable[str], fmt: str, *, signal_type: str | None = None
) -> Iterator[HashRecord | ParseError]:
    """Records and errors from the lines of a hash list in format ``fmt`` (see ``FORMATS``)."""
    if fmt == "local":
        yield from _parse_local(lines, signal_type)
    elif fmt == "csv":
        yield from _parse_csv(lines)
    elif fmt == "jsonl":
        yield from _parse_jsonl(lines)
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _parse_local(lines: Iterable[str], signal_type: str | None) -> Iterator[HashRecord | ParseError]:
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE_CHARS:
            yield ParseError(n, "line too long", line[:80])
            continue
        if signal_type:
            st, value = signal_type, line
        else:
            st, _, value = line.partition(" ")
            value = value.strip()
            if not value:
                yield ParseError(n, "expected '<signal_type> <signal>'", line[:200])
                continue
        yield HashRecord(signals=((st.strip().lower(), value),), line=n)


def _parse_csv(lines: Iterable[str]) -> Iterator[HashRecord | ParseError]:
    reader = csv.reader(_numbered(lines))
    header: list[str] | None = None
    for row in reader:
        n = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            missing = {"signal_type", "signal_str"} - set(header)
            if missing:
                yield ParseError(n, f"CSV header lacks {', '.join(sorted(missing))}", ",".join(row))
                return
            continue
        rec = dict(zip(header, (c.strip() for c in row), strict=False))
        st, value = rec.get("signal_type", ""), rec.get("signal_str", "")
        if not st or not value:
            yield ParseError(n, "empty signal_type or signal_str", ",".join(row)[:200])
            continue
        opinion = (rec.get("category") or "POSITIVE_CLASS").upper()
        if opinion.isdigit() and int(opinion) < len(OPINION_CATEGORIES):
            opinion = OPINION_CATEGORIES[int(opinion)]
        if opinion not in OPINION_CATEGORIES:
            yield ParseError(n, f"unknown category {opinion!r}", ",".join(row)[:200])
            continue
        tags = tuple(t for t in (rec.get("tags") or "").split() if t)
        iwf, ncmec = categories_from_tags(tags)
        yield HashRecord(
            signals=((st.lower(), value),),
            opinion=opinion,
            collab=rec.get("collab") or None,
            tags=tags,
            category_iwf=iwf,
            category_ncmec=ncmec,
            line=n,
        )


def _numbered(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n"


def _parse_jsonl(lines: Iterable[str]) -> Iterator[HashRecord | ParseError]:
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if len(line) > MAX_LINE_CHARS:
            yield ParseError(n, "line too long", line[:80])
            continue
        try:
            obj = json.loads(line)
            signals = obj["signals"]
            if not isinstance(signals, dict) or not signals:
                raise ValueError("'signals' must be a non-empty object")
            tags = tuple(str(t) for t in obj.get("tags") or ())
            yield HashRecord(
                signals=tuple((str(k).lower(), str(v)) for k, v in signals.items()),
                opinion=str(obj.get("opinion") or "POSITIVE_CLASS"),
                tags=tags,
                category_iwf=obj.get("category_iwf"),
                category_ncmec=obj.get("category_ncmec"),
                source=obj.get("source"),
                note=obj.get("note"),
                original_id=obj.get("original_id"),
                enabled=bool(obj.get("enabled", True)),
                line=n,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            yield ParseError(n, f"not a Firstlight JSON line: {e}", line[:200])


# --- writing ---------------------------------------------------------------------------------------------


def write(records: Iterable[HashRecord], fmt: str, *, collab: str = "") -> Iterator[str]:
    """Lines (each ending in a newline) of a hash list in format ``fmt``."""
    if fmt == "local":
        for r in records:
            for st, value in r.signals:
                yield f"{st} {value}\n"
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        yield _drain(buf)
        for r in records:
            tags = " ".join(tags_with_categories(r.tags, r.category_iwf, r.category_ncmec))
            for st, value in r.signals:
                writer.writerow([st, value, r.collab or collab, r.opinion, tags])
            yield _drain(buf)
    elif fmt == "jsonl":
        for r in records:
            obj = {
                "signals": dict(r.signals),
                "opinion": r.opinion,
                "category_iwf": r.category_iwf,
                "category_ncmec": r.category_ncmec,
                "source": r.source,
                "note": r.note,
                "original_id": r.original_id,
                "tags": list(r.tags),
                "enabled": r.enabled,
            }
            yield json.dumps(obj, separators=(",", ":")) + "\n"
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _drain(buf: io.StringIO) -> str:
    out = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return out
