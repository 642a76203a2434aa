"""Domain errors shared by every room.

Services raise these; only the HTTP layer turns them into status codes (``firstlight.api.errors``) and only
the CLI turns them into exit codes (``firstlight.cli``). That keeps a service callable from the API, the CLI
and the console alike, which is the lesson of HMA's ``bank_create_impl`` calling Flask's ``abort``.

    FirstlightError            500  internal
     ├── Invalid               422  invalid        (well-formed request, unacceptable content)
     │    └── BadRequest       400  bad_request    (malformed request)
     ├── Unauthorized          401  unauthorized
     ├── Forbidden             403  forbidden
     ├── NotFound              404  not_found
     ├── Conflict              409  conflict
     ├── TooLarge              413  too_large
     ├── Unsupported           415  unsupported_media
     └── Unavailable           503  unavailable
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "Conflict",
    "FirstlightError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "Unsupported",
]


class FirstlightError(Exception):
    """Base of every error a service raises on purpose; carries a stable machine-readable code."""

    status_code: int = 500
    default_code: str = "internal"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The body of the common error shape: ``{"error": {"code", "message", "details"}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class Invalid(FirstlightError):
    status_code = 422
    default_code = "invalid"


class BadRequest(Invalid):
    status_code = 400
    default_code = "bad_request"


class Unauthorized(FirstlightError):
    status_code = 401
    default_code = "unauthorized"


class Forbidden(FirstlightError):
    status_code = 403
    default_code = "forbidden"


class NotFound(FirstlightError):
    status_code = 404
    default_code = "not_found"


class Conflict(FirstlightError):
    status_code = 409
    default_code = "conflict"


class TooLarge(FirstlightError):
    status_code = 413
    default_code = "too_large"


class Unsupported(FirstlightError):
    status_code = 415
    default_code = "unsupported_media"


class Unavailable(FirstlightError):
    status_code = 503
    default_code = "unavailable"
