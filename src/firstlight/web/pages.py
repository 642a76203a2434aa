"""The console's page plumbing: templates, the signed-in user, and permission checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from firstlight.errors import Forbidden, NotFound
from firstlight.web.security import LoginRequired, csrf_token
from firstlight.web.users import SignedInUser, load_user

__all__ = ["CurrentUser", "render", "require_permission", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

NAV = [
    ("queue", "/queue", "Review queue"),
    ("streams", "/streams", "Live streams"),
    ("banks", "/banks", "Hash banks"),
    ("reports", "/reports", "Reports"),
    ("compliance", "/compliance", "Compliance"),
]


def current_user(request: Request) -> SignedInUser:
    user_id = request.session.get("user_id")
    if user_id is None:
        raise LoginRequired(request.url.path)
    try:
        with request.app.state.db.session() as session:
            return load_user(session, int(user_id))
    except NotFound:
        request.session.clear()
        raise LoginRequired(request.url.path) from None


CurrentUser = Annotated[SignedInUser, Depends(current_user)]


def require_permission(permission: str):  # type: ignore[no-untyped-def]
    """Page dependency: the signed-in user, who must hold ``permission`` (else 403)."""

    def dependency(user: CurrentUser) -> SignedInUser:
        if not user.can(permission):
            raise Forbidden(f"your role ({user.role}) may not open this page")
        return user

    return dependency


def render(
    request: Request,
    template: str,
    user: SignedInUser | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    nav = [(href, label) for perm, href, label in NAV if user and user.can(perm)]
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "nav": nav, "csrf": csrf_token(request), **context},
        status_code=status_code,
    )
