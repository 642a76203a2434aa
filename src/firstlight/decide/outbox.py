"""The webhook outbox: actions are rows first, HTTP requests second.

Why an outbox: the decision, the case and the action row commit in one transaction with the event's
"processed" flag, so a crash can never leave a decision without its action or an action without its
decision. Delivery then happens at least once, with an idempotency key that stays the same on every
retry, so the platform's receiver turns at-least-once into exactly-once by ignoring keys it has seen.

Retries use exponential backoff with "equal jitter" (half the delay fixed, half random) so a receiver that
comes back after an outage is not hit by every action at the same instant. After ``webhook_max_attempts``
an action is parked as ``dead``: it shows in ``GET /v1/actions?status=dead`` and ``firstlight actions
list --status dead``, raises the ``firstlight_actions_dead_letter_total`` counter and the
``firstlight_actions_dead`` gauge (alert when above zero), logs an error and writes an audit entry.
``retry_action`` puts it back in the queue.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.decide.models import Action
from firstlight.decide.signing import signature_headers
from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.events.models import StoredEvent
from firstlight.store.db import Database, utcnow

__all__ = [
    "DeliveryPass",
    "backoff_delay",
    "deliver_due",
    "enqueue_action",
    "get_action",
    "list_actions",
    "retry_action",
    "takedown_stats",
]

log = logging.getLogger(__name__)

ACTIONS_DELIVERED = Counter(
    "firstlight_actions_delivered_total", "Actions delivered to the platform webhook", ["kind"]
)
ACTIONS_FAILED_ATTEMPTS = Counter(
    "firstlight_actions_failed_attempts_total", "Webhook attempts that failed", ["kind"]
)
ACTIONS_DEAD = Counter(
    "firstlight_actions_dead_letter_total", "Actions parked after exhausting retries", ["kind"]
)
ACTIONS_DEAD_NOW = Gauge(
    "firstlight_actions_dead", "Actions in the dead-letter state now (alert when above zero)"
)
ACTIONS_PENDING_NOW = Gauge("firstlight_actions_pending", "Actions waiting for delivery now")
TIME_TO_ACTION = Histogram(
    "firstlight_time_to_action_seconds",
    "From event accepted to action delivered (time to takedown)",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86400),
)

ACTION_STATUSES = ("pending", "delivered", "dead")


def enqueue_action(
    session: Session,
    *,
    kind: str,
    target: dict[str, Any],
    explanation: dict[str, Any],
    event_id: str | None,
    idempotency_key: str,
    case_id: int | None = None,
    accepted_at: datetime | None = None,
) -> Action:
    """Add an action to the outbox in the caller's transaction; idempotent on ``idempotency_key``.

    ``accepted_at`` (when the triggering event was accepted) defaults to the stored event's
    ``received_at``, so time to takedown is measured from the moment Firstlight took responsibility.
    """
    if not kind or len(kind) > 40:
        raise Invalid("action kind must be 1-40 characters")
    if not idempotency_key or len(idempotency_key) > 200:
        raise Invalid("idempotency_key must be 1-200 characters")
    existing = session.scalar(select(Action).where(Action.idempotency_key == idempotency_key))
    if existing is not None:
        if existing.kind != kind:
            raise Conflict(f"idempotency key {idempotency_key!r} already used for {existing.kind}")
        return existing
    now = utcnow()
    if accepted_at is None and event_id is not None:
        accepted_at = session.scalar(
            select(StoredEvent.received_at).where(StoredEvent.event_id == event_id)
        )
    action = Action(
        idempotency_key=idempotency_key,
        kind=kind,
        target=_jsonable(target),
        explanation=_jsonable(explanation),
        event_id=event_id,
        case_id=case_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        accepted_at=accepted_at or now,
        created_at=now,
    )
    session.add(action)
    session.flush()
    return action


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def backoff_delay(attempts: int, *, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Delay before retry number ``attempts`` (1-based): ``min(max, base·2^(n-1))``, half of it jittered."""
    cap = min(max_s, base_s * (2 ** max(0, attempts - 1)))
    return cap / 2 + (rng or random).uniform(0, cap / 2)


@dataclass
class DeliveryPass:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0


def action_body(action: Action) -> bytes:
    """The JSON body POSTed for an action (stable across retries: same key, same content)."""
    return json.dumps(
        {
            "action_id": action.id,
            "idempotency_key": action.idempotency_key,
            "kind": action.kind,
            "target": action.target,
            "explanation": action.explanation,
            "event_id": action.event_id,
            "case_id": action.case_id,
            "accepted_at": action.accepted_at.isoformat(),
            "created_at": action.created_at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def deliver_due(
    db: Database,
    settings: Any = None,
    *,
    client: httpx.Client | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> DeliveryPass:
    """One pass of the outbox worker: POST every due action once; record success, retry or dead letter."""
    if settings is None:
        from firstlight.config import get_settings

        settings = get_settings()
    result = DeliveryPass()
    url = getattr(settings, "webhook_url", None)
    if not url:
        return result
    secret = getattr(settings, "webhook_secret", "") or ""
    timeout = float(getattr(settings, "webhook_timeout_s", 10.0))
    max_attempts = int(getattr(settings, "webhook_max_attempts", 10))
    base_s = float(getattr(settings, "webhook_backoff_base_s", 1.0))
    max_s = float(getattr(settings, "webhook_backoff_max_s", 600.0))
    now = now or utcnow()
    with db.session() as session:
        counts = dict(session.execute(
            select(Action.status, func.count()).where(Action.status.in_(("pending", "dead")))
            .group_by(Action.status)).all())
        ACTIONS_DEAD_NOW.set(counts.get("dead", 0))
        ACTIONS_PENDING_NOW.set(counts.get("pending", 0))
        due = session.scalars(
            select(Action.id)
            .where(Action.status == "pending")
            .where(or_(Action.next_attempt_at.is_(None), Action.next_attempt_at <= now))
            .where(or_(Action.lease_until.is_(None), Action.lease_until < now))
            .order_by(Action.id)
            .limit(limit)
        ).all()
    if not due:
        return result
    own_client = client is None
    client = client or httpx.Client(timeout=timeout)
    try:
        for action_id in due:
            action = _claim(db, action_id, lease=timedelta(seconds=timeout * 2 + 5))
            if action is None:
                result.skipped += 1
                continue
            body = action_body(action)
            headers = {"Content-Type": "application/json", "User-Agent": "firstlight-webhook/1"}
            headers.update(signature_headers(secret, body, idempotency_key=action.idempotency_key))
            status_code: int | None = None
            try:
                response = client.post(url, content=body, headers=headers)
                status_code = response.status_code
                error = None if 200 <= status_code < 300 else f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            outcome = _settle(db, action_id, error, status_code, max_attempts, base_s, max_s)
            setattr(result, outcome, getattr(result, outcome) + 1)
    finally:
        if own_client:
            client.close()
    return result


def _claim(db: Database, action_id: int, *, lease: timedelta) -> Action | None:
    """Take a short lease on a pending action so two workers never post it at the same moment."""
    now = utcnow()
    with db.begin() as session:
        claimed = session.execute(
            update(Action)
            .where(Action.id == action_id, Action.status == "pending")
            .where(or_(Action.lease_until.is_(None), Action.lease_until < now))
            .values(lease_until=now + lease)
        ).rowcount
        if not claimed:
            return None
        return session.get(Action, action_id)


def _settle(
    db: Database,
    action_id: int,
    error: str | None,
    status_code: int | None,
    max_attempts: int,
    base_s: float,
    max_s: float,
) -> str:
    with db.begin() as session:
        action = session.get(Action, action_id)
        assert action is not None
        now = utcnow()
        action.attempts += 1
        action.last_status_code = status_code
        action.lease_until = None
        if error is None:
            action.status = "delivered"
            action.delivered_at = now
            action.last_error = None
            elapsed = (now - action.accepted_at).total_seconds()
            action.time_to_action_ms = int(elapsed * 1000)
            ACTIONS_DELIVERED.labels(action.kind).inc()
            TIME_TO_ACTION.labels(action.kind).observe(elapsed)
            return "delivered"
        action.last_error = error
        ACTIONS_FAILED_ATTEMPTS.labels(action.kind).inc()
        if action.attempts >= max_attempts:
            action.status = "dead"
            action.next_attempt_at = None
            ACTIONS_DEAD.labels(action.kind).inc()
            log.error(
                "ALERT webhook action %s (%s, key %s) is dead after %d attempts: %s",
                action.id, action.kind, action.idempotency_key, action.attempts, error,
            )
            record(session, actor="system:outbox", action="action.dead_letter", object_type="action",
                   object_id=action.id, details={"kind": action.kind, "attempts": action.attempts,
                                                "last_error": error})
            return "dead"
        delay = backoff_delay(action.attempts, base_s=base_s, max_s=max_s)
        action.next_attempt_at = now + timedelta(seconds=delay)
        return "retried"


def get_action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"no action {action_id}")
    return action


def list_actions(
    session: Session, *, status: str | None = None, event_id: str | None = None,
    after: int = 0, limit: int = 100,
) -> list[Action]:
    if status is not None and status not in ACTION_STATUSES:
        raise Invalid(f"status must be one of {', '.join(ACTION_STATUSES)}")
    query = select(Action).where(Action.id > after).order_by(Action.id).limit(max(1, min(limit, 1000)))
    if status:
        query = query.where(Action.status == status)
    if event_id:
        query = query.where(Action.event_id == event_id)
    return list(session.scalars(query))


def retry_action(session: Session, action_id: int, *, actor: str) -> Action:
    """Put a dead action back in the queue (after the platform's receiver is fixed)."""
    action = get_action(session, action_id)
    if action.status != "dead":
        raise Conflict(f"action {action_id} is {action.status}, only dead actions can be retried")
    action.status = "pending"
    action.attempts = 0
    action.next_attempt_at = utcnow()
    record(session, actor=actor, action="action.retry", object_type="action", object_id=action.id,
           details={"kind": action.kind})
    return action


def takedown_stats(session: Session, *, since: datetime | None = None) -> dict[str, Any]:
    """Time from event accepted to action delivered: count, median, p90 and max in milliseconds."""
    query = select(Action.time_to_action_ms).where(Action.status == "delivered")
    if since is not None:
        query = query.where(Action.delivered_at >= since)
    values = sorted(v for v in session.scalars(query) if v is not None)
    counts = dict(session.execute(select(Action.status, func.count()).group_by(Action.status)).all())
    if not values:
        return {"delivered": 0, "p50_ms": None, "p90_ms": None, "max_ms": None, "by_status": counts}

    def pct(p: float) -> int:
        return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]

    return {"delivered": len(values), "p50_ms": pct(0.5), "p90_ms": pct(0.9), "max_ms": values[-1],
            "by_status": counts}
