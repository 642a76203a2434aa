"""``/v1/events``: the platform sends events here; each is durable before the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from firstlight import events
from firstlight.api.deps import DbDep, require_scope
from firstlight.auth import Principal
from firstlight.events.schema import EventEnvelope
from firstlight.metrics import EVENTS_ACCEPTED, EVENTS_DUPLICATE

router = APIRouter(prefix="/v1/events", tags=["events"])


class EventAck(BaseModel):
    id: str
    seq: int
    status: str
    duplicate: bool


class EventOut(BaseModel):
    id: str
    seq: int
    type: str
    occurred_at: datetime | None
    received_at: datetime
    status: str
    attempts: int
    last_error: str | None
    processed_at: datetime | None
    payload: dict[str, Any]


def _out(event: events.StoredEvent) -> EventOut:
    return EventOut(
        id=event.event_id,
        seq=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        received_at=event.received_at,
        status=event.status,
        attempts=event.attempts,
        last_error=event.last_error,
        processed_at=event.processed_at,
        payload=event.payload,
    )


@router.post(
    "",
    status_code=202,
    response_model=EventAck,
    summary="Send an event",
    responses={200: {"model": EventAck, "description": "an identical retry, already stored"}},
)
def post_event(
    envelope: EventEnvelope,
    db: DbDep,
    response: Response,
    principal: Principal = Depends(require_scope("events:write")),
) -> EventAck:
    """Stored durably before this answers 202. Resending the same ``id`` answers 200 and stores nothing;
    the same ``id`` with different content answers 409."""
    outcome = events.accept(db, envelope, source_key_id=principal.key_id)
    if outcome.created:
        EVENTS_ACCEPTED.labels(envelope.type).inc()
    else:
        EVENTS_DUPLICATE.labels(envelope.type).inc()
        response.status_code = 200
    return EventAck(
        id=outcome.event.event_id,
        seq=outcome.event.id,
        status=outcome.event.status,
        duplicate=not outcome.created,
    )


@router.get("", response_model=list[EventOut], summary="List events in acceptance order")
def get_events(
    db: DbDep,
    type: str | None = Query(default=None, description="only this event type"),
    status: str | None = Query(default=None, pattern="^(pending|processed|failed)$"),
    after: int = Query(default=0, ge=0, description="page: the last seq you saw"),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(require_scope("events:write")),
) -> list[EventOut]:
    found = events.list_events(db, event_type=type, status=status, after=after, limit=limit)
    return [_out(e) for e in found]


@router.get("/{event_id}", response_model=EventOut, summary="One event with its processing state")
def get_event(
    event_id: str, db: DbDep, _: Principal = Depends(require_scope("events:write"))
) -> EventOut:
    return _out(events.get_event(db, event_id))
