"""HMA-compatible routes, so clients of Meta's Hasher-Matcher-Actioner (such as ROOST Coop) work unchanged.

Paths, parameters and response shapes follow HMA 1.1 (``OpenMediaMatch/blueprints``): ``/h/hash``,
``/m/lookup``, ``/m/raw_lookup``, ``/m/index/status``, ``/c/banks``, ``/c/bank/<name>[/content[/<id>]]``
and ``/c/bank/<name>/signal``. Errors use HMA's ``{"message": …}`` body. ``bank_content_id`` is the bank
entry id. Where Firstlight differs, it is on purpose:

* An API key (``hash:read`` for ``/h`` and ``/m``, ``banks:write`` for ``/c``) is required unless the operator
  turns on ``FIRSTLIGHT_HMA_OPEN_ACCESS`` for a trusted network: an open lookup tells anyone whether their
  material is banked.
* ``/m/lookup`` applies Firstlight's semantics: per-bank thresholds, disabled entries and banks skipped,
  ``allow`` banks never listed, and a ``block`` match suppressed by an ``allow`` match left out.
  ``/m/raw_lookup`` lists every enabled entry within its bank's threshold, allow banks included.
* ``matching_enabled_ratio`` is all or nothing (a ratio above 0 means enabled); no coin flips.
* ``disable_until_ts``: 0 disables an entry, 1 enables it; a future timestamp disables it (it is not
  re-enabled automatically), a past one enables it.
* URLs given to ``?url=`` are fetched with the SSRF guard of the intake room.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from firstlight import banks
from firstlight.api.deps import get_principal
from firstlight.auth import Principal, require
from firstlight.banks._config import hma_open_access
from firstlight.errors import BadRequest, Conflict, FirstlightError, Invalid, NotFound

router = APIRouter(tags=["hma-compatible"])

# HMA content types (multipart field names) → the signal types Firstlight gives that content.
CONTENT_TYPES = ("photo", "video")


def _hma_scope(scope: str) -> Callable[..., Principal | None]:
    def dependency(request: Request) -> Principal | None:
        if hma_open_access():
            return None
        principal = get_principal(request)
        require(principal, scope)
        return principal

    dependency.__name__ = f"hma_{scope.replace(':', '_')}"
    return dependency


READ = _hma_scope("hash:read")
CURATE = _hma_scope("banks:write")


def _actor(principal: Principal | None) -> str:
    return principal.actor if principal is not None else "hma-open-access"


def _error(e: FirstlightError) -> JSONResponse:
    """HMA's error body and codes: 400 for bad input, 403 for 'already exists', 404, 503."""
    status = e.status_code
    if isinstance(e, Invalid):
        status = 400
    elif isinstance(e, Conflict):
        status = 403
    return JSONResponse({"message": e.message}, status_code=status)


async def _run(fn: Callable[[], Any], status_code: int = 200) -> Any:
    try:
        result = await run_in_threadpool(fn)
    except FirstlightError as e:
        return _error(e)
    if status_code != 200:
        return JSONResponse(result, status_code=status_code)
    return result


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    v = value.lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise BadRequest("invalid boolean parameter - prefer true/false")


def _require(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if value is None:
        raise BadRequest(f"{name} is required")
    return value


# --- hashing --------------------------------------------------------------------------------------------


def _hash_to_dict(data: bytes, types: str | None) -> dict[str, str]:
    from firstlight.signals import hash_bytes

    out: dict[str, str] = {}
    for s in hash_bytes(data):
        if (s.extra or {}).get("dihedral"):
            continue
        out.setdefault(s.signal_type, s.value)
    if types:
        wanted = [t.strip() for t in types.split(",") if t.strip()]
        unknown = [t for t in wanted if t not in out]
        if unknown:
            raise BadRequest(f"signal type '{unknown[0]}' doesn't exist or is disabled")
        if not wanted:
            raise BadRequest("empty signal type selection")
        out = {t: out[t] for t in wanted}
    return out


async def _form_media(request: Request) -> bytes:
    """HMA's multipart upload: exactly one file, whose field name is a content type (photo/video)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("Missing multipart/form-data file upload")
    form = await request.form()
    files = [(k, v) for k, v in form.multi_items() if hasattr(v, "read")]
    if not files:
        raise BadRequest("Missing multipart/form-data file upload")
    if len(files) > 1:
        raise BadRequest("Only one file allowed per request")
    field, upload = files[0]
    if field not in CONTENT_TYPES:
        raise BadRequest(f"no such content_type: '{field}'")
    return await upload.read()


def _fetch(request: Request, url: str) -> bytes:
    from firstlight.intake.fetch import FetchLimits, fetch_url

    return fetch_url(url, FetchLimits.from_settings(request.app.state.settings)).data


@router.get("/h/hash", summary="HMA: fetch a URL and hash it")
async def h_hash_get(request: Request, principal: Any = Depends(READ)) -> Any:
    try:
        url = _require(request, "url")
        types = request.query_params.get("types")
    except FirstlightError as e:
        return _error(e)
    return await _run(lambda: _hash_to_dict(_fetch(request, url), types))


@router.post("/h/hash", summary="HMA: hash an uploaded file (multipart field 'photo' or 'video')")
async def h_hash_post(request: Request, principal: Any = Depends(READ)) -> Any:
    try:
        data = await _form_media(request)
    except FirstlightError as e:
        return _error(e)
    types = request.query_params.get("types")
    return await _run(lambda: _hash_to_dict(data, types))


# --- matching -------------------------------------------------------------------------------------------


def _matches(request: Request, pairs: list[tuple[str, str]]) -> Any:
    from firstlight.api.routes.hashing import _register_matcher

    _register_matcher(request)
    queries = banks.signals_from_pairs(pairs)
    with request.app.state.db.session() as session:
        return banks.match_signals(session, queries)


def _banks_param(request: Request) -> set[str] | None:
    raw = request.query_params.get("banks")
    return {b for b in raw.split(",") if b} if raw else None


def _lookup_by_bank(report: Any, only: set[str] | None) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for m in report.matches:
        if m.bank_kind == "allow" or m.suppressed_by is not None:
            continue
        if only is not None and m.bank_name not in only:
            continue
        hits = out.setdefault(m.bank_name, [])
        if all(h["bank_content_id"] != m.entry_id for h in hits):
            hits.append({"bank_content_id": m.entry_id, "distance": str(m.distance)})
    return out


@router.get("/m/raw_lookup", summary="HMA: look a hash up, answering content ids")
async def m_raw_lookup(request: Request, principal: Any = Depends(READ)) -> Any:
    def run() -> dict[str, Any]:
        signal = _require(request, "signal")
        signal_type = _require(request, "signal_type")
        include_distance = _bool(request.query_params.get("include_distance"))
        only = _banks_param(request)
        report = _matches(request, [(signal_type, signal)])
        seen: dict[int, int] = {}
        for m in report.matches:
            if only is not None and m.bank_name not in only:
                continue
            if m.entry_id not in seen or m.distance < seen[m.entry_id]:
                seen[m.entry_id] = m.distance
        if include_distance:
            return {
                "matches": [{"bank_content_id": eid, "distance": str(d)} for eid, d in sorted(seen.items())]
            }
        return {"matches": sorted(seen)}

    return await _run(run)


@router.get("/m/lookup", summary="HMA: look a hash (or a URL's content) up, answering banks")
async def m_lookup_get(request: Request, principal: Any = Depends(READ)) -> Any:
    def run() -> dict[str, Any]:
        only = _banks_param(request)
        url = request.query_params.get("url")
        signal_type = request.query_params.get("signal_type")
        if url:
            hashes = _hash_to_dict(_fetch(request, url), request.query_params.get("types"))
            resp = {
                st: _lookup_by_bank(_matches(request, [(st, value)]), only) for st, value in hashes.items()
            }
            if signal_type is not None:
                return resp.get(signal_type, {})
            return resp
        signal = request.query_params.get("signal")
        if not signal or not signal_type:
            raise BadRequest("Either url or both signal and signal_type are required")
        return _lookup_by_bank(_matches(request, [(signal_type, signal)]), only)

    return await _run(run)


@router.post("/m/lookup", summary="HMA: hash an uploaded file and look it up")
async def m_lookup_post(request: Request, principal: Any = Depends(READ)) -> Any:
    try:
        data = await _form_media(request)
    except FirstlightError as e:
        return _error(e)

    def run() -> dict[str, Any]:
        only = _banks_param(request)
        hashes = _hash_to_dict(data, request.query_params.get("types"))
        return {st: _lookup_by_bank(_matches(request, [(st, value)]), only) for st, value in hashes.items()}

    return await _run(run)


@router.get("/m/index/status", summary="HMA: index status per signal type")
async def m_index_status(request: Request, principal: Any = Depends(READ)) -> Any:
    def run() -> dict[str, Any]:
        matcher = banks.get_matcher(request.app.state.db)
        matcher.ensure_loaded()
        stats = matcher.stats()
        out = {}
        for st, key in (
            ("pdq", "pdq"),
            ("vpdq", "vpdq_frames"),
            ("md5", "md5"),
            ("video_md5", "md5"),
            ("sha256", "sha256"),
            ("video_sha256", "sha256"),
        ):
            size = int(stats.get(key, 0))
            out[st] = {"present": True, "built_to": int(stats["cursor"]), "size": size}
        only = request.query_params.get("signal_type")
        if only is not None:
            if only not in out:
                raise BadRequest(f"No such signal type '{only}'")
            return {only: out[only]}
        return out

    return await _run(run)


# --- curation -------------------------------------------------------------------------------------------


def _bank_config(info: banks.BankInfo) -> dict[str, Any]:
    return {"name": info.name, "matching_enabled_ratio": 1.0 if info.enabled else 0.0}


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise BadRequest("this endpoint expects a json object payload") from None
    if not isinstance(body, dict):
        raise BadRequest("this endpoint expects a json object payload")
    return body


def _enabled_from(body: dict[str, Any]) -> bool | None:
    if body.get("enabled_ratio") is not None:
        try:
            return float(body["enabled_ratio"]) > 0
        except (TypeError, ValueError):
            raise BadRequest("enabled_ratio must be a number between 0 and 1") from None
    if body.get("enabled") is not None:
        return bool(body["enabled"])
    return None


@router.get("/c/banks", summary="HMA: list banks")
async def c_banks(request: Request, principal: Any = Depends(CURATE)) -> Any:
    def run() -> list[dict[str, Any]]:
        with request.app.state.db.session() as session:
            return [_bank_config(b) for b in banks.list_banks(session)]

    return await _run(run)


@router.post("/c/banks", summary="HMA: create a bank")
async def c_bank_create(request: Request, principal: Any = Depends(CURATE)) -> Any:
    raw = await request.body()

    def run() -> dict[str, Any]:
        body = _json_body(raw)
        name = body.get("name")
        if not name:
            raise BadRequest("name is required")
        enabled = _enabled_from(body)
        with request.app.state.db.begin() as session:
            info = banks.create_bank(
                session,
                str(name),
                str(body.get("kind") or "block"),
                enabled=True if enabled is None else enabled,
                actor=_actor(principal),
            )
        return _bank_config(info)

    return await _run(run, status_code=201)


@router.get("/c/bank/{bank_name}", summary="HMA: show a bank")
async def c_bank_get(bank_name: str, request: Request, principal: Any = Depends(CURATE)) -> Any:
    def run() -> dict[str, Any]:
        with request.app.state.db.session() as session:
            return _bank_config(banks.get_bank(session, bank_name))

    return await _run(run)


@router.put("/c/bank/{bank_name}", summary="HMA: rename, enable or disable a bank")
async def c_bank_update(bank_name: str, request: Request, principal: Any = Depends(CURATE)) -> Any:
    raw = await request.body()

    def run() -> dict[str, Any]:
        body = _json_body(raw)
        with request.app.state.db.begin() as session:
            info = banks.update_bank(
                session,
                bank_name,
                enabled=_enabled_from(body),
                rename=body.get("name"),
                actor=_actor(principal),
            )
        return _bank_config(info)

    return await _run(run)


@router.delete("/c/bank/{bank_name}", summary="HMA: delete a bank")
async def c_bank_delete(bank_name: str, request: Request, principal: Any = Depends(CURATE)) -> Any:
    def run() -> dict[str, Any]:
        # HMA: deleting a bank that does not exist is not an error
        with request.app.state.db.begin() as session, contextlib.suppress(NotFound):
            banks.delete_bank(session, bank_name, actor=_actor(principal))
        return {"message": "Done"}

    return await _run(run)


def _content(entry: banks.EntryInfo, info: banks.BankInfo, include_signals: bool) -> dict[str, Any]:
    collab: dict[str, list[str]] = {}
    if entry.source.startswith("exchange:") and entry.exchange_key:
        collab[entry.source.removeprefix("exchange:")] = [entry.exchange_key]
    out: dict[str, Any] = {
        "id": entry.id,
        "disable_until_ts": 1 if entry.enabled else 0,
        "original_media_uri": None,
        "bank": _bank_config(info),
        "metadata": {
            "content_id": entry.original_id,
            "content_uri": None,
            "json": {
                "source": entry.source,
                "category_iwf": entry.category_iwf,
                "category_ncmec": entry.category_ncmec,
                "tags": list(entry.tags),
            },
            "collab": collab or None,
        },
        "note": entry.note,
    }
    if include_signals:
        out["signals"] = dict(entry.signals)
    return out


def _metadata(raw: Any) -> dict[str, Any]:
    """Firstlight entry metadata from HMA's ``BankedContentMetadata`` (content_id, content_uri, json)."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise BadRequest("metadata should be a json object") from None
    if not isinstance(raw, dict):
        raise BadRequest("metadata should be a json object")
    extra = raw.get("json") if isinstance(raw.get("json"), dict) else {}
    meta: dict[str, Any] = {}
    if raw.get("content_id"):
        meta["original_id"] = str(raw["content_id"])[:300]
    for key in ("category_iwf", "category_ncmec", "note"):
        if extra.get(key):
            meta[key] = str(extra[key])
    if raw.get("content_uri"):
        meta["note"] = (meta.get("note", "") + f" content_uri={raw['content_uri']}").strip()
    return meta


def _added(entry: banks.EntryInfo) -> dict[str, Any]:
    return {"id": entry.id, "signals": dict(entry.signals)}


@router.get("/c/bank/{bank_name}/content/{content_id}", summary="HMA: show banked content")
async def c_content_get(
    bank_name: str, content_id: int, request: Request, principal: Any = Depends(CURATE)
) -> Any:
    def run() -> dict[str, Any]:
        include = _bool(request.query_params.get("include_signals"))
        with request.app.state.db.session() as session:
            info = banks.get_bank(session, bank_name)
            try:
                entry = banks.get_entry(session, content_id, bank_name=bank_name)
            except NotFound:
                raise NotFound(f"content '{content_id}' not found") from None
        return _content(entry, info, include)

    return await _run(run)


@router.post("/c/bank/{bank_name}/content", summary="HMA: add content (multipart upload or ?url=)")
async def c_content_add(bank_name: str, request: Request, principal: Any = Depends(CURATE)) -> Any:
    url = request.query_params.get("url")
    metadata: Any = None
    data: bytes | None = None
    try:
        if url:
            if request.headers.get("content-type", "").startswith("application/json"):
                metadata = _json_body(await request.body()).get("metadata")
        elif request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            metadata = form.get("metadata") if isinstance(form.get("metadata"), str) else None
            files = [(k, v) for k, v in form.multi_items() if hasattr(v, "read")]
            if len(files) != 1:
                raise BadRequest("Only one file allowed per request")
            if files[0][0] not in CONTENT_TYPES:
                raise BadRequest(f"no such content_type: '{files[0][0]}'")
            data = await files[0][1].read()
        else:
            raise BadRequest("Neither `url` nor multipart file upload was received")
    except FirstlightError as e:
        return _error(e)

    def run() -> dict[str, Any]:
        meta = _metadata(metadata)
        with request.app.state.db.session() as session:
            banks.get_bank(session, bank_name)
        media = data if data is not None else _fetch(request, str(url))
        with request.app.state.db.begin() as session:
            entry = banks.add_media_to_bank(
                session, bank_name, media, source="hma:content", actor=_actor(principal), **meta
            )
        return _added(entry)

    return await _run(run)


@router.put("/c/bank/{bank_name}/content/{content_id}", summary="HMA: enable or disable content")
async def c_content_update(
    bank_name: str, content_id: int, request: Request, principal: Any = Depends(CURATE)
) -> Any:
    raw = await request.body()

    def run() -> dict[str, Any]:
        import time

        body = _json_body(raw)
        with request.app.state.db.begin() as session:
            info = banks.get_bank(session, bank_name)
            entry = banks.get_entry(session, content_id, bank_name=bank_name)
            if "disable_until_ts" in body:
                try:
                    ts = int(body["disable_until_ts"])
                except (TypeError, ValueError):
                    raise BadRequest(f"Invalid int: '{body['disable_until_ts']}'") from None
                if ts < 0:
                    raise BadRequest("disable_until_ts must be a non-negative integer")
                enabled = ts == 1 or (ts > 1 and ts <= time.time())
                entry = banks.set_entry_enabled(
                    session,
                    content_id,
                    enabled,
                    reason=f"disable_until_ts={ts}",
                    bank_name=bank_name,
                    actor=_actor(principal),
                )
        return {
            "id": entry.id,
            "disable_until_ts": 1 if entry.enabled else 0,
            "collab_metadata": {},
            "original_media_uri": None,
            "bank": _bank_config(info),
        }

    return await _run(run)


@router.delete("/c/bank/{bank_name}/content/{content_id}", summary="HMA: remove content")
async def c_content_delete(
    bank_name: str, content_id: int, request: Request, principal: Any = Depends(CURATE)
) -> Any:
    def run() -> dict[str, Any]:
        with request.app.state.db.begin() as session:
            banks.get_bank(session, bank_name)
            try:
                banks.delete_entry(session, content_id, bank_name=bank_name, actor=_actor(principal))
            except NotFound:
                return {"deleted": 0}
        return {"deleted": 1}

    return await _run(run)


@router.post("/c/bank/{bank_name}/signal", summary="HMA: add hashes directly ({signal_type: value})")
async def c_signal_add(bank_name: str, request: Request, principal: Any = Depends(CURATE)) -> Any:
    raw = await request.body()

    def run() -> dict[str, Any]:
        body = _json_body(raw)
        if not body:
            raise BadRequest("No signals given")
        with request.app.state.db.begin() as session:
            entry = banks.add_to_bank(
                session,
                bank_name,
                {str(k): str(v) for k, v in body.items()},
                source="hma:signal",
                actor=_actor(principal),
            )
        return _added(entry)

    return await _run(run)
