"""Console users, roles and passwords.

Passwords are hashed with scrypt (standard library, memory-hard) with a per-user salt. Roles are fixed and
small on purpose: a reviewer sees and decides cases; a senior reviewer also decides escalations, ends streams
and edits banks; compliance sees reports and the Online Safety Act records but never reveals media; an admin
may do everything and manage users.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.errors import Conflict, Invalid, NotFound, Unauthorized
from firstlight.store.db import utcnow
from firstlight.web.models import ConsoleUser

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "SignedInUser",
    "authenticate_user",
    "create_user",
    "hash_password",
    "verify_password",
]

ROLES = ("reviewer", "senior_reviewer", "compliance", "admin")

_REVIEW = {"queue", "case", "reveal", "decide"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "reviewer": frozenset(_REVIEW | {"streams"}),
    "senior_reviewer": frozenset(
        _REVIEW | {"decide_escalated", "streams", "end_stream", "banks", "banks_write", "reports"}
    ),
    "compliance": frozenset({"reports", "reports_submit", "compliance", "streams", "banks"}),
    "admin": frozenset(
        _REVIEW
        | {"decide_escalated", "streams", "end_stream", "banks", "banks_write", "reports",
           "reports_submit", "compliance", "users"}
    ),
}
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class SignedInUser:
    """The person behind a console session."""

    id: int
    username: str
    display_name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"user:{self.username}"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    actor: str = "cli",
) -> ConsoleUser:
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise Invalid("a username is letters, digits, '.', '-' or '_'")
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", details={"roles": list(ROLES)})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(ConsoleUser).where(ConsoleUser.username == username)):
        raise Conflict(f"user {username!r} exists")
    user = ConsoleUser(
        username=username,
        display_name=(display_name or username).strip(),
        role=role,
        password_hash=hash_password(password),
        disabled=False,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", object_type="console_user",
           object_id=username, details={"role": role})
    return user


def authenticate_user(session: Session, username: str, password: str) -> SignedInUser:
    """Check a username and password; the error never says which of the two was wrong."""
    user = session.scalar(
        select(ConsoleUser).where(ConsoleUser.username == username.strip().lower())
    )
    if user is None or user.disabled or not verify_password(password, user.password_hash):
        raise Unauthorized("wrong username or password")
    return SignedInUser(user.id, user.username, user.display_name, user.role)


def load_user(session: Session, user_id: int) -> SignedInUser:
    user = session.get(ConsoleUser, user_id)
    if user is None or user.disabled:
        raise NotFound("no such user")
    return SignedInUser(user.id, user.username, user.display_name, user.role)
