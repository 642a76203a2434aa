"""Signal exchanges: fetch hash lists into banks through python-threatexchange's ``SignalExchangeAPI``.

Supported APIs (pytx names): ``local_file`` (a ``<signal_type> <signal>`` file), ``ncmec`` (NCMEC hash
sharing, XML v2), ``stop_ncii`` and ``fb_threatexchange``. Each exchange feeds one bank; its settings are
the API's pytx collaboration config (``filename``, ``environment``, ``only_esp_ids``, ``privacy_group``…)
stored with the exchange, plus ``base_url`` for NCMEC, which points pytx's own client at another server
(NCMEC's test environment, or the fake one the tests run). Credentials come from configuration
(``firstlight.banks._config``) and are handed to the API explicitly, so pytx never goes looking for them.

Resumable: ``fetch_exchange`` commits each batch (``FetchDelta``) from ``fetch_iter`` together with that
batch's checkpoint. Interrupted anywhere, the next fetch starts from the last committed checkpoint; for
NCMEC that includes the paging URL inside a time window, exactly as pytx intends. Only one fetch of an
exchange runs at a time (a lease in the row; a stale lease expires after ``FETCH_LEASE``).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from firstlight.banks import _changes
from firstlight.banks._config import credential_source
from firstlight.banks._signal_types import normalise_signal
from firstlight.banks.formats import categories_from_tags
from firstlight.banks.lists import _insert_entries
from firstlight.banks.models import Bank, BankEntry, BankExchange, BankSignal
from firstlight.banks.service import _audit, _load_bank, create_bank
from firstlight.errors import Conflict, FirstlightError, Invalid, NotFound, Unavailable
from firstlight.store.db import utcnow

__all__ = [
    "EXCHANGE_APIS",
    "ExchangeInfo",
    "FetchResult",
    "create_exchange",
    "delete_exchange",
    "exchange_api_class",
    "fetch_exchange",
    "get_exchange",
    "list_exchanges",
    "update_exchange",
]

log = logging.getLogger(__name__)

FETCH_LEASE = timedelta(hours=1)
CHECKPOINT_EVERY = 5.0  # seconds between checkpoint writes while batches come back empty
_NAME_OK = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _ncmec_cls() -> type:
    from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI

    class FirstlightNCMECAPI(NCMECSignalExchangeAPI):
        """pytx's NCMEC exchange, whose client can be pointed at another base URL."""

        base_url: str | None = None

        def get_client(self, environment: Any) -> Any:
            client = super().get_client(environment)
            if self.base_url:
                client._base_url = self.base_url.rstrip("/")
            return client

    return FirstlightNCMECAPI


def _api_classes() -> dict[str, Callable[[], type]]:
    def local_file() -> type:
        from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI

        return LocalFileSignalExchangeAPI

    def stop_ncii() -> type:
        from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI

        return StopNCIISignalExchangeAPI

    def fb_threatexchange() -> type:
        from threatexchange.exchanges.impl.fb_threatexchange_api import (
            FBThreatExchangeSignalExchangeAPI,
        )

        return FBThreatExchangeSignalExchangeAPI

    return {
        "local_file": local_file,
        "ncmec": _ncmec_cls,
        "stop_ncii": stop_ncii,
        "fb_threatexchange": fb_threatexchange,
    }


EXCHANGE_APIS = tuple(_api_classes())


def exchange_api_class(api: str) -> type:
    """The pytx ``SignalExchangeAPI`` class for an API name; ``Invalid`` for an unknown one."""
    factory = _api_classes().get(api)
    if factory is None:
        raise Invalid(f"unknown exchange API {api!r}; use one of {', '.join(EXCHANGE_APIS)}")
    return factory()


def _signal_types() -> list[type]:
    """pytx SignalType classes to convert fetched records into (pytx's own classes come first, because
    its exchanges recognise them by identity)."""
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal
    from threatexchange.signal_type.sha256 import VideoSHA256Signal

    out: list[type] = [PdqSignal, VideoMD5Signal, VideoSHA256Signal]
    try:
        from firstlight.signals import SIGNAL_TYPES

        names = {c.get_name() for c in out}
        out += [c for c in SIGNAL_TYPES if c.get_name() not in names]
    except ImportError:
        pass
    return out


@dataclass(frozen=True)
class ExchangeInfo:
    """An exchange as callers see it (never its credentials)."""

    id: int
    name: str
    api: str
    bank_name: str
    config: dict[str, Any]
    enabled: bool
    has_checkpoint: bool
    checkpoint_time: int | None
    fetch_started_at: Any
    fetch_completed_at: Any
    fetch_succeeded: bool | None
    last_error: str | None
    fetched_items: int
    credentials_from: str | None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for key in ("fetch_started_at", "fetch_completed_at"):
            d[key] = d[key].isoformat() if d[key] else None
        return d


@dataclass
class FetchResult:
    """What one fetch did."""

    batches: int = 0
    records: int = 0
    added: int = 0
    removed: int = 0
    duplicates: int = 0
    skipped: int = 0
    up_to_date: bool = False
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _info(ex: BankExchange) -> ExchangeInfo:
    cred = credential_source(ex.name, ex.api)
    checkpoint_time = None
    if ex.checkpoint:
        try:
            checkpoint_time = _load_checkpoint(ex).get_progress_timestamp()
        except Exception:
            checkpoint_time = None
    return ExchangeInfo(
        id=ex.id,
        name=ex.name,
        api=ex.api,
        bank_name=ex.bank.name,
        config=dict(ex.config or {}),
        enabled=ex.enabled,
        has_checkpoint=ex.checkpoint is not None,
        checkpoint_time=checkpoint_time,
        fetch_started_at=ex.fetch_started_at,
        fetch_completed_at=ex.fetch_completed_at,
        fetch_succeeded=ex.fetch_succeeded,
        last_error=ex.last_error,
        fetched_items=ex.fetched_items,
        credentials_from=cred[1] if cred else None,
    )


def _collab(ex: BankExchange, api_cls: type) -> Any:
    """The pytx collaboration config for an exchange, built from its stored settings."""
    from threatexchange.utils import dataclass_json

    cfg_cls = api_cls.get_config_cls()
    init_fields = {f.name: f for f in dataclasses.fields(cfg_cls) if f.init}
    base = {"name": ex.name, "api": api_cls.get_name(), "enabled": ex.enabled}
    data: dict[str, Any] = {k: v for k, v in base.items() if k in init_fields}
    settings = {k: v for k, v in (ex.config or {}).items() if k != "base_url"}
    unknown = set(settings) - (set(init_fields) - set(base))
    data.update(settings)
    if unknown:
        raise Invalid(
            f"exchange API {ex.api!r} has no setting {', '.join(sorted(unknown))}; "
            f"its settings are {', '.join(sorted(set(init_fields) - {'name', 'api', 'enabled'}))}"
        )
    env = init_fields.get("environment")
    if env is not None and isinstance(data.get("environment"), str):
        enum_type = env.type if isinstance(env.type, type) else None
        if enum_type is None:
            from threatexchange.exchanges.clients.ncmec.hash_api import NCMECEnvironment

            enum_type = NCMECEnvironment
        if issubclass(enum_type, enum.Enum) and data["environment"] in enum_type.__members__:
            data["environment"] = enum_type[data["environment"]].value
    try:
        return dataclass_json.dataclass_load_dict(data, cfg_cls)
    except Exception as e:
        raise Invalid(f"settings of exchange {ex.name!r} do not fit API {ex.api!r}: {e}") from None


def _credentials(ex: BankExchange, api_cls: type) -> Any:
    from threatexchange.exchanges import auth
    from threatexchange.utils import dataclass_json

    if not issubclass(api_cls, auth.SignalExchangeWithAuth):
        return None
    found = credential_source(ex.name, ex.api)
    if found is None:
        raise Invalid(
            f"no credentials for exchange {ex.name!r}: set FIRSTLIGHT_EXCHANGE_{ex.api.upper()}_CREDENTIALS "
            f"or [banks.credentials] {ex.api} in firstlight.toml",
            code="exchange_credentials_missing",
        )
    raw, where = found
    cred_cls = api_cls.get_credential_cls()
    try:
        creds = (
            dataclass_json.dataclass_load_dict(raw, cred_cls)
            if isinstance(raw, Mapping)
            else cred_cls._from_str(str(raw))
        )
    except Exception:
        creds = None
    if creds is None or not creds._are_valid():
        raise Invalid(f"credentials for exchange {ex.name!r} from {where} are malformed")
    return creds


def _client(ex: BankExchange) -> Any:
    from threatexchange.exchanges import auth

    api_cls = exchange_api_class(ex.api)
    collab = _collab(ex, api_cls)
    if issubclass(api_cls, auth.SignalExchangeWithAuth):
        client = api_cls.for_collab(collab, _credentials(ex, api_cls))
    else:
        client = api_cls.for_collab(collab)
    base_url = (ex.config or {}).get("base_url")
    if base_url:
        if not hasattr(client, "base_url"):
            raise Invalid(f"exchange API {ex.api!r} takes no base_url")
        client.base_url = str(base_url)
    return client


def _load_checkpoint(ex: BankExchange) -> Any:
    from threatexchange.utils import dataclass_json

    if ex.checkpoint is None:
        return None
    cls = exchange_api_class(ex.api).get_checkpoint_cls()
    return dataclass_json.dataclass_load_dict(ex.checkpoint, cls)


def _dump_checkpoint(checkpoint: Any) -> dict[str, Any]:
    from threatexchange.utils import dataclass_json

    return _jsonable(dataclass_json.dataclass_dump_dict(checkpoint))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


# --- configuration actions ---------------------------------------------------------------------------------


def _load_exchange(session: Session, name: str) -> BankExchange:
    ex = session.execute(select(BankExchange).where(BankExchange.name == name)).scalar_one_or_none()
    if ex is None:
        raise NotFound(f"no exchange named {name!r}", code="exchange_not_found")
    return ex


def create_exchange(
    session: Session,
    name: str,
    api: str,
    *,
    bank_name: str | None = None,
    bank_kind: str = "block",
    config: Mapping[str, Any] | None = None,
    enabled: bool = True,
    actor: str = "system",
) -> ExchangeInfo:
    """Configure an exchange feeding ``bank_name`` (created, of ``bank_kind``, if it does not exist)."""
    if not name or len(name) > 100 or set(name) - _NAME_OK:
        raise Invalid("exchange names are 1-100 letters, digits, '_', '.' or '-'")
    api_cls = exchange_api_class(api)
    if session.execute(select(BankExchange.id).where(BankExchange.name == name)).first():
        raise Conflict(f"an exchange named {name!r} already exists", code="exchange_exists")
    target = bank_name or name
    bank = session.execute(select(Bank).where(Bank.name == target)).scalar_one_or_none()
    if bank is None:
        create_bank(session, target, bank_kind, description=f"fed by exchange {name}", actor=actor)
        bank = _load_bank(session, target)
    ex = BankExchange(
        name=name,
        api=api,
        bank_id=bank.id,
        config=_jsonable(dict(config or {})),
        enabled=enabled,
        fetched_items=0,
        created_at=utcnow(),
    )
    session.add(ex)
    session.flush()
    _collab(ex, api_cls)  # the settings must fit the API now, not at the first fetch
    _audit(session, actor, "exchange.create", "exchange", name, {"api": api, "bank": bank.name})
    return _info(ex)


def list_exchanges(session: Session) -> list[ExchangeInfo]:
    rows = session.execute(select(BankExchange).order_by(BankExchange.name)).scalars()
    return [_info(ex) for ex in rows]


def get_exchange(session: Session, name: str) -> ExchangeInfo:
    return _info(_load_exchange(session, name))


def update_exchange(
    session: Session,
    name: str,
    *,
    enabled: bool | None = None,
    config: Mapping[str, Any] | None = None,
    reset_checkpoint: bool = False,
    actor: str = "system",
) -> ExchangeInfo:
    """Enable/disable, change settings (merged) or drop the checkpoint so the next fetch starts over."""
    ex = _load_exchange(session, name)
    if enabled is not None:
        ex.enabled = enabled
    if config is not None:
        ex.config = _jsonable({**(ex.config or {}), **dict(config)})
        _collab(ex, exchange_api_class(ex.api))
    if reset_checkpoint:
        ex.checkpoint = None
    session.flush()
    _audit(
        session,
        actor,
        "exchange.update",
        "exchange",
        name,
        {"enabled": enabled, "config": config, "reset_checkpoint": reset_checkpoint},
    )
    return _info(ex)


def delete_exchange(
    session: Session, name: str, *, delete_entries: bool = False, actor: str = "system"
) -> int:
    """Remove an exchange; its entries stay in the bank unless ``delete_entries``. Returns entries removed."""
    ex = _load_exchange(session, name)
    removed = 0
    if delete_entries:
        ids = list(session.execute(select(BankEntry.id).where(BankEntry.exchange_id == ex.id)).scalars())
        _delete_entries(session, ex.bank_id, ids)
        removed = len(ids)
    session.delete(ex)
    session.flush()
    _audit(session, actor, "exchange.delete", "exchange", name, {"entries_removed": removed})
    return removed


# --- fetching ----------------------------------------------------------------------------------------------


def _record_key(key: Any) -> str:
    if isinstance(key, tuple):
        key = " ".join(str(k) for k in key)
    key = str(key)
    if len(key) > 300:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _acquire(session: Session, ex_id: int, force: bool) -> bool:
    now = utcnow()
    cond = [BankExchange.id == ex_id]
    if not force:
        cond.append(
            or_(
                BankExchange.fetch_started_at.is_(None),
                and_(
                    BankExchange.fetch_completed_at.is_not(None),
                    BankExchange.fetch_completed_at >= BankExchange.fetch_started_at,
                ),
                BankExchange.fetch_started_at < now - FETCH_LEASE,
            )
        )
    result = session.execute(update(BankExchange).where(*cond).values(fetch_started_at=now, last_error=None))
    return result.rowcount == 1


def fetch_exchange(
    db: Any,
    name: str,
    *,
    max_batches: int | None = None,
    stop: threading.Event | None = None,
    force: bool = False,
    actor: str = "system",
    on_batch: Callable[[FetchResult], None] | None = None,
) -> FetchResult:
    """Fetch new records from an exchange into its bank, committing batch by batch with the checkpoint.

    ``max_batches`` or ``stop`` end the fetch early (it resumes from there next time). Errors from the
    remote side are recorded on the exchange and raised as ``Unavailable``.
    """
    with db.begin() as session:
        ex = _load_exchange(session, name)
        if not ex.enabled:
            raise Conflict(f"exchange {name!r} is disabled", code="exchange_disabled")
        ex_id = ex.id
        client = _client(ex)
        checkpoint = _load_checkpoint(ex)
        if checkpoint is not None and checkpoint.is_stale():
            checkpoint = None
        if not _acquire(session, ex_id, force):
            raise Conflict(f"a fetch of exchange {name!r} is already running", code="fetch_running")
    result = FetchResult()
    api_cls = type(client)
    signal_types = _signal_types()
    # An empty batch only moves the checkpoint: that is kept in memory and written with the next batch
    # that has records, at most CHECKPOINT_EVERY seconds later, or at the end. Losing it to a crash only
    # means asking again about a stretch of time that had nothing in it.
    pending: Any = None
    last_write = time.monotonic()

    def commit(delta_updates: Mapping[Any, Any], delta_checkpoint: Any) -> None:
        with db.begin() as session:
            ex = session.get(BankExchange, ex_id)
            if ex is None:
                raise NotFound(f"exchange {name!r} was deleted during the fetch")
            if delta_updates:
                _apply_delta(session, ex, api_cls, signal_types, delta_updates, result)
            ex.checkpoint = _dump_checkpoint(delta_checkpoint)
            ex.fetched_items = (ex.fetched_items or 0) + len(delta_updates)

    try:
        for delta in client.fetch_iter(signal_types, checkpoint):
            if delta.updates or time.monotonic() - last_write > CHECKPOINT_EVERY:
                commit(delta.updates, delta.checkpoint)
                pending, last_write = None, time.monotonic()
            else:
                pending = delta.checkpoint
            result.batches += 1
            if on_batch is not None:
                on_batch(result)
            if (max_batches is not None and result.batches >= max_batches) or (stop and stop.is_set()):
                result.stopped = True
                break
        else:
            result.up_to_date = True
        if pending is not None:
            commit({}, pending)
    except Exception as e:
        with db.begin() as session:
            session.execute(
                update(BankExchange)
                .where(BankExchange.id == ex_id)
                .values(
                    fetch_completed_at=utcnow(),
                    fetch_succeeded=False,
                    last_error=_error_text(e),
                )
            )
        if isinstance(e, FirstlightError):
            raise
        log.warning("fetch of exchange %s failed:\n%s", name, traceback.format_exc())
        raise Unavailable(f"fetch of exchange {name!r} failed: {_error_text(e)}") from e
    with db.begin() as session:
        session.execute(
            update(BankExchange)
            .where(BankExchange.id == ex_id)
            .values(fetch_completed_at=utcnow(), fetch_succeeded=True, last_error=None)
        )
        _audit(session, actor, "exchange.fetch", "exchange", name, result.to_dict())
    return result


def _error_text(e: BaseException) -> str:
    pretty = getattr(e, "pretty_str", None)
    if callable(pretty):
        return str(pretty())[:2000]
    return (f"{type(e).__name__}: {e}")[:2000]


def _apply_delta(
    session: Session,
    ex: BankExchange,
    api_cls: Any,
    signal_types: list[type],
    updates: Mapping[Any, Any],
    result: FetchResult,
) -> None:
    """Merge one batch: removed records delete their entries; new or changed ones replace them."""
    from threatexchange.exchanges.fetch_state import SignalOpinionCategory

    bank = ex.bank
    collab = _collab(ex, api_cls)
    keys = {_record_key(k): k for k in updates}
    old: dict[str, list[int]] = {}
    key_list = list(keys)
    for i in range(0, len(key_list), 500):
        for eid, key in session.execute(
            select(BankEntry.id, BankEntry.exchange_key).where(
                BankEntry.exchange_id == ex.id, BankEntry.exchange_key.in_(key_list[i : i + 500])
            )
        ):
            old.setdefault(key, []).append(eid)
    old_signals: dict[int, set[tuple[str, str]]] = {}
    old_ids = [eid for ids in old.values() for eid in ids]
    for i in range(0, len(old_ids), 500):
        for eid, st, v in session.execute(
            select(BankSignal.entry_id, BankSignal.signal_type, BankSignal.value).where(
                BankSignal.entry_id.in_(old_ids[i : i + 500])
            )
        ):
            old_signals.setdefault(eid, set()).add((st, v))

    to_delete: list[int] = []
    new_records: list[tuple[str, list[tuple[str, str]], dict[str, Any]]] = []
    for key, raw_key in keys.items():
        result.records += 1
        value = api_cls.fetch_value_merge(None, updates[raw_key])
        pairs: list[tuple[str, str]] = []
        meta: dict[str, Any] = {"tags": set(), "opinion": None}
        if value is not None:
            converted = api_cls.naive_convert_to_signal_type(signal_types, collab, {raw_key: value})
            for st_cls, by_value in converted.items():
                for signal_str, md in by_value.items():
                    try:
                        pairs.append(normalise_signal(st_cls.get_name(), signal_str))
                    except Invalid:
                        result.skipped += 1
                        continue
                    agg = md.get_as_aggregate_opinion()
                    meta["tags"] |= set(agg.tags)
                    meta["opinion"] = agg.category
            for st, signal_str in _extra_signals(value, collab):
                try:
                    pairs.append(normalise_signal(st, signal_str))
                except Invalid:
                    result.skipped += 1
            if pairs and getattr(value, "classification", None):
                meta["tags"].add(str(value.classification))
        current = old.get(key, [])
        if value is None or not pairs:
            to_delete += current
            continue
        if meta["opinion"] == SignalOpinionCategory.NEGATIVE_CLASS and bank.kind != "allow":
            to_delete += current
            result.skipped += 1
            continue
        if len(current) == 1 and old_signals.get(current[0], set()) == set(pairs):
            entry = session.get(BankEntry, current[0])
            if entry is not None:
                iwf, ncmec = categories_from_tags(meta["tags"])
                entry.tags = sorted(meta["tags"]) or None
                entry.category_iwf = iwf or entry.category_iwf
                entry.category_ncmec = ncmec or entry.category_ncmec
            continue
        to_delete += current
        new_records.append((key, pairs, meta))

    if to_delete:
        _delete_entries(session, bank.id, to_delete)
        result.removed += len(to_delete)

    new = []
    for key, pairs, meta in new_records:
        iwf, ncmec = categories_from_tags(meta["tags"])
        fields = {
            "source": f"exchange:{ex.name}"[:200],
            "category_iwf": iwf,
            "category_ncmec": ncmec,
            "original_id": key if len(key) <= 300 else None,
            "tags": sorted(meta["tags"]) or None,
            "exchange_id": ex.id,
            "exchange_key": key,
            "added_by": f"exchange:{ex.name}"[:200],
        }
        new.append((fields, pairs))
    ids, duplicates = _insert_entries(session, bank, new)
    result.added += len(ids)
    result.duplicates += duplicates


def _extra_signals(value: Any, collab: Any) -> list[tuple[str, str]]:
    """Signals pytx's conversion leaves out that Firstlight can match: the MD5 of NCMEC *image* entries
    (pytx maps only video MD5s and image PDQs; image MD5s are most of NCMEC's industry list)."""
    fingerprints = getattr(value, "fingerprints", None)
    entry_type = getattr(getattr(value, "entry_type", None), "value", None)
    if not fingerprints or entry_type != "image" or getattr(value, "deleted", False):
        return []
    only = getattr(collab, "only_esp_ids", None)
    if only and getattr(value, "member_id", None) not in only:
        return []
    md5 = fingerprints.get("md5")
    return [("md5", md5)] if md5 else []


def _delete_entries(session: Session, bank_id: int, ids: list[int]) -> None:
    if not ids:
        return
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        session.execute(BankSignal.__table__.delete().where(BankSignal.entry_id.in_(chunk)))
        session.execute(BankEntry.__table__.delete().where(BankEntry.id.in_(chunk)))
    _changes.record_entries(session, "delete", sorted(ids), bank_id=bank_id)
