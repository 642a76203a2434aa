"""The review console: server-rendered pages (Jinja2 + htmx, no build step) served by ``firstlight serve``.

Reviewers work the queue, compliance leads read the Online Safety Act records; both call the same service
functions as the API. Media is shown blurred and greyscale unless a reviewer reveals one item with a reason.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse

from firstlight.config import Settings
from firstlight.web.security import LoginRequired, console_secret
from firstlight.web.users import PERMISSIONS, ROLES, SignedInUser, authenticate_user, create_user

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "SignedInUser",
    "authenticate_user",
    "create_user",
    "install_console",
]

# Console section modules, each exposing ``router``.
SECTIONS: list[str] = [
    "firstlight.web.routes",
    "firstlight.web.review",
    "firstlight.web.reports_pages",
    "firstlight.web.compliance_pages",
    "firstlight.web.streams_pages",
    "firstlight.web.banks_pages",
]


def install_console(app: FastAPI, settings: Settings) -> None:
    """Add sessions, static files, the console's routes and its HTML error pages to ``app``."""
    import importlib

    from firstlight.web.pages import render

    app.add_middleware(
        SessionMiddleware,
        secret_key=console_secret(settings),
        session_cookie="firstlight_session",
        max_age=int(settings.console_session_hours * 3600),
        same_site="lax",
        https_only=settings.console_secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for name in SECTIONS:
        app.include_router(importlib.import_module(name).router)

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    def html_error(request: Request, status: int, message: str):  # type: ignore[no-untyped-def]
        return render(request, "error.html", None, status_code=status, status=status,
                      message=message)

    app.state.html_error_renderer = html_error
