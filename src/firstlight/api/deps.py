"""Dependencies for routers: the database session, the settings and the calling principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from firstlight.auth import Principal, authenticate, require
from firstlight.config import Settings
from firstlight.store import Database

__all__ = [
    "CurrentPrincipal",
    "DbDep",
    "DbSession",
    "SettingsDep",
    "get_db",
    "get_principal",
    "get_session",
    "require_scope",
]


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request; the route commits what it changes."""
    with request.app.state.db.session() as session:
        yield session


DbDep = Annotated[Database, Depends(get_db)]
DbSession = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return header.strip() or None
    return request.headers.get("x-api-key")


def get_principal(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    with request.app.state.db.session() as session:
        principal = authenticate(session, _token(request))
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_scope(scope: str) -> Callable[..., Principal]:
    """``Depends(require_scope("banks:write"))``: 401 without a valid key, 403 without the scope."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        require(principal, scope)
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency
