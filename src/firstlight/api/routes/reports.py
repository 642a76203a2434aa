"""``/v1/reports``: report tasks, their rendering (NCMEC XML, NCA bundle, portal document) and delivery."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response
from pydantic import BaseModel, Field

from firstlight.api.deps import DbDep, DbSession, SettingsDep, require_scope
from firstlight.auth import Principal
from firstlight.reports import list_report_tasks, open_report_task, overdue, retention, service

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Reporter = Annotated[Principal, Depends(require_scope("reports:submit"))]


class TaskIn(BaseModel):
    case_id: int
    priority: Literal["P1", "P2", "P3"]
    reason: str = Field(min_length=1, max_length=4000)
    detected_by: str | None = None


class NcaReferenceIn(BaseModel):
    reference: str = Field(min_length=1, max_length=64)
    declared_by: str = Field(min_length=1, max_length=200)


class HoldIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


def _actor(principal: Principal) -> str:
    return f"key:{principal.key_id}"


@router.get("", summary="List report tasks, most urgent first")
def list_tasks(session: DbSession, _: Reporter, status: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return [service.task_status(session, t.id) for t in list_report_tasks(session, status=status,
                                                                          limit=limit)]


@router.get("/overdue", summary="Report tasks past their deadline and not yet delivered")
def list_overdue(session: DbSession, _: Reporter) -> list[dict[str, Any]]:
    return [service.task_status(session, t.id) for t in overdue(session)]


@router.post("", status_code=201, summary="Open (or raise) the report task of a case")
def open_task(body: TaskIn, session: DbSession, principal: Reporter) -> dict[str, Any]:
    task = open_report_task(session, case_id=body.case_id, priority=body.priority,
                            reason=body.reason, detected_by=body.detected_by,
                            actor=_actor(principal))
    session.commit()
    return service.task_status(session, task.id)


@router.get("/{task_id}", summary="A task, its routing and each destination's delivery state")
def show(task_id: int, session: DbSession, _: Reporter) -> dict[str, Any]:
    return service.task_status(session, task_id)


@router.get("/{task_id}/render", summary="The report as NCMEC XML, NCA bundle JSON or HTML")
def render(task_id: int, session: DbSession, settings: SettingsDep, _: Reporter,
           format: Literal["xml", "json", "html"] = "json") -> Response:
    media_type, body = service.render_task(session, task_id, format, settings=settings)
    return Response(body, media_type=media_type)


@router.post("/{task_id}/submit", status_code=202,
             summary="Queue the report for delivery (durable before 202); delivery follows")
def submit(task_id: int, session: DbSession, db: DbDep, settings: SettingsDep,
           principal: Reporter, background: BackgroundTasks) -> dict[str, Any]:
    service.queue_submissions(session, task_id, actor=_actor(principal), settings=settings)
    session.commit()
    background.add_task(_deliver_quietly, db, settings, task_id)
    return service.task_status(session, task_id)


def _deliver_quietly(db: Any, settings: Any, task_id: int) -> None:
    """Best effort now; whatever fails stays due in the outbox for ``firstlight report deliver``."""
    import logging

    try:
        service.deliver_due(db, settings=settings, task_id=task_id)
    except Exception:  # noqa: BLE001 - the outbox keeps the work; log and move on
        logging.getLogger(__name__).exception("report delivery pass failed for task %s", task_id)


@router.post("/{task_id}/nca-reference", summary="Record the NCA portal's reference for a report")
def nca_reference(task_id: int, body: NcaReferenceIn, session: DbSession,
                  principal: Reporter) -> dict[str, Any]:
    service.record_nca_reference(session, task_id, reference=body.reference,
                                 declared_by=body.declared_by, actor=_actor(principal))
    session.commit()
    return service.task_status(session, task_id)


@router.post("/{task_id}/hold", summary="Place a legal hold on what the report obliges us to keep")
def hold(task_id: int, body: HoldIn, session: DbSession, principal: Reporter) -> dict[str, Any]:
    entries = retention.place_hold(session, task_id, actor=_actor(principal), reason=body.reason)
    session.commit()
    return {"task_id": task_id, "held": len(entries)}
