"""Console sessions and CSRF protection.

Sessions are signed cookies (Starlette's ``SessionMiddleware``, HttpOnly, SameSite=Lax) holding only the
user id and a CSRF token. Every state-changing request must echo that token, in a form field
``csrf_token`` or, for htmx requests, the ``X-CSRF-Token`` header; SameSite alone is not enough against
same-site attackers.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request

from firstlight.config import Settings
from firstlight.errors import Forbidden

__all__ = ["LoginRequired", "check_csrf", "console_secret", "csrf_token"]

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is signed in; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def console_secret(settings: Settings) -> str:
    """The cookie-signing secret: configured, or generated once and kept (0600) in the data folder."""
    if settings.console_secret:
        return settings.console_secret
    path = Path(settings.data_dir) / "console-secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Dependency for every console POST: the presented token must equal the session's."""
    expected = request.session.get("csrf")
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not expected or not presented or not hmac.compare_digest(expected, presented):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again", code="csrf")
