"""Event handlers of the streams room, and its periodic supervisor job.

- ``stream.start`` → ``start_stream`` (inside the event's transaction; reading starts once it commits);
- ``stream.frame`` → the frame (base64 JPEG/PNG/WebP, or an MPEG-TS/fMP4 segment) goes to this process's
  worker. A full queue raises, so the event is retried later: frames sent as events are never dropped.
  High-rate pushes should use ``POST /v1/streams/{id}/frames`` instead, which stores no event per frame;
- ``stream.end`` → ``end_stream``.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy.orm import Session

from firstlight.errors import Conflict, Invalid, TooLarge, Unsupported
from firstlight.events.handlers import register
from firstlight.events.models import StoredEvent
from firstlight.events.schema import StreamEndPayload, StreamFramePayload, StreamStartPayload
from firstlight.events.worker import register_job
from firstlight.streams.service import end_stream, push_media, start_stream

__all__ = ["handle_stream_end", "handle_stream_frame", "handle_stream_start"]

MAX_FRAME_BASE64 = 48 * 1024 * 1024


def handle_stream_start(session: Session, event: StoredEvent) -> None:
    payload = StreamStartPayload.model_validate(event.payload)
    start_stream(
        session, payload, event_id=event.event_id, started_at=event.occurred_at or event.received_at
    )


def handle_stream_frame(session: Session, event: StoredEvent) -> None:
    payload = StreamFramePayload.model_validate(event.payload)
    if not payload.frame_base64:
        return  # frame_url fetching is not supported for live frames: they would arrive too late
    if len(payload.frame_base64) > MAX_FRAME_BASE64:
        return
    try:
        data = base64.b64decode(payload.frame_base64, validate=True)
    except (binascii.Error, ValueError):
        return  # garbage is dropped, not retried
    from firstlight.streams.engine import _database

    try:
        push_media(_database(session.get_bind()), payload.stream_id, data,
                   offset_seconds=payload.offset_seconds)
    except (Invalid, TooLarge, Unsupported, Conflict):
        return  # undecodable media, or a session that is over: retrying will not help
    # NotFound (start not processed yet) and Unavailable (backpressure) raise: the event is retried.


def handle_stream_end(session: Session, event: StoredEvent) -> None:
    payload = StreamEndPayload.model_validate(event.payload)
    from firstlight.errors import NotFound

    try:
        end_stream(session, payload.stream_id, reason=payload.reason or "ended by the platform")
    except NotFound:
        return  # an end for a stream we never saw start


def _supervise_job(db: object) -> None:
    from firstlight.streams.engine import supervise

    supervise(db)


register("stream.start", handle_stream_start)
register("stream.frame", handle_stream_frame)
register("stream.end", handle_stream_end)
register_job("streams.supervise", _supervise_job, every_seconds=1.0)
