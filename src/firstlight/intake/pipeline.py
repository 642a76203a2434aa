"""The upload pipeline: media → signals → detections → decision → case, evidence, actions, report task.

``scan_upload`` runs inside the event worker's transaction (see ``handler.py``), so everything it writes —
the scan record, the case, the evidence row, the outbox actions and the report task — commits together
with the event's "processed" flag, or not at all. Only two effects live outside the database: the vault
file (written before commit; a crash leaves at most an orphan file, never a row without its file) and the
webhook (delivered later from the outbox).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.cases import NewCaseItem, open_or_update_case
from firstlight.decide import (
    Decision,
    Policy,
    decide,
    detections_from_match_report,
    enqueue_action,
)
from firstlight.errors import FirstlightError, Invalid, TooLarge, Unsupported
from firstlight.evidence import Vault, preserve
from firstlight.intake.fetch import FetchLimits, fetch_url
from firstlight.intake.models import UploadScan
from firstlight.store.db import utcnow

__all__ = [
    "MediaCheck",
    "UploadPipeline",
    "action_key",
    "check_media",
    "decode_base64",
    "exif_of",
    "scan_upload",
]

DEFAULT_UPLOAD_MAX_BYTES = 32 * 1024 * 1024
# Reach when the platform gives no audience size: a public post can be seen by many, a private one by few.
_DEFAULT_REACH = {"public": 1000, "private": 1}


@dataclass
class UploadPipeline:
    """What the upload path needs, built once per settings object."""

    policy: Policy
    vault: Vault
    fetch_limits: FetchLimits
    max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any) -> UploadPipeline:
        return cls(
            policy=Policy.load(getattr(settings, "policy_path", None)),
            vault=Vault.open(settings),
            fetch_limits=FetchLimits.from_settings(settings),
            max_bytes=int(getattr(settings, "upload_max_bytes", DEFAULT_UPLOAD_MAX_BYTES)),
        )


def action_key(event_id: str, kind: str) -> str:
    """The idempotency key of an action: stable for the event, so every retry carries the same key."""
    return f"fl:{event_id}:{kind}"


def decode_base64(text: str, *, max_bytes: int) -> bytes:
    if len(text) > math.ceil(max_bytes / 3) * 4 + 4:
        raise TooLarge(f"media is larger than {max_bytes} bytes", code="too_large")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("media_base64 is not valid base64", code="bad_base64") from exc
    if not data:
        raise Invalid("the media is empty", code="empty_media")
    return data


@dataclass(frozen=True)
class MediaCheck:
    media_type: str
    kind: str  # "image" | "video" | "file"
    width: int | None = None
    height: int | None = None


def check_media(data: bytes, *, max_bytes: int, decode: bool = True) -> MediaCheck:
    """Sniff the bytes (not the file name) and, for images, decode them within bomb limits.

    Raises ``TooLarge`` (413), ``Unsupported`` (415) or ``Invalid`` (422: corrupt, truncated, a bomb).
    ``decode=False`` only sniffs: the worker uses it because hashing decodes with the same limits anyway,
    so each upload is decoded once there.
    """
    from firstlight import media

    if len(data) > max_bytes:
        raise TooLarge(f"media is larger than {max_bytes} bytes", code="too_large")
    if not data:
        raise Invalid("the media is empty", code="empty_media")
    kind = media.sniff(data)
    mime = str(getattr(kind, "mime", None) or getattr(kind, "media_type", None) or kind)
    family = str(getattr(kind, "family", None) or mime.split("/", 1)[0])
    if family == "image" and not decode:
        return MediaCheck(media_type=mime, kind="image")
    if family == "image":
        img = media.load_image(data)
        return MediaCheck(media_type=mime, kind="image", width=img.width, height=img.height)
    if family == "video":
        return MediaCheck(media_type=mime, kind="video")
    raise Unsupported(f"unsupported media type {mime}; send an image or a video",
                      code="unsupported_media")


def _match(session: Session, data: bytes) -> tuple[list[dict[str, Any]], Any]:
    from firstlight import banks

    report = banks.match_bytes(session, data)
    signals = [
        {"signal_type": s.signal_type, "value": s.value, "quality": getattr(s, "quality", None)}
        for s in getattr(report, "signals", []) or []
    ]
    return signals, report


def _context(payload: Any, event_id: str, check: MediaCheck | None) -> dict[str, Any]:
    extra = payload.model_extra or {}
    ctx = {
        "event_id": event_id,
        "content_id": payload.content_id,
        "account_id": payload.account_id,
        "surface": payload.surface,
        "media_url": payload.media_url or extra.get("source_url"),
        "filename": payload.filename,
        "uploaded_at": payload.uploaded_at.isoformat() if payload.uploaded_at else None,
        "uploader_ip": str(payload.uploader_ip) if payload.uploader_ip else None,
        "uploader_port": payload.uploader_port,
        "declared_media_type": payload.media_type,
    }
    if check is not None:
        ctx.update(media_type=check.media_type, width=check.width, height=check.height)
    return {k: v for k, v in ctx.items() if v is not None}


def exif_of(data: bytes, *, max_tags: int = 100) -> dict[str, str]:
    """EXIF tags of an image as ``{name: text}`` (GPS included), read without decoding the pixels.

    Kept with preserved evidence because reports to the NCA and NCMEC carry it; never fails.
    """
    import io

    from PIL import ExifTags, Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            tags = dict(exif.items())
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # noqa: BLE001 - EXIF is best effort; the media was already checked
        return {}
    out: dict[str, str] = {}
    for key, value in list(tags.items())[:max_tags]:
        if key == ExifTags.Base.GPSInfo:
            continue
        out[ExifTags.TAGS.get(key, str(key))] = str(value)[:200]
    for key, value in list(gps.items())[:32]:
        out["GPS" + ExifTags.GPSTAGS.get(key, str(key))] = str(value)[:200]
    return out


def _reach(payload: Any) -> int:
    extra = payload.model_extra or {}
    for name in ("audience_size", "follower_count", "reach"):
        value = extra.get(name)
        if isinstance(value, int | float) and value >= 0:
            return int(value)
    return _DEFAULT_REACH.get(payload.surface, 1)


def _record(session: Session, *, event_id: str, payload: Any, status: str, accepted_at: datetime,
            **fields: Any) -> UploadScan:
    scan = UploadScan(event_id=event_id, content_id=payload.content_id, account_id=payload.account_id,
                      surface=payload.surface, status=status, accepted_at=accepted_at,
                      processed_at=utcnow(), signals=fields.pop("signals", []),
                      explanation=fields.pop("explanation", {}), **fields)
    session.add(scan)
    session.flush()
    return scan


def scan_upload(
    session: Session,
    pipeline: UploadPipeline,
    *,
    event_id: str,
    payload: Any,
    accepted_at: datetime,
) -> UploadScan:
    """Process one upload event; idempotent on ``event_id`` (a retried event returns its first scan).

    Permanent problems with the media (corrupt, bomb, refused URL) are recorded as ``rejected`` instead of
    raising, so the event is not retried forever; transient fetch failures raise and are retried.
    """
    existing = session.scalar(select(UploadScan).where(UploadScan.event_id == event_id))
    if existing is not None:
        return existing
    if not pipeline.policy.in_scope(payload.surface):
        return _record(session, event_id=event_id, payload=payload, status="out_of_scope",
                       accepted_at=accepted_at,
                       explanation={"reason": f"surface {payload.surface!r} is not scanned by policy "
                                              f"{pipeline.policy.name!r}"})
    try:
        data = _obtain_bytes(payload, pipeline)
        check = check_media(data, max_bytes=pipeline.max_bytes, decode=False)
        signals, report = _match(session, data)  # decodes within the media limits
    except (Invalid, TooLarge, Unsupported) as exc:
        if exc.code in ("fetch_failed", "fetch_timeout"):
            raise  # the platform's server may come back: retry the event
        return _record(session, event_id=event_id, payload=payload, status="rejected",
                       accepted_at=accepted_at, error=f"{exc.code}: {exc.message}")
    sha256 = hashlib.sha256(data).hexdigest()
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    decision = decide(pipeline.policy, detections_from_match_report(report))
    common = dict(event_id=event_id, payload=payload, accepted_at=accepted_at,
                  media_type=check.media_type, size=len(data), sha256=sha256, md5=md5,
                  signals=signals, outcome=decision.outcome, rule=decision.rule)
    if not decision.flagged:
        return _record(session, status="clean", explanation=decision.explanation, **common)
    case_id, evidence_id = _act(session, pipeline, decision, data=data, check=check, payload=payload,
                                event_id=event_id, accepted_at=accepted_at, signals=signals,
                                sha256=sha256, md5=md5)
    return _record(session, status="flagged", explanation=decision.explanation, case_id=case_id,
                   evidence_id=evidence_id, **common)


def _obtain_bytes(payload: Any, pipeline: UploadPipeline) -> bytes:
    if payload.media_base64:
        return decode_base64(payload.media_base64, max_bytes=pipeline.max_bytes)
    if payload.media_url:
        return fetch_url(payload.media_url, pipeline.fetch_limits).data
    raise Invalid("an upload needs media_base64 or media_url", code="no_media")


def _act(
    session: Session, pipeline: UploadPipeline, decision: Decision, *, data: bytes, check: MediaCheck,
    payload: Any, event_id: str, accepted_at: datetime, signals: list[dict[str, Any]], sha256: str,
    md5: str,
) -> tuple[int | None, int | None]:
    context = _context(payload, event_id, check)
    evidence_id = None
    if decision.preserve:
        exif = exif_of(data) if check.kind == "image" else {}
        item = preserve(session, pipeline.vault, data, metadata={**context, "exif": exif},
                        media_type=check.media_type,
                        subject_account=payload.account_id, content_id=payload.content_id,
                        event_id=event_id)
        evidence_id = item.id
    case_id = None
    if decision.open_case or decision.report:
        case = open_or_update_case(
            session, subject_account=payload.account_id,
            item=NewCaseItem(
                outcome=decision.outcome, content_id=payload.content_id, event_id=event_id,
                evidence_id=evidence_id, source="upload", surface=payload.surface,
                media_type=check.media_type, sha256=sha256, md5=md5, signals=signals,
                rule=decision.rule, severity=decision.severity, likelihood=decision.likelihood,
                reach=_reach(payload), explanation=decision.explanation, context=context,
            ),
        )
        case_id = case.id
    explanation = {**decision.explanation, "event_id": event_id, "content_id": payload.content_id,
                   "case_id": case_id, "evidence_id": evidence_id}
    targets = {
        "block_content": {"content_id": payload.content_id, "account_id": payload.account_id,
                          "surface": payload.surface},
        "remove_content": {"content_id": payload.content_id, "account_id": payload.account_id},
        "restrict_account": {"account_id": payload.account_id},
        "notify_platform": {"content_id": payload.content_id, "account_id": payload.account_id},
    }
    for kind in decision.actions:
        enqueue_action(session, kind=kind, target=targets.get(kind, {"content_id": payload.content_id}),
                       explanation=explanation, event_id=event_id,
                       idempotency_key=action_key(event_id, kind), case_id=case_id,
                       accepted_at=accepted_at)
    if decision.report and case_id is not None:
        from firstlight.reports import open_report_task

        open_report_task(session, case_id=case_id, priority=decision.report_priority or "P2",
                         reason=f"policy rule {decision.rule}: {decision.explanation.get('reason')}",
                         detected_by="hash_match")
    return case_id, evidence_id


def describe_error(exc: FirstlightError) -> str:
    return f"{exc.code}: {exc.message}"
