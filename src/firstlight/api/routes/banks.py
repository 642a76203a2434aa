"""``/v1/banks`` and ``/v1/exchanges``: curate hash banks and the exchanges that feed them.

Bank contents are sensitive (a lookup oracle for known material), so reading them needs ``banks:write``
too. Every route calls the same service function as the ``firstlight bank`` command.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from firstlight import banks
from firstlight.api.deps import DbDep, DbSession, require_scope
from firstlight.api.routes.hashing import MEDIA_BODY, read_media
from firstlight.auth import Principal
from firstlight.banks import exchanges
from firstlight.errors import BadRequest

router = APIRouter(tags=["banks"])
WRITE = require_scope("banks:write")


class BankCreate(BaseModel):
    name: str = Field(..., description="1-100 letters, digits, '_', '.' or '-'")
    kind: Literal["block", "allow", "survivor"] = "block"
    thresholds: dict[str, int] | None = Field(None, description='e.g. {"pdq": 24}; PDQ 0-31, default 31')
    description: str | None = None
    enabled: bool = True


class BankUpdate(BaseModel):
    kind: Literal["block", "allow", "survivor"] | None = None
    thresholds: dict[str, int] | None = None
    description: str | None = None
    enabled: bool | None = None
    name: str | None = Field(None, description="rename the bank")


class EntryCreate(BaseModel):
    signals: dict[str, str] | list[dict[str, str]] = Field(
        ..., description='{"pdq": "…", "md5": "…"} or [{"signal_type": "pdq", "value": "…"}]'
    )
    source: str = "manual"
    category_iwf: Literal["A", "B", "C"] | None = None
    category_ncmec: Literal["A1", "A2", "B1", "B2"] | None = None
    note: str | None = None
    original_id: str | None = None
    tags: list[str] | None = None


class EntryUpdate(BaseModel):
    enabled: bool
    reason: str | None = None


class ExchangeCreate(BaseModel):
    name: str
    api: Literal["local_file", "ncmec", "stop_ncii", "fb_threatexchange"]
    bank: str | None = Field(None, description="the bank it feeds (default: one named after the exchange)")
    bank_kind: Literal["block", "allow", "survivor"] = "block"
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="the pytx collaboration settings of the API, plus base_url for ncmec",
    )
    enabled: bool = True


class ExchangeUpdate(BaseModel):
    enabled: bool | None = None
    config: dict[str, Any] | None = None
    reset_checkpoint: bool = False


# --- banks ----------------------------------------------------------------------------------------------


@router.get("/v1/banks", summary="List banks")
def list_banks(session: DbSession, principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return {"banks": [b.to_dict() for b in banks.list_banks(session)]}


@router.post("/v1/banks", status_code=201, summary="Create a bank")
def create_bank(
    body: BankCreate, session: DbSession, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    info = banks.create_bank(
        session,
        body.name,
        body.kind,
        thresholds=body.thresholds,
        description=body.description,
        enabled=body.enabled,
        actor=principal.actor,
    )
    session.commit()
    return info.to_dict()


@router.get("/v1/banks/{name}", summary="Show a bank")
def get_bank(name: str, session: DbSession, principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return banks.get_bank(session, name).to_dict()


@router.patch("/v1/banks/{name}", summary="Change a bank's kind, thresholds, description or name")
def update_bank(
    name: str, body: BankUpdate, session: DbSession, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    info = banks.update_bank(
        session,
        name,
        kind=body.kind,
        thresholds=body.thresholds,
        description=body.description,
        enabled=body.enabled,
        rename=body.name,
        actor=principal.actor,
    )
    session.commit()
    return info.to_dict()


@router.delete("/v1/banks/{name}", summary="Delete a bank and its entries")
def delete_bank(name: str, session: DbSession, principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    removed = banks.delete_bank(session, name, actor=principal.actor)
    session.commit()
    return {"deleted": name, "entries": removed}


# --- entries --------------------------------------------------------------------------------------------


@router.get("/v1/banks/{name}/entries", summary="List a bank's entries (paged by id)")
def list_entries(
    name: str,
    session: DbSession,
    after_id: int = Query(0, ge=0, description="the last id of the previous page"),
    limit: int = Query(100, ge=1, le=1000),
    enabled: bool | None = None,
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    rows = banks.list_entries(session, name, limit=limit, after_id=after_id, enabled=enabled)
    return {
        "entries": [e.to_dict() for e in rows],
        "next_after_id": rows[-1].id if len(rows) == limit else None,
    }


@router.post(
    "/v1/banks/{name}/entries",
    status_code=201,
    summary="Add an entry from hashes (JSON) or from media (multipart 'file' or raw body)",
    openapi_extra=MEDIA_BODY,
)
async def add_entry(
    name: str, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    """JSON body: ``EntryCreate``. Media: metadata as query parameters (``category_ncmec``, ``note``…).
    Answers 200 with the existing entry when every signal is already in the bank."""
    db = request.app.state.db
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = EntryCreate.model_validate_json(await request.body())
        except ValueError as e:
            raise BadRequest(f"invalid entry: {e}") from None
        signals: Any = (
            body.signals
            if isinstance(body.signals, dict)
            else [(s.get("signal_type", ""), s.get("value", "")) for s in body.signals]
        )
        meta = body.model_dump(exclude={"signals"})

        def run() -> banks.EntryInfo:
            with db.begin() as session:
                return banks.add_to_bank(session, name, signals, actor=principal.actor, **meta)

    else:
        data = await read_media(request)
        q = request.query_params
        meta = {k: q.get(k) for k in ("category_iwf", "category_ncmec", "note", "original_id") if q.get(k)}
        meta["source"] = q.get("source") or "upload"
        if q.get("tags"):
            meta["tags"] = [t for t in q.get("tags", "").split(",") if t]

        def run() -> banks.EntryInfo:
            with db.begin() as session:
                return banks.add_media_to_bank(session, name, data, actor=principal.actor, **meta)

    entry = await run_in_threadpool(run)
    if not entry.created:
        response.status_code = 200
    return {**entry.to_dict(), "created": entry.created}


@router.get("/v1/banks/{name}/entries/{entry_id}", summary="Show an entry")
def get_entry(
    name: str, entry_id: int, session: DbSession, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    return banks.get_entry(session, entry_id, bank_name=name).to_dict()


@router.patch("/v1/banks/{name}/entries/{entry_id}", summary="Disable or enable an entry")
def update_entry(
    name: str,
    entry_id: int,
    body: EntryUpdate,
    session: DbSession,
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    info = banks.set_entry_enabled(
        session, entry_id, body.enabled, reason=body.reason, bank_name=name, actor=principal.actor
    )
    session.commit()
    return info.to_dict()


@router.delete("/v1/banks/{name}/entries/{entry_id}", summary="Delete an entry (prefer disabling)")
def delete_entry(
    name: str, entry_id: int, session: DbSession, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    banks.delete_entry(session, entry_id, bank_name=name, actor=principal.actor)
    session.commit()
    return {"deleted": entry_id}


# --- import and export ----------------------------------------------------------------------------------


@router.post(
    "/v1/banks/{name}/import",
    summary="Import a hash list (pytx local-file or CSV format, or Firstlight JSON lines)",
    openapi_extra={
        "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}},
    },
)
async def import_list(
    name: str,
    request: Request,
    format: Literal["local", "csv", "jsonl"] = Query("local"),
    signal_type: str | None = Query(None, description="for 'local' files holding bare signals"),
    source: str | None = Query(None, description="provenance recorded on each entry"),
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    data = await read_media(request)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the hash list is not UTF-8 text") from None
    db = request.app.state.db

    def run() -> banks.ImportResult:
        with db.begin() as session:
            return banks.import_into_bank(
                session,
                name,
                text.splitlines(),
                format,
                signal_type=signal_type,
                source=source,
                actor=principal.actor,
            )

    result = await run_in_threadpool(run)
    return result.to_dict()


@router.get("/v1/banks/{name}/export", summary="Export a bank's entries as a hash list")
def export_list(
    name: str,
    db: DbDep,
    format: Literal["local", "csv", "jsonl"] = Query("csv"),
    include_disabled: bool = False,
    principal: Principal = Depends(WRITE),
) -> StreamingResponse:
    with db.session() as session:
        banks.get_bank(session, name)  # 404 before the stream starts

    def lines() -> Any:
        with db.session() as session:
            yield from banks.export_bank(session, name, format, include_disabled=include_disabled)

    media = {"csv": "text/csv", "jsonl": "application/x-ndjson"}.get(format, "text/plain")
    return StreamingResponse(
        lines(),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )


# --- exchanges ------------------------------------------------------------------------------------------


@router.get("/v1/exchanges", tags=["exchanges"], summary="List exchanges")
def list_exchanges(session: DbSession, principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return {
        "apis": list(exchanges.EXCHANGE_APIS),
        "exchanges": [e.to_dict() for e in exchanges.list_exchanges(session)],
    }


@router.post("/v1/exchanges", tags=["exchanges"], status_code=201, summary="Configure an exchange")
def create_exchange(
    body: ExchangeCreate, session: DbSession, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    info = exchanges.create_exchange(
        session,
        body.name,
        body.api,
        bank_name=body.bank,
        bank_kind=body.bank_kind,
        config=body.config,
        enabled=body.enabled,
        actor=principal.actor,
    )
    session.commit()
    return info.to_dict()


@router.get("/v1/exchanges/{name}", tags=["exchanges"], summary="Show an exchange and its fetch status")
def get_exchange(name: str, session: DbSession, principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return exchanges.get_exchange(session, name).to_dict()


@router.patch("/v1/exchanges/{name}", tags=["exchanges"], summary="Change or reset an exchange")
def update_exchange(
    name: str, body: ExchangeUpdate, session: DbSession, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    info = exchanges.update_exchange(
        session,
        name,
        enabled=body.enabled,
        config=body.config,
        reset_checkpoint=body.reset_checkpoint,
        actor=principal.actor,
    )
    session.commit()
    return info.to_dict()


@router.delete("/v1/exchanges/{name}", tags=["exchanges"], summary="Remove an exchange")
def delete_exchange(
    name: str,
    session: DbSession,
    delete_entries: bool = False,
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    removed = exchanges.delete_exchange(session, name, delete_entries=delete_entries, actor=principal.actor)
    session.commit()
    return {"deleted": name, "entries_removed": removed}


@router.post("/v1/exchanges/{name}/fetch", tags=["exchanges"], summary="Fetch new records now")
def fetch_exchange(
    name: str,
    db: DbDep,
    max_batches: int | None = Query(None, ge=1, description="stop after this many batches (resumable)"),
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    result = exchanges.fetch_exchange(db, name, max_batches=max_batches, actor=principal.actor)
    with db.session() as session:
        status = exchanges.get_exchange(session, name).to_dict()
    return {"result": result.to_dict(), "exchange": json.loads(json.dumps(status, default=str))}
