"""``/v1/streams``: live sessions — their state, and the push endpoint for sampled frames and segments.

Sessions start and end through events (``stream.start`` / ``stream.end`` on ``/v1/events``), so they are
durable before the platform hears 202. Frames are different: ``POST /v1/streams/{id}/frames`` takes the
raw bytes of a JPEG/PNG/WebP frame or an MPEG-TS/fMP4 segment and hands them straight to the stream worker,
without storing an event per frame. Frames are transient samples arriving many times a second; storing
each would cost a durable write per frame for nothing, since what matches is preserved as evidence at once
and what does not match is of no further use. A full session queue answers 503 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from firstlight import streams
from firstlight.api.deps import CurrentPrincipal, DbDep, DbSession, require_scope
from firstlight.api.errors import error_response
from firstlight.auth import Principal, require
from firstlight.errors import Forbidden, TooLarge, Unavailable

router = APIRouter(prefix="/v1/streams", tags=["streams"])

MAX_PUSH_BYTES = 32 * 1024 * 1024


def _reader(principal: CurrentPrincipal) -> Principal:
    """The platform (``events:write``) and reviewers (``cases:review``) may read stream state."""
    for scope in ("events:write", "cases:review"):
        try:
            require(principal, scope)
            return principal
        except Forbidden:
            continue
    raise Forbidden("reading streams needs the events:write or cases:review scope")


class PushAck(BaseModel):
    stream_id: str
    queued_frames: int
    tier: str


@router.get("", summary="List live sessions (newest first)")
def list_sessions(
    session: DbSession,
    status: str | None = Query(default=None, description="live, ended, actioned, stalled, ..."),
    tier: str | None = Query(default=None, description="T0..T3"),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(_reader),
) -> dict[str, Any]:
    rows = streams.list_streams(session, status=status, tier=tier, limit=limit)
    return {"streams": [streams.StreamState(row=r, escalations=[]).as_dict() for r in rows]}


@router.get("/{stream_id}", summary="One session's live state, metrics and escalations")
def get_session(stream_id: str, session: DbSession, _: Principal = Depends(_reader)) -> dict[str, Any]:
    return streams.get_stream(session, stream_id).as_dict()


@router.post(
    "/{stream_id}/frames",
    status_code=202,
    response_model=PushAck,
    summary="Push a sampled frame (JPEG/PNG/WebP) or a media segment (MPEG-TS, fMP4 with init)",
    responses={503: {"description": "the session's queue is full: retry after Retry-After seconds"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The raw bytes; the format is sniffed from them, not from Content-Type.",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("image/jpeg", "image/png", "image/webp", "video/mp2t", "video/mp4")
            },
        }
    },
)
async def push_frames(
    stream_id: str,
    request: Request,
    db: DbDep,
    offset_seconds: float | None = Query(default=None, ge=0, description="where this starts in the stream"),
    _: Principal = Depends(require_scope("events:write")),
) -> Any:
    body = await request.body()
    if len(body) > MAX_PUSH_BYTES:
        raise TooLarge(f"a pushed frame or segment may be at most {MAX_PUSH_BYTES} bytes")
    try:
        queued = await run_in_threadpool(
            streams.push_media, db, stream_id, body, offset_seconds=offset_seconds
        )
    except Unavailable as exc:
        retry = str((exc.details or {}).get("retry_after_s", 1)) if isinstance(exc.details, dict) else "1"
        return error_response(503, exc.code, exc.message, exc.details, {"Retry-After": retry})
    worker = streams.get_worker(db)
    live = worker.get(stream_id) if worker is not None else None
    tier = live.tier.label if live is not None else "T3"
    return JSONResponse(
        PushAck(stream_id=stream_id, queued_frames=queued, tier=tier).model_dump(), status_code=202
    )
