"""Console routes: sign-in and the landing page. Each section (queue, streams, banks, reports,
compliance) has its own module in this room and calls the same service functions as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse

from firstlight.audit import record
from firstlight.errors import Unauthorized
from firstlight.web.pages import CurrentUser, render
from firstlight.web.security import check_csrf
from firstlight.web.users import authenticate_user

router = APIRouter(include_in_schema=False)

HOME_BY_ROLE = {
    "reviewer": "/queue",
    "senior_reviewer": "/queue",
    "compliance": "/compliance",
    "admin": "/queue",
}


def _safe_next(next_path: str | None) -> str | None:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return None


@router.get("/login")
def login_form(request: Request, next: str | None = None):  # noqa: A002
    return render(request, "login.html", next=_safe_next(next) or "")


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=500)],
    next: Annotated[str, Form()] = "",  # noqa: A002
):
    db = request.app.state.db
    try:
        with db.begin() as session:
            user = authenticate_user(session, username, password)
            record(session, actor=user.actor, action="console.sign_in",
                   object_type="console_user", object_id=user.username)
    except Unauthorized as exc:
        return render(request, "login.html", error=exc.message, next=_safe_next(next) or "",
                      username=username, status_code=401)
    request.session.clear()
    request.session["user_id"] = user.id
    return RedirectResponse(_safe_next(next) or HOME_BY_ROLE.get(user.role, "/"), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request, user: CurrentUser):
    return RedirectResponse(HOME_BY_ROLE.get(user.role, "/queue"), status_code=303)
