"""Console: the review queue and the case view.

Media is never shown as it is by default: the case view loads the evidence room's protected rendition
(blurred and greyscale, made on the server, so the original never reaches the browser). A reviewer reveals
one item at a time with a stated reason; the reveal is recorded in the chain of custody and the audit log,
and counts towards the reviewer's daily exposure, which the console shows.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response

from firstlight import cases, evidence
from firstlight.audit import AuditEntry
from firstlight.errors import FirstlightError, NotFound
from firstlight.web.pages import render, require_permission
from firstlight.web.security import check_csrf
from firstlight.web.users import SignedInUser

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[SignedInUser, Depends(require_permission("queue"))]
Revealer = Annotated[SignedInUser, Depends(require_permission("reveal"))]
Decider = Annotated[SignedInUser, Depends(require_permission("decide"))]
CSRF = [Depends(check_csrf)]


def exposure_today(request: Request, user: SignedInUser) -> int:
    """How many originals this reviewer revealed today (UTC), from the audit log."""
    start = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    with request.app.state.db.session() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEntry).where(
                AuditEntry.actor == user.actor,
                AuditEntry.action == "evidence.reveal",
                AuditEntry.at >= start,
            )
        ) or 0


def _vault(request: Request) -> evidence.Vault:
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = evidence.Vault.open(request.app.state.settings)
        request.app.state.vault = vault
    return vault


@router.get("/queue")
def queue_page(request: Request, user: Reviewer):
    with request.app.state.db.session() as session:
        rows = cases.queue(session, limit=200)
    return render(request, "queue.html", user, cases=rows, now=datetime.now(UTC),
                  exposure=exposure_today(request, user),
                  warn_at=request.app.state.settings.reviewer_daily_reveal_warning)


@router.post("/cases/{case_id}/claim", dependencies=CSRF)
def claim_case(request: Request, case_id: int, user: Reviewer):
    with request.app.state.db.begin() as session:
        case = cases.get_case(session, case_id)
        if case.status == "escalated" and not user.can("decide_escalated"):
            raise _forbidden_escalated()
        cases.claim(session, case_id, reviewer=user.actor)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _forbidden_escalated() -> FirstlightError:
    from firstlight.errors import Forbidden

    return Forbidden("escalated cases are decided by a senior reviewer")


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int, user: Reviewer):
    from firstlight.reports import list_report_tasks

    with request.app.state.db.session() as session:
        case = cases.get_case(session, case_id)
        items = cases.case_items(session, case_id)
        tasks = list_report_tasks(session, case_id=case_id)
    return render(
        request, "case.html", user, case=case, items=items, tasks=tasks,
        categories=cases.CATEGORIES, mine=case.claimed_by == user.actor,
        exposure=exposure_today(request, user),
        warn_at=request.app.state.settings.reviewer_daily_reveal_warning,
    )


def _item(session, case_id: int, item_id: int) -> cases.CaseItem:  # type: ignore[no-untyped-def]
    for item in cases.case_items(session, case_id):
        if item.id == item_id:
            return item
    raise NotFound(f"case {case_id} has no item {item_id}")


@router.get("/cases/{case_id}/items/{item_id}/protected")
def protected_media(request: Request, case_id: int, item_id: int, user: Reviewer) -> Response:
    """The blurred, greyscale rendition (recorded in the chain of custody as a protected view)."""
    with request.app.state.db.begin() as session:
        item = _item(session, case_id, item_id)
        if item.evidence_id is None:
            raise NotFound("this item has no preserved media")
        data = evidence.rendition(session, _vault(request), item.evidence_id, actor=user.actor)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/cases/{case_id}/items/{item_id}/reveal", dependencies=CSRF)
def reveal_media(
    request: Request,
    case_id: int,
    item_id: int,
    user: Revealer,
    reason: Annotated[str, Form(min_length=3, max_length=500)],
):
    """Reveal one original, for a stated reason; answers the fragment that replaces the blurred image."""
    with request.app.state.db.begin() as session:
        item = _item(session, case_id, item_id)
        if item.evidence_id is None:
            raise NotFound("this item has no preserved media")
        data = evidence.reveal(session, _vault(request), item.evidence_id, actor=user.actor,
                               reason=reason)
        media_type = item.media_type or "application/octet-stream"
    inline = media_type.startswith("image/")
    return render(
        request, "_revealed.html", user, item=item, reason=reason,
        data_uri=f"data:{media_type};base64,{base64.b64encode(data).decode()}" if inline else None,
        exposure=exposure_today(request, user),
        warn_at=request.app.state.settings.reviewer_daily_reveal_warning,
    )


@router.post("/cases/{case_id}/decide", dependencies=CSRF)
def decide(
    request: Request,
    case_id: int,
    user: Decider,
    decision: Annotated[str, Form()],
    category: Annotated[str | None, Form()] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
):
    with request.app.state.db.begin() as session:
        case = cases.get_case(session, case_id)
        if case.status == "escalated" and not user.can("decide_escalated"):
            raise _forbidden_escalated()
        cases.decide_case(session, case_id, reviewer=user.actor, decision=decision,
                          category=category or None, note=note or None)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
