"""Accept, list and fetch events. Acceptance is the durability boundary: once ``accept`` returns, the
event is committed, and the API may answer 2xx."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.events.models import StoredEvent
from firstlight.events.schema import EventEnvelope, validate_payload
from firstlight.store.db import Database, utcnow

__all__ = ["Accepted", "accept", "get_event", "list_events", "validation_details"]


@dataclass(frozen=True)
class Accepted:
    """The stored event and whether this call stored it (``False``: an identical retry)."""

    event: StoredEvent
    created: bool


def validation_details(error: ValidationError, *, prefix: tuple[str | int, ...] = ()) -> list[dict]:
    """Pydantic errors as ``[{"field": "payload.amount", "problem": "..."}]`` for the error shape."""
    return [
        {
            "field": ".".join(str(p) for p in (*prefix, *e["loc"])),
            "problem": e["msg"],
        }
        for e in error.errors()
    ]


def _normalise(envelope: EventEnvelope) -> tuple[dict[str, Any], str]:
    try:
        payload = validate_payload(envelope.type, envelope.payload)
    except ValidationError as error:
        raise Invalid(
            f"invalid {envelope.type} payload",
            details=validation_details(error, prefix=("payload",)),
        ) from None
    if envelope.occurred_at is not None and envelope.occurred_at.tzinfo is None:
        raise Invalid(
            "occurred_at needs a timezone", details=[{"field": "occurred_at", "problem": "naive"}]
        )
    stored = payload.model_dump(mode="json")
    body = json.dumps(
        {
            "type": envelope.type,
            "occurred_at": envelope.occurred_at.isoformat() if envelope.occurred_at else None,
            "payload": stored,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return stored, hashlib.sha256(body.encode()).hexdigest()


def accept(db: Database, envelope: EventEnvelope, *, source_key_id: str | None = None) -> Accepted:
    """Validate and durably store one event, idempotently on the platform's event id.

    The same id with the same content is acknowledged again (``created=False``); the same id with different
    content is a ``Conflict``, because silently keeping either version would lose information.
    """
    payload, digest = _normalise(envelope)
    existing = _find(db, envelope.id)
    if existing is not None:
        return _retry_outcome(existing, digest)
    event = StoredEvent(
        event_id=envelope.id,
        type=envelope.type,
        occurred_at=envelope.occurred_at,
        received_at=utcnow(),
        payload=payload,
        body_sha256=digest,
        source_key_id=source_key_id,
        status="pending",
        attempts=0,
    )
    try:
        with db.begin() as session:
            session.add(event)
    except IntegrityError:
        existing = _find(db, envelope.id)
        if existing is None:
            raise
        return _retry_outcome(existing, digest)
    return Accepted(event, True)


def _find(db: Database, event_id: str) -> StoredEvent | None:
    with db.session() as session:
        return session.scalar(select(StoredEvent).where(StoredEvent.event_id == event_id))


def _retry_outcome(existing: StoredEvent, digest: str) -> Accepted:
    if existing.body_sha256 != digest:
        raise Conflict(
            f"event id {existing.event_id!r} was already accepted with different content",
            details={"event_id": existing.event_id, "received_at": existing.received_at.isoformat()},
        )
    return Accepted(existing, False)


def get_event(db: Database, event_id: str) -> StoredEvent:
    event = _find(db, event_id)
    if event is None:
        raise NotFound(f"no event with id {event_id!r}")
    return event


def list_events(
    db: Database,
    *,
    event_type: str | None = None,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[StoredEvent]:
    """Events in acceptance order; page with ``after`` = the last ``seq`` seen."""
    limit = max(1, min(limit, 1000))
    query = select(StoredEvent).where(StoredEvent.id > after).order_by(StoredEvent.id).limit(limit)
    if event_type:
        query = query.where(StoredEvent.type == event_type)
    if status:
        query = query.where(StoredEvent.status == status)
    with db.session() as session:
        return list(session.scalars(query))
