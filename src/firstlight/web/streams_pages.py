"""Console: live stream sessions — tier, session-risk contributions, the timeline of escalations — and a way
for a senior reviewer to end a stream through the platform's webhook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse

from firstlight import decide, streams
from firstlight.audit import record
from firstlight.errors import Conflict
from firstlight.web.pages import render, require_permission
from firstlight.web.security import check_csrf
from firstlight.web.users import SignedInUser

router = APIRouter(include_in_schema=False)
Watcher = Annotated[SignedInUser, Depends(require_permission("streams"))]
Ender = Annotated[SignedInUser, Depends(require_permission("end_stream"))]


@router.get("/streams")
def streams_page(request: Request, user: Watcher, status: str | None = "live"):
    with request.app.state.db.session() as session:
        rows = streams.list_streams(session, status=status or None, limit=200)
    return render(request, "streams.html", user, rows=rows, status=status or "")


@router.get("/streams/{stream_id}")
def stream_page(request: Request, stream_id: str, user: Watcher):
    with request.app.state.db.session() as session:
        state = streams.get_stream(session, stream_id).as_dict()
    contributions = sorted(
        (state.get("prior") or {}).get("contributions", []),
        key=lambda c: -abs(c.get("contribution", 0) or 0),
    )
    return render(request, "stream.html", user, s=state, contributions=contributions)


@router.post("/streams/{stream_id}/end", dependencies=[Depends(check_csrf)])
def end_stream(
    request: Request,
    stream_id: str,
    user: Ender,
    reason: Annotated[str, Form(min_length=3, max_length=500)],
):
    """A person ends the stream: the platform is told through the signed webhook outbox (idempotent per
    stream), Firstlight stops reading it, and both are audited with the reason."""
    with request.app.state.db.begin() as session:
        state = streams.get_stream(session, stream_id)
        if state.row.status != "live":
            raise Conflict(f"stream {stream_id!r} is {state.row.status}, not live")
        decide.enqueue_action(
            session,
            kind="end_stream",
            target={"stream_id": stream_id, "account_id": state.row.streamer_account},
            explanation={"rule": "moderator-ended", "by": user.actor, "reason": reason,
                         "tier": state.row.tier},
            event_id=None,
            idempotency_key=f"fl:stream:{stream_id}:end_stream",
            case_id=state.row.case_id,
        )
        streams.end_stream(session, stream_id, reason=f"ended by moderator: {reason}")
        record(session, actor=user.actor, action="stream.end", object_type="stream",
               object_id=stream_id, details={"reason": reason})
    return RedirectResponse(f"/streams/{stream_id}", status_code=303)
