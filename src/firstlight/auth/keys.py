"""Create, check and revoke API keys with scopes.

A key reads ``fl_<key_id>_<secret>``. Only SHA-256 of the 256-bit random secret is stored: a slow password
hash adds nothing for a secret with that much entropy, and checking stays fast on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.auth.models import ApiKey
from firstlight.errors import Forbidden, Invalid, NotFound, Unauthorized
from firstlight.store.db import utcnow

__all__ = [
    "SCOPES",
    "CreatedKey",
    "Principal",
    "authenticate",
    "create_key",
    "list_keys",
    "revoke_key",
]

SCOPES: dict[str, str] = {
    "events:write": "send events (uploads, streams, chat, payments, accounts, user reports)",
    "hash:read": "hash media and look up matches",
    "banks:write": "create banks and add, import or disable entries",
    "cases:review": "work the review queue and see protected media",
    "reports:submit": "prepare and submit reports to the NCA and NCMEC",
    "compliance:write": "set the service profile, record risk assessments, read compliance records",
    "admin": "everything, including keys and configuration",
}
KEY_PREFIX = "fl"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and name, and what it may do."""

    key_id: str
    name: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"key:{self.key_id}:{self.name}"


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    token: str  # shown once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, *, name: str, scopes: Iterable[str], actor: str = "cli") -> CreatedKey:
    """Make a key with the given scopes; the returned token is the only copy of the secret."""
    scope_list = sorted(set(scopes))
    if not scope_list:
        raise Invalid("a key needs at least one scope", details={"known_scopes": sorted(SCOPES)})
    unknown = [s for s in scope_list if s not in SCOPES]
    if unknown:
        raise Invalid(
            f"unknown scope(s): {', '.join(unknown)}", details={"known_scopes": sorted(SCOPES)}
        )
    if not name.strip():
        raise Invalid("a key needs a name")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            key_id=key_id,
            name=name.strip(),
            secret_sha256=_digest(secret),
            scopes=scope_list,
            created_at=utcnow(),
        )
    )
    record(
        session,
        actor=actor,
        action="key.create",
        object_type="api_key",
        object_id=key_id,
        details={"name": name, "scopes": scope_list},
    )
    return CreatedKey(key_id, name.strip(), tuple(scope_list), f"{KEY_PREFIX}_{key_id}_{secret}")


def authenticate(session: Session, token: str | None) -> Principal:
    """Turn a presented token into a ``Principal``, or raise ``Unauthorized`` saying why."""
    if not token:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthorized("malformed API key")
    key = session.get(ApiKey, parts[1])
    if key is None or not hmac.compare_digest(key.secret_sha256, _digest(parts[2])):
        raise Unauthorized("unknown API key")
    if key.revoked_at is not None:
        raise Unauthorized("this API key was revoked")
    return Principal(key.key_id, key.name, frozenset(key.scopes))


def require(principal: Principal, scope: str) -> None:
    if not principal.has(scope):
        raise Forbidden(
            f"this key lacks the '{scope}' scope",
            details={"required_scope": scope, "key_scopes": sorted(principal.scopes)},
        )


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_key(session: Session, key_id: str, *, actor: str = "cli") -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(session, actor=actor, action="key.revoke", object_type="api_key", object_id=key_id)
    return key
