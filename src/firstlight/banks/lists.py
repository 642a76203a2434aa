"""Hash lists in and out of banks: batched imports, streamed exports, and the bulk insert exchanges use.

Formats are in ``firstlight.banks.formats``; this module applies them to the database. An import checks
every signal, skips what the bank already holds (counted as duplicates), reports each bad line with its
number, and inserts 1,000 entries per statement with one change-log row per run of consecutive ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from firstlight.banks import _changes
from firstlight.banks._signal_types import value_key
from firstlight.banks.formats import HashRecord, ParseError, parse, write
from firstlight.banks.models import Bank, BankEntry, BankSignal
from firstlight.banks.service import (
    _as_pairs,
    _audit,
    _check_categories,
    _existing_entries,
    _load_bank,
)
from firstlight.errors import Invalid
from firstlight.store.db import utcnow

__all__ = ["ImportResult", "export_bank", "import_into_bank"]

IMPORT_BATCH = 1000


@dataclass
class ImportResult:
    """What an import did: entries added, signals already present, lines skipped, and lines in error."""

    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: list[ParseError] = field(default_factory=list)
    first_id: int | None = None
    last_id: int | None = None

    MAX_ERRORS = 100

    def error(self, line: int, message: str) -> None:
        if len(self.errors) < self.MAX_ERRORS:
            self.errors.append(ParseError(line, message))
        self.skipped += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
        }


def import_into_bank(
    session: Session,
    bank_name: str,
    lines: Iterable[str],
    fmt: str,
    *,
    signal_type: str | None = None,
    source: str | None = None,
    actor: str = "system",
    exchange_id: int | None = None,
) -> ImportResult:
    """Import a hash list (``local``, ``csv`` or ``jsonl``, see ``formats``) in batches.

    Signals the bank already holds count as duplicates. Into a ``block`` or ``survivor`` bank, CSV rows
    whose category is ``NEGATIVE_CLASS`` (known false positives) are skipped rather than blocked on.
    """
    bank = _load_bank(session, bank_name)
    result = ImportResult()
    src = source or f"import:{fmt}"
    batch: list[HashRecord] = []
    try:
        for item in parse(lines, fmt, signal_type=signal_type):
            if isinstance(item, ParseError):
                result.error(item.line, item.message)
                continue
            if item.opinion == "NEGATIVE_CLASS" and bank.kind != "allow":
                result.error(item.line, "NEGATIVE_CLASS row skipped: not imported into a non-allow bank")
                continue
            batch.append(item)
            if len(batch) >= IMPORT_BATCH:
                _import_batch(session, bank, batch, result, src, actor, exchange_id)
                batch = []
        if batch:
            _import_batch(session, bank, batch, result, src, actor, exchange_id)
    except UnicodeDecodeError:
        raise Invalid("the hash list is not UTF-8 text") from None
    _audit(
        session,
        actor,
        "bank.import",
        "bank",
        bank.name,
        {"format": fmt, "source": src, **result.to_dict(), "errors": len(result.errors)},
    )
    return result


def _import_batch(
    session: Session,
    bank: Bank,
    records: list[HashRecord],
    result: ImportResult,
    source: str,
    actor: str,
    exchange_id: int | None,
) -> None:
    checked: list[tuple[HashRecord, list[tuple[str, str]]]] = []
    for rec in records:
        try:
            pairs = _as_pairs(list(rec.signals))
            iwf, ncmec = _check_categories(rec.category_iwf, rec.category_ncmec)
        except Invalid as e:
            result.error(rec.line, e.message)
            continue
        checked.append((replace(rec, category_iwf=iwf, category_ncmec=ncmec), pairs))
    new = [
        (
            {
                "enabled": rec.enabled,
                "disabled_reason": None if rec.enabled else "imported disabled",
                "source": (rec.source or source)[:200],
                "category_iwf": rec.category_iwf,
                "category_ncmec": rec.category_ncmec,
                "note": rec.note,
                "original_id": rec.original_id,
                "tags": sorted(set(rec.tags)) or None,
                "exchange_id": exchange_id,
                "added_by": actor[:200],
            },
            pairs,
        )
        for rec, pairs in checked
    ]
    ids, duplicates = _insert_entries(session, bank, new)
    result.duplicates += duplicates
    if ids:
        result.added += len(ids)
        result.first_id = ids[0] if result.first_id is None else result.first_id
        result.last_id = ids[-1]


_ROW_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "disabled_reason": None,
    "source": "manual",
    "category_iwf": None,
    "category_ncmec": None,
    "note": None,
    "original_id": None,
    "tags": None,
    "exchange_id": None,
    "exchange_key": None,
    "added_by": "system",
}


def _insert_entries(
    session: Session,
    bank: Bank,
    new: list[tuple[dict[str, Any], list[tuple[str, str]]]],
) -> tuple[list[int], int]:
    """Bulk-insert entries given as ``(fields, checked signals)``; log the change.

    A signal the bank already holds, or that an earlier entry of the same call brings, is dropped and
    counted as a duplicate; an entry left with no signal is not inserted. Returns ``(ids, duplicates)``.
    """
    seen = set(_existing_entries(session, bank.id, [p for _, ps in new for p in ps]))
    duplicates = 0
    rows: list[dict[str, Any]] = []
    row_pairs: list[list[tuple[str, str]]] = []
    now = utcnow()
    for fields, pairs in new:
        fresh = []
        for st, v in pairs:
            key = (st, value_key(v))
            if key in seen:
                duplicates += 1
            else:
                seen.add(key)
                fresh.append((st, v))
        if fresh:
            rows.append({**_ROW_DEFAULTS, **fields, "bank_id": bank.id, "created_at": now, "updated_at": now})
            row_pairs.append(fresh)
    if not rows:
        return [], duplicates
    ids = list(
        session.execute(
            insert(BankEntry).returning(BankEntry.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    session.execute(
        insert(BankSignal),
        [
            {"entry_id": eid, "bank_id": bank.id, "signal_type": st, "value": v, "value_key": value_key(v)}
            for eid, pairs in zip(ids, row_pairs, strict=True)
            for st, v in pairs
        ],
    )
    enabled = [(eid, pairs) for eid, pairs, row in zip(ids, row_pairs, rows, strict=True) if row["enabled"]]
    _changes.record_entries(
        session, "add", [eid for eid, _ in enabled], bank_id=bank.id, signals=dict(enabled)
    )
    return ids, duplicates


def export_bank(
    session: Session,
    bank_name: str,
    fmt: str,
    *,
    include_disabled: bool = False,
    batch: int = 1000,
) -> Iterator[str]:
    """The lines of a bank's entries in format ``fmt`` (streamed in batches, so any size fits)."""
    bank = _load_bank(session, bank_name)
    opinion = "NEGATIVE_CLASS" if bank.kind == "allow" else "POSITIVE_CLASS"

    def records() -> Iterator[HashRecord]:
        after = 0
        cols = (
            BankEntry.id,
            BankEntry.enabled,
            BankEntry.tags,
            BankEntry.category_iwf,
            BankEntry.category_ncmec,
            BankEntry.source,
            BankEntry.note,
            BankEntry.original_id,
        )
        while True:
            q = select(*cols).where(BankEntry.bank_id == bank.id, BankEntry.id > after)
            if not include_disabled:
                q = q.where(BankEntry.enabled.is_(True))
            rows = session.execute(q.order_by(BankEntry.id).limit(batch)).all()
            if not rows:
                return
            signals: dict[int, list[tuple[str, str]]] = {}
            for eid, st, v in session.execute(
                select(BankSignal.entry_id, BankSignal.signal_type, BankSignal.value)
                .where(BankSignal.entry_id.in_([r.id for r in rows]))
                .order_by(BankSignal.id)
            ):
                signals.setdefault(eid, []).append((st, v))
            for r in rows:
                yield HashRecord(
                    signals=tuple(signals.get(r.id, ())),
                    opinion=opinion,
                    tags=tuple(r.tags or ()),
                    category_iwf=r.category_iwf,
                    category_ncmec=r.category_ncmec,
                    source=r.source,
                    note=r.note,
                    original_id=r.original_id,
                    enabled=r.enabled,
                )
            after = rows[-1].id

    return write(records(), fmt, collab=bank.name)
