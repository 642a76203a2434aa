"""``/v1/hash`` (media in, signals out) and ``/v1/match`` (signals or media in, bank matches out).

Media can be sent as the raw request body or as a multipart upload (field ``file``); ``/v1/match`` also
takes JSON ``{"signals": [{"signal_type": "pdq", "value": "…"}]}`` or ``{"signals": {"pdq": "…"}}``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from firstlight.api.deps import require_scope
from firstlight.auth import Principal
from firstlight.errors import BadRequest

router = APIRouter(prefix="/v1", tags=["matching"])

MEDIA_BODY = {
    "requestBody": {
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
}


async def read_media(request: Request, *, field: str | None = "file") -> bytes:
    """The media bytes of a request: a multipart file (``field``, else the only file) or the raw body."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        files = [(k, v) for k, v in form.multi_items() if hasattr(v, "read")]
        if field is not None:
            named = [v for k, v in files if k == field]
            files = [(field, v) for v in named] or files
        if len(files) != 1:
            raise BadRequest("send exactly one file (multipart field 'file') or the raw bytes as the body")
        data = await files[0][1].read()
    else:
        data = await request.body()
    if not data:
        raise BadRequest("no media in the request")
    return data


def signal_dicts(signals: list[Any]) -> list[dict[str, Any]]:
    return [
        {"signal_type": s.signal_type, "value": s.value, "quality": s.quality, "extra": dict(s.extra or {})}
        for s in signals
    ]


def parse_signal_json(body: Any) -> list[tuple[str, str]]:
    """``(type, value)`` pairs from ``{"signals": [...]}`` / ``{"signals": {...}}`` or a bare signal."""
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    raw = body.get("signals")
    if raw is None and "signal_type" in body:
        raw = [body]
    if isinstance(raw, dict):
        return [(str(k), str(v)) for k, v in raw.items()]
    if isinstance(raw, list) and raw:
        pairs = []
        for item in raw:
            if not isinstance(item, dict) or "signal_type" not in item or "value" not in item:
                raise BadRequest("each signal needs 'signal_type' and 'value'")
            pairs.append((str(item["signal_type"]), str(item["value"])))
        return pairs
    raise BadRequest("give 'signals' as a list of {signal_type, value} or an object {type: value}")


@router.post("/hash", summary="Hash media", openapi_extra=MEDIA_BODY)
async def hash_media(
    request: Request,
    dihedral: bool = Query(False, description="Also return the 7 rotated/flipped PDQ variants"),
    principal: Principal = Depends(require_scope("hash:read")),
) -> dict[str, Any]:
    """Media in, signals out: PDQ, MD5 and SHA-256 for photos; vPDQ, MD5 and SHA-256 for videos."""
    from firstlight.media import sniff
    from firstlight.signals import hash_bytes

    data = await read_media(request)
    signals = await run_in_threadpool(hash_bytes, data, dihedral=dihedral)
    return {"media_type": str(sniff(data)), "bytes": len(data), "signals": signal_dicts(signals)}


@router.post("/match", summary="Match signals or media against the banks", openapi_extra=MEDIA_BODY)
async def match(
    request: Request,
    dihedral: bool = Query(False, description="For media: also match rotated/flipped copies"),
    principal: Principal = Depends(require_scope("hash:read")),
) -> dict[str, Any]:
    """Each match names the bank, its kind, the entry, the signal, the distance and the threshold. A
    ``block`` match that an ``allow`` (known false positive) match suppresses says so in ``suppressed_by``;
    ``blocking`` counts the block matches left."""
    from firstlight.banks import match_bytes, match_signals, signals_from_pairs

    db = request.app.state.db
    _register_matcher(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise BadRequest("the body is not valid JSON") from None
        queries = signals_from_pairs(parse_signal_json(body))

        def run() -> dict[str, Any]:
            with db.session() as session:
                return match_signals(session, queries).explain()

    else:
        data = await read_media(request)

        def run() -> dict[str, Any]:
            with db.session() as session:
                return match_bytes(session, data, dihedral=dihedral).explain()

    return await run_in_threadpool(run)


def _register_matcher(request: Request) -> None:
    """Tell the process's matcher where ``serve`` keeps index snapshots (``<data_dir>/indexes``)."""
    from firstlight.banks import get_matcher

    get_matcher(request.app.state.db, index_dir=request.app.state.settings.data_dir / "indexes")
