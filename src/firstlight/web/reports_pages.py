"""Console: report tasks — drafts, deadlines (overdue P1s first), the rendered draft, and submission."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from firstlight import reports
from firstlight.reports import service as report_service
from firstlight.web.pages import render, require_permission
from firstlight.web.security import check_csrf
from firstlight.web.users import SignedInUser

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedInUser, Depends(require_permission("reports"))]
Submitter = Annotated[SignedInUser, Depends(require_permission("reports_submit"))]
CSRF = [Depends(check_csrf)]
PRIORITY_ORDER = {"P1": 0, "P2": 1, "P3": 2}


def _reader_or_reviewer(request: Request) -> SignedInUser:
    """Reviewers may read the draft of a report their own decision opened (to check it)."""
    from firstlight.web.pages import current_user

    user = current_user(request)
    if not (user.can("reports") or user.can("decide")):
        from firstlight.errors import Forbidden

        raise Forbidden(f"your role ({user.role}) may not open reports")
    return user


DraftReader = Annotated[SignedInUser, Depends(_reader_or_reviewer)]


@router.get("/reports")
def reports_page(request: Request, user: Reader):
    now = datetime.now(UTC)
    with request.app.state.db.session() as session:
        tasks = reports.list_report_tasks(session, limit=500)
    rows = sorted(
        tasks,
        key=lambda t: (
            not (t.status in ("open", "delivering") and t.due_at < now),
            PRIORITY_ORDER.get(t.priority, 9),
            t.due_at,
        ),
    )
    return render(request, "reports.html", user, tasks=rows, now=now)


@router.get("/reports/tasks/{task_id}")
def report_task_page(request: Request, task_id: int, user: DraftReader):
    with request.app.state.db.session() as session:
        status = report_service.task_status(session, task_id)
        _, document = report_service.render_task(
            session, task_id, "html", settings=request.app.state.settings
        )
    return render(request, "report_task.html", user, task=status, document=document.decode())


@router.get("/reports/tasks/{task_id}/render.{fmt}")
def report_render(request: Request, task_id: int, fmt: str, user: DraftReader) -> Response:
    with request.app.state.db.session() as session:
        media_type, body = report_service.render_task(
            session, task_id, fmt, settings=request.app.state.settings
        )
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.post("/reports/tasks/{task_id}/submit", dependencies=CSRF)
def submit(request: Request, task_id: int, user: Submitter):
    with request.app.state.db.begin() as session:
        report_service.queue_submissions(
            session, task_id, actor=user.actor, settings=request.app.state.settings
        )
    return RedirectResponse(f"/reports/tasks/{task_id}", status_code=303)


@router.post("/reports/tasks/{task_id}/nca-reference", dependencies=CSRF)
def nca_reference(
    request: Request,
    task_id: int,
    user: Submitter,
    reference: Annotated[str, Form(max_length=64)],
    declared_by: Annotated[str, Form(max_length=200)],
):
    with request.app.state.db.begin() as session:
        report_service.record_nca_reference(
            session, task_id, reference=reference, declared_by=declared_by, actor=user.actor
        )
    return RedirectResponse(f"/reports/tasks/{task_id}", status_code=303)
