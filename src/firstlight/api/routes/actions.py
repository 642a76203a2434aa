"""``/v1/actions``: the webhook outbox — pending, delivered and dead-lettered actions (scope ``admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from firstlight import decide
from firstlight.api.deps import DbDep, require_scope
from firstlight.auth import Principal

router = APIRouter(prefix="/v1/actions", tags=["actions"])
Admin = Depends(require_scope("admin"))


class ActionOut(BaseModel):
    id: int
    idempotency_key: str
    kind: str
    target: dict[str, Any]
    explanation: dict[str, Any]
    event_id: str | None
    case_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_status_code: int | None
    accepted_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    time_to_action_ms: int | None


def _out(action: decide.Action) -> ActionOut:
    return ActionOut(**{k: getattr(action, k) for k in ActionOut.model_fields})


@router.get("", response_model=list[ActionOut], summary="Actions (filter status=dead for dead letters)")
def get_actions(
    db: DbDep,
    status: str | None = Query(default=None, pattern="^(pending|delivered|dead)$"),
    event_id: str | None = Query(default=None, max_length=200),
    after: int = Query(default=0, ge=0),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Admin,
) -> list[ActionOut]:
    with db.session() as session:
        return [_out(a) for a in decide.list_actions(session, status=status, event_id=event_id,
                                                     after=after, limit=limit)]


@router.get("/stats", summary="Time to takedown: event accepted → action delivered")
def get_stats(db: DbDep, _: Principal = Admin) -> dict[str, Any]:
    with db.session() as session:
        return decide.takedown_stats(session)


@router.get("/{action_id}", response_model=ActionOut, summary="One action")
def get_action(action_id: int, db: DbDep, _: Principal = Admin) -> ActionOut:
    with db.session() as session:
        return _out(decide.get_action(session, action_id))


@router.post("/{action_id}/retry", response_model=ActionOut, summary="Re-queue a dead action")
def post_retry(action_id: int, db: DbDep, principal: Principal = Admin) -> ActionOut:
    with db.begin() as session:
        return _out(decide.retry_action(session, action_id, actor=principal.actor))
