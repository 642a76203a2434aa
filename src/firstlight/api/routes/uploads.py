"""``/v1/uploads``: scan an upload. The media is checked now (so bad input gets its 4xx at once and changes
nothing), then stored durably as an ``upload`` event before the 202; the event worker does the rest.

Two ways to send it:

* ``multipart/form-data`` with a ``file`` part and the context as form fields;
* ``application/json`` with ``media_base64`` or ``media_url`` (fetched SSRF-safely, now).

Context fields: ``content_id``, ``account_id`` (required), ``surface`` (public/private), ``uploaded_at``,
``uploader_ip``, ``uploader_port``, ``filename``, ``audience_size``; optional ``id`` (the platform's event
id; by default ``upload:<content_id>:<sha256 prefix>``, so a retried request is acknowledged, not stored
twice).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from firstlight import events
from firstlight.api.deps import DbDep, require_scope
from firstlight.auth import Principal
from firstlight.errors import BadRequest, Invalid, NotFound, TooLarge, Unsupported
from firstlight.events.schema import EventEnvelope
from firstlight.events.service import validation_details
from firstlight.intake import FetchLimits, UploadScan, check_media, decode_base64, fetch_url
from firstlight.metrics import EVENTS_ACCEPTED, EVENTS_DUPLICATE

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])

_FIELDS = ("id", "content_id", "account_id", "surface", "uploaded_at", "uploader_ip", "uploader_port",
           "filename", "media_url", "audience_size")


class UploadAck(BaseModel):
    event_id: str
    seq: int
    status: str
    duplicate: bool
    media_type: str
    size: int
    sha256: str


class ScanOut(BaseModel):
    event_id: str
    status: str
    outcome: str | None = None
    rule: str | None = None
    media_type: str | None = None
    sha256: str | None = None
    md5: str | None = None
    case_id: int | None = None
    evidence_id: int | None = None
    error: str | None = None
    explanation: dict[str, Any] = {}


async def _read_request(request: Request, max_bytes: int) -> tuple[dict[str, Any], bytes | None]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise BadRequest("the body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        data = None
        if body.get("media_base64") is not None:
            if not isinstance(body["media_base64"], str):
                raise Invalid("media_base64 must be a string",
                              details=[{"field": "media_base64", "problem": "not a string"}])
            data = decode_base64(body.pop("media_base64"), max_bytes=max_bytes)
        return body, data
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=len(_FIELDS) + 2)
        except Exception as exc:  # noqa: BLE001 - starlette raises several kinds for bad multipart
            raise BadRequest(f"the multipart body could not be read: {exc}") from exc
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("a multipart upload needs a 'file' part",
                          details=[{"field": "file", "problem": "missing"}])
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise TooLarge(f"media is larger than {max_bytes} bytes")
        fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
        return fields, data
    raise Unsupported("send multipart/form-data (a 'file' part) or application/json")


def _prepare(body: dict[str, Any], data: bytes | None, settings: Any) -> tuple[EventEnvelope, Any, str]:
    """Fetch (when a URL), check the media, and build the event envelope; raises a 4xx error."""
    max_bytes = int(getattr(settings, "upload_max_bytes", 32 * 1024 * 1024))
    unknown = sorted(set(body) - set(_FIELDS) - {"media_type"})
    if unknown:
        raise Invalid(f"unknown fields: {', '.join(unknown)}",
                      details=[{"field": f, "problem": "unknown"} for f in unknown])
    if data is None:
        url = body.get("media_url")
        if not url:
            raise Invalid("send the media as 'file', 'media_base64' or 'media_url'",
                          details=[{"field": "media_base64", "problem": "missing"}])
        data = fetch_url(str(url), FetchLimits.from_settings(settings)).data
    check = check_media(data, max_bytes=max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    payload = {k: v for k, v in body.items() if k != "id" and v not in (None, "")}
    if "uploader_port" in payload and isinstance(payload["uploader_port"], str):
        payload["uploader_port"] = payload["uploader_port"].strip() or None
    if "audience_size" in payload:
        try:
            payload["audience_size"] = int(payload["audience_size"])
        except (TypeError, ValueError):
            raise Invalid("audience_size must be an integer",
                          details=[{"field": "audience_size", "problem": "not an integer"}]) from None
    payload["media_base64"] = base64.b64encode(data).decode("ascii")
    payload["media_type"] = check.media_type
    try:
        validated = events.validate_payload("upload", payload)
    except ValidationError as error:
        raise Invalid("invalid upload", details=validation_details(error)) from None
    event_id = str(body.get("id") or f"upload:{validated.content_id}:{sha256[:16]}")
    try:
        envelope = EventEnvelope(id=event_id, type="upload", occurred_at=validated.uploaded_at,
                                 payload=payload)
    except ValidationError as error:
        raise Invalid("invalid upload", details=validation_details(error)) from None
    return envelope, check, sha256


@router.post("", status_code=202, response_model=UploadAck, summary="Scan an upload",
             responses={200: {"model": UploadAck, "description": "an identical retry, already stored"}})
async def post_upload(
    request: Request,
    db: DbDep,
    response: Response,
    principal: Principal = Depends(require_scope("events:write")),
) -> UploadAck:
    """Checked and stored durably before the 202; corrupt, oversize, bomb, unsupported or SSRF input
    answers 4xx and stores nothing. Poll ``GET /v1/uploads/{event_id}`` for the outcome."""
    settings = request.app.state.settings
    max_bytes = int(getattr(settings, "upload_max_bytes", 32 * 1024 * 1024))
    body, data = await _read_request(request, max_bytes)
    envelope, check, sha256 = await run_in_threadpool(_prepare, body, data, settings)
    outcome = await run_in_threadpool(events.accept, db, envelope, source_key_id=principal.key_id)
    (EVENTS_ACCEPTED if outcome.created else EVENTS_DUPLICATE).labels("upload").inc()
    if not outcome.created:
        response.status_code = 200
    size = len(base64.b64decode(envelope.payload["media_base64"]))
    return UploadAck(event_id=outcome.event.event_id, seq=outcome.event.id,
                     status=outcome.event.status, duplicate=not outcome.created,
                     media_type=check.media_type, size=size, sha256=sha256)


@router.get("/{event_id}", response_model=ScanOut, summary="The outcome of an upload scan")
def get_upload(event_id: str, db: DbDep,
               _: Principal = Depends(require_scope("events:write"))) -> ScanOut:
    from sqlalchemy import select

    with db.session() as session:
        scan = session.scalar(select(UploadScan).where(UploadScan.event_id == event_id))
    if scan is None:
        event = events.get_event(db, event_id)  # 404 when unknown
        if event.type != "upload":
            raise NotFound(f"event {event_id!r} is not an upload")
        return ScanOut(event_id=event_id, status=event.status if event.status == "failed" else "pending",
                       error=event.last_error)
    return ScanOut(event_id=scan.event_id, status=scan.status, outcome=scan.outcome, rule=scan.rule,
                   media_type=scan.media_type, sha256=scan.sha256, md5=scan.md5, case_id=scan.case_id,
                   evidence_id=scan.evidence_id, error=scan.error, explanation=scan.explanation)
