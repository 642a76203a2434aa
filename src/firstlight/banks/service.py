"""Bank actions: one function per action, called alike by the CLI, the API and other rooms.

Every function takes the caller's ``Session`` and leaves the commit to the caller. Changes that affect
matching append to the ``bank_changes`` log in the same transaction, and are handed to this process's
matcher the moment the transaction commits (see ``firstlight.banks.matcher``); other processes pick them up
from the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firstlight.banks import _changes
from firstlight.banks._signal_types import MAX_THRESHOLDS, is_exact, normalise_signal, value_key
from firstlight.banks.models import Bank, BankEntry, BankExchange, BankSignal
from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.store.db import utcnow

__all__ = [
    "BANK_KINDS",
    "DEFAULT_THRESHOLDS",
    "BankInfo",
    "EntryInfo",
    "add_file_to_bank",
    "add_media_to_bank",
    "add_to_bank",
    "create_bank",
    "delete_bank",
    "delete_entry",
    "get_bank",
    "get_entry",
    "list_banks",
    "list_entries",
    "set_entry_enabled",
    "update_bank",
]

BANK_KINDS = ("block", "allow", "survivor")
DEFAULT_THRESHOLDS: dict[str, int] = {"pdq": 31}
NCMEC_CATEGORIES = ("A1", "A2", "B1", "B2")
IWF_CATEGORIES = ("A", "B", "C")
_BANK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MIN_PDQ_QUALITY = 50  # pdq/README: hashes of quality below 50 are too flat to match on


class SignalLike(Protocol):
    """Anything with a signal type and a value, such as ``firstlight.signals.Signal``."""

    signal_type: str
    value: str


SignalInput = SignalLike | tuple[str, str] | Mapping[str, str] | Sequence[SignalLike | tuple[str, str]]


@dataclass(frozen=True)
class BankInfo:
    """A bank as callers see it."""

    id: int
    name: str
    kind: str
    description: str | None
    enabled: bool
    thresholds: dict[str, int]
    created_at: datetime
    updated_at: datetime
    entry_count: int | None = None

    def threshold(self, signal_type: str) -> int:
        """Largest distance that counts as a match for this signal type (0 for exact types)."""
        if signal_type == "vpdq":
            return 20
        if is_exact(signal_type):
            return 0
        return int(self.thresholds.get(signal_type, DEFAULT_THRESHOLDS.get(signal_type, 31)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "enabled": self.enabled,
            "thresholds": {**DEFAULT_THRESHOLDS, **self.thresholds},
            "entry_count": self.entry_count,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class EntryInfo:
    """One bank entry (a piece of known content) with its signals and provenance."""

    id: int
    bank_name: str
    bank_kind: str
    signals: dict[str, str]
    enabled: bool
    disabled_reason: str | None
    source: str
    category_iwf: str | None
    category_ncmec: str | None
    note: str | None
    original_id: str | None
    tags: tuple[str, ...]
    exchange_key: str | None
    added_by: str
    created_at: datetime
    updated_at: datetime
    created: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bank": self.bank_name,
            "bank_kind": self.bank_kind,
            "signals": self.signals,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "source": self.source,
            "category_iwf": self.category_iwf,
            "category_ncmec": self.category_ncmec,
            "note": self.note,
            "original_id": self.original_id,
            "tags": list(self.tags),
            "exchange_key": self.exchange_key,
            "added_by": self.added_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


# --- banks -----------------------------------------------------------------------------------------------


def _bank_info(bank: Bank, entry_count: int | None = None) -> BankInfo:
    return BankInfo(
        id=bank.id,
        name=bank.name,
        kind=bank.kind,
        description=bank.description,
        enabled=bank.enabled,
        thresholds=dict(bank.thresholds or {}),
        created_at=bank.created_at,
        updated_at=bank.updated_at,
        entry_count=entry_count,
    )


def _check_name(name: str) -> None:
    if not _BANK_NAME.match(name or ""):
        raise Invalid(
            "bank names are 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )


def _check_kind(kind: str) -> str:
    k = (kind or "").strip().lower()
    if k not in BANK_KINDS:
        raise Invalid(f"bank kind must be one of {', '.join(BANK_KINDS)}, not {kind!r}")
    return k


def _check_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for st, value in (thresholds or {}).items():
        name = str(st).strip().lower()
        if name not in MAX_THRESHOLDS:
            raise Invalid(
                f"{name} takes no threshold: exact types match only when equal, and vPDQ uses "
                "pytx's fixed rule (frames within 31 bits, 80% of both videos)"
            )
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise Invalid(f"threshold for {name} must be an integer") from None
        limit = MAX_THRESHOLDS[name]
        if not 0 <= n <= limit:
            raise Invalid(
                f"threshold for {name} must be between 0 and {limit} "
                "(the index guarantees every match only up to there)"
            )
        out[name] = n
    return out


def _load_bank(session: Session, name: str) -> Bank:
    bank = session.execute(select(Bank).where(Bank.name == name)).scalar_one_or_none()
    if bank is None:
        raise NotFound(f"no bank named {name!r}", code="bank_not_found")
    return bank


def create_bank(
    session: Session,
    name: str,
    kind: str = "block",
    *,
    thresholds: Mapping[str, Any] | None = None,
    description: str | None = None,
    enabled: bool = True,
    actor: str = "system",
) -> BankInfo:
    """Create a bank. ``kind``: ``block`` (known CSAM), ``allow`` (known false positives) or ``survivor``."""
    _check_name(name)
    kind = _check_kind(kind)
    th = _check_thresholds(thresholds)
    if session.execute(select(Bank.id).where(Bank.name == name)).first() is not None:
        raise Conflict(f"a bank named {name!r} already exists", code="bank_exists")
    now = utcnow()
    bank = Bank(
        name=name,
        kind=kind,
        description=description,
        enabled=enabled,
        thresholds=th,
        created_at=now,
        updated_at=now,
    )
    session.add(bank)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a bank named {name!r} already exists", code="bank_exists") from None
    _changes.record(session, "bank", bank_id=bank.id)
    _audit(session, actor, "bank.create", "bank", bank.name, {"kind": kind, "thresholds": th})
    return _bank_info(bank, 0)


def list_banks(session: Session) -> list[BankInfo]:
    """Every bank with its number of entries, by name."""
    counts = dict(session.execute(select(BankEntry.bank_id, func.count()).group_by(BankEntry.bank_id)).all())
    banks = session.execute(select(Bank).order_by(Bank.name)).scalars().all()
    return [_bank_info(b, int(counts.get(b.id, 0))) for b in banks]


def get_bank(session: Session, name: str) -> BankInfo:
    bank = _load_bank(session, name)
    count = session.execute(
        select(func.count()).select_from(BankEntry).where(BankEntry.bank_id == bank.id)
    ).scalar_one()
    return _bank_info(bank, int(count))


def update_bank(
    session: Session,
    name: str,
    *,
    kind: str | None = None,
    thresholds: Mapping[str, Any] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    rename: str | None = None,
    actor: str = "system",
) -> BankInfo:
    """Change a bank's kind, thresholds (merged into the current ones), description, enabled flag or name."""
    bank = _load_bank(session, name)
    changed: dict[str, Any] = {}
    if rename is not None and rename != bank.name:
        _check_name(rename)
        if session.execute(select(Bank.id).where(Bank.name == rename)).first() is not None:
            raise Conflict(f"a bank named {rename!r} already exists", code="bank_exists")
        bank.name = changed["name"] = rename
        name = rename
    if kind is not None:
        bank.kind = changed["kind"] = _check_kind(kind)
    if thresholds is not None:
        merged = {**(bank.thresholds or {}), **_check_thresholds(thresholds)}
        bank.thresholds = changed["thresholds"] = merged
    if description is not None:
        bank.description = changed["description"] = description
    if enabled is not None:
        bank.enabled = changed["enabled"] = bool(enabled)
    if changed:
        bank.updated_at = utcnow()
        session.flush()
        _changes.record(session, "bank", bank_id=bank.id)
        _audit(session, actor, "bank.update", "bank", bank.name, changed)
    return get_bank(session, name)


def delete_bank(session: Session, name: str, *, actor: str = "system") -> int:
    """Delete a bank and all its entries; returns how many entries went with it."""
    bank = _load_bank(session, name)
    ids = session.execute(select(BankEntry.id).where(BankEntry.bank_id == bank.id)).scalars().all()
    _changes.record_entries(session, "delete", sorted(ids), bank_id=bank.id)
    session.execute(BankSignal.__table__.delete().where(BankSignal.bank_id == bank.id))
    session.execute(BankEntry.__table__.delete().where(BankEntry.bank_id == bank.id))
    session.execute(BankExchange.__table__.delete().where(BankExchange.bank_id == bank.id))
    session.delete(bank)
    session.flush()
    _changes.record(session, "bank", bank_id=bank.id)
    _audit(session, actor, "bank.delete", "bank", name, {"entries": len(ids)})
    return len(ids)


# --- entries ---------------------------------------------------------------------------------------------


def _entry_info(entry: BankEntry, *, created: bool = True) -> EntryInfo:
    return EntryInfo(
        id=entry.id,
        bank_name=entry.bank.name,
        bank_kind=entry.bank.kind,
        signals={s.signal_type: s.value for s in entry.signals},
        enabled=entry.enabled,
        disabled_reason=entry.disabled_reason,
        source=entry.source,
        category_iwf=entry.category_iwf,
        category_ncmec=entry.category_ncmec,
        note=entry.note,
        original_id=entry.original_id,
        tags=tuple(entry.tags or ()),
        exchange_key=entry.exchange_key,
        added_by=entry.added_by,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        created=created,
    )


def _check_categories(category_iwf: str | None, category_ncmec: str | None) -> tuple[str | None, ...]:
    iwf = category_iwf.strip().upper() if category_iwf else None
    ncmec = category_ncmec.strip().upper() if category_ncmec else None
    if iwf and iwf not in IWF_CATEGORIES:
        raise Invalid(f"IWF category must be one of {', '.join(IWF_CATEGORIES)}, not {iwf!r}")
    if ncmec and ncmec not in NCMEC_CATEGORIES:
        raise Invalid(f"NCMEC category must be one of {', '.join(NCMEC_CATEGORIES)}, not {ncmec!r}")
    return iwf, ncmec


def _as_pairs(signal: SignalInput) -> list[tuple[str, str]]:
    """Normalised ``(type, value)`` pairs from the shapes callers hold, deduplicated by type."""
    items: list[Any]
    if isinstance(signal, Mapping):
        items = list(signal.items())
    elif isinstance(signal, tuple) and len(signal) == 2 and all(isinstance(x, str) for x in signal):
        items = [signal]
    elif isinstance(signal, Sequence) and not isinstance(signal, str | bytes):
        items = list(signal)
    else:
        items = [signal]
    pairs: dict[str, str] = {}
    for item in items:
        if isinstance(item, tuple):
            st, value = item
        else:
            st, value = item.signal_type, item.value
        st, value = normalise_signal(st, value)
        pairs.setdefault(st, value)
    if not pairs:
        raise Invalid("no signals given")
    return list(pairs.items())


def add_to_bank(
    session: Session,
    bank_name: str,
    signal: SignalInput,
    *,
    source: str = "manual",
    category_iwf: str | None = None,
    category_ncmec: str | None = None,
    note: str | None = None,
    original_id: str | None = None,
    tags: Iterable[str] | None = None,
    actor: str = "system",
) -> EntryInfo:
    """Add one entry with its signals (one ``Signal``, several, ``(type, value)`` or ``{type: value}``).

    Adding is idempotent: signals the bank already holds are not stored twice, and when every given signal
    is already there the existing entry comes back with ``created=False`` (a disabled one stays disabled).
    """
    bank = _load_bank(session, bank_name)
    iwf, ncmec = _check_categories(category_iwf, category_ncmec)
    pairs = _as_pairs(signal)
    existing = _existing_entries(session, bank.id, pairs)
    new_pairs = [p for p in pairs if (p[0], value_key(p[1])) not in existing]
    if not new_pairs:
        entry = session.get(BankEntry, existing[(pairs[0][0], value_key(pairs[0][1]))])
        assert entry is not None
        return _entry_info(entry, created=False)
    now = utcnow()
    entry = BankEntry(
        bank_id=bank.id,
        enabled=True,
        source=(source or "manual")[:200],
        category_iwf=iwf,
        category_ncmec=ncmec,
        note=note,
        original_id=original_id,
        tags=sorted(set(tags)) if tags else None,
        added_by=actor[:200],
        created_at=now,
        updated_at=now,
    )
    entry.signals = [
        BankSignal(bank_id=bank.id, signal_type=st, value=v, value_key=value_key(v)) for st, v in new_pairs
    ]
    session.add(entry)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "another writer added the same signal to this bank just now; try again",
            code="duplicate_signal",
        ) from None
    _changes.record_entries(session, "add", [entry.id], bank_id=bank.id, signals={entry.id: new_pairs})
    _audit(
        session,
        actor,
        "bank.entry.add",
        "bank_entry",
        entry.id,
        {"bank": bank.name, "signals": dict(new_pairs), "source": entry.source},
    )
    return _entry_info(entry)


def _existing_entries(
    session: Session, bank_id: int, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """``{(type, value_key): entry_id}`` for the given signals already in the bank."""
    out: dict[tuple[str, str], int] = {}
    by_type: dict[str, list[str]] = {}
    for st, v in pairs:
        by_type.setdefault(st, []).append(value_key(v))
    for st, keys in by_type.items():
        for i in range(0, len(keys), 500):
            rows = session.execute(
                select(BankSignal.value_key, BankSignal.entry_id).where(
                    BankSignal.bank_id == bank_id,
                    BankSignal.signal_type == st,
                    BankSignal.value_key.in_(keys[i : i + 500]),
                )
            ).all()
            out.update({(st, k): eid for k, eid in rows})
    return out


def _media_signals(signals: Iterable[Any]) -> list[tuple[str, str]]:
    """The signals of the original orientation worth banking (low-quality PDQ is left out)."""
    out: list[tuple[str, str]] = []
    for s in signals:
        extra = getattr(s, "extra", None) or {}
        if extra.get("dihedral") not in (None, "original"):
            continue
        quality = getattr(s, "quality", None)
        if s.signal_type == "pdq" and quality is not None and quality < MIN_PDQ_QUALITY:
            continue
        out.append((s.signal_type, s.value))
    return out


def add_media_to_bank(session: Session, bank_name: str, data: bytes, **metadata: Any) -> EntryInfo:
    """Hash media bytes (PDQ, MD5, SHA-256; vPDQ for video) and add them as one entry."""
    from firstlight.signals import hash_bytes

    pairs = _media_signals(hash_bytes(data))
    if not pairs:
        raise Invalid("the media gave no signal that can be banked", code="no_signals")
    return add_to_bank(session, bank_name, pairs, **metadata)


def add_file_to_bank(session: Session, bank_name: str, path: str | Path, **metadata: Any) -> EntryInfo:
    """Hash a file and add it as one entry (``original_id`` defaults to the file name)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise Invalid(f"cannot read {p}: {e.strerror or e}") from None
    metadata.setdefault("original_id", p.name)
    return add_media_to_bank(session, bank_name, data, **metadata)


def _load_entry(session: Session, entry_id: int, bank_name: str | None = None) -> BankEntry:
    entry = session.get(BankEntry, entry_id)
    if entry is None or (bank_name is not None and entry.bank.name != bank_name):
        where = f" in bank {bank_name!r}" if bank_name else ""
        raise NotFound(f"no bank entry {entry_id}{where}", code="entry_not_found")
    return entry


def get_entry(session: Session, entry_id: int, *, bank_name: str | None = None) -> EntryInfo:
    return _entry_info(_load_entry(session, entry_id, bank_name))


def get_entries(session: Session, entry_ids: Iterable[int]) -> dict[int, EntryInfo]:
    """Entries by id (missing ids are left out)."""
    ids = sorted(set(entry_ids))
    out: dict[int, EntryInfo] = {}
    for i in range(0, len(ids), 500):
        rows = session.execute(select(BankEntry).where(BankEntry.id.in_(ids[i : i + 500]))).scalars()
        out.update({e.id: _entry_info(e) for e in rows})
    return out


def list_entries(
    session: Session,
    bank_name: str,
    *,
    limit: int = 100,
    after_id: int = 0,
    enabled: bool | None = None,
) -> list[EntryInfo]:
    """A page of a bank's entries in id order: pass the last id seen as ``after_id`` for the next page."""
    bank = _load_bank(session, bank_name)
    q = select(BankEntry).where(BankEntry.bank_id == bank.id, BankEntry.id > after_id)
    if enabled is not None:
        q = q.where(BankEntry.enabled == enabled)
    rows = session.execute(q.order_by(BankEntry.id).limit(max(1, min(limit, 1000)))).scalars()
    return [_entry_info(e) for e in rows]


def set_entry_enabled(
    session: Session,
    entry_id: int,
    enabled: bool,
    *,
    reason: str | None = None,
    bank_name: str | None = None,
    actor: str = "system",
) -> EntryInfo:
    """Disable an entry (it stops matching at once) or enable it again."""
    entry = _load_entry(session, entry_id, bank_name)
    if entry.enabled != enabled:
        entry.enabled = enabled
        entry.disabled_reason = None if enabled else reason
        entry.updated_at = utcnow()
        session.flush()
        pairs = [(s.signal_type, s.value) for s in entry.signals]
        _changes.record_entries(
            session,
            "enable" if enabled else "disable",
            [entry.id],
            bank_id=entry.bank_id,
            signals={entry.id: pairs} if enabled else None,
        )
        _audit(
            session,
            actor,
            "bank.entry.enable" if enabled else "bank.entry.disable",
            "bank_entry",
            entry.id,
            {"bank": entry.bank.name, "reason": reason},
        )
    return _entry_info(entry)


def delete_entry(
    session: Session, entry_id: int, *, bank_name: str | None = None, actor: str = "system"
) -> None:
    """Remove an entry for good (prefer disabling, which keeps the record of what was known)."""
    entry = _load_entry(session, entry_id, bank_name)
    bank_id, name = entry.bank_id, entry.bank.name
    session.delete(entry)
    session.flush()
    _changes.record_entries(session, "delete", [entry_id], bank_id=bank_id)
    _audit(session, actor, "bank.entry.delete", "bank_entry", entry_id, {"bank": name})


def _audit(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None,
) -> None:
    from firstlight.audit import record

    record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
