"""``/v1/keys`` and ``/v1/audit``: key management and the audit log, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from firstlight import audit, auth
from firstlight.api.deps import DbDep, require_scope

router = APIRouter(prefix="/v1", tags=["admin"])
Admin = Depends(require_scope("admin"))


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1)


class KeyOut(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = Field(default=None, description="shown once, at creation")


@router.post("/keys", status_code=201, response_model=KeyOut, summary="Create an API key")
def create_key(body: KeyIn, db: DbDep, principal: auth.Principal = Admin) -> KeyOut:
    with db.begin() as session:
        created = auth.create_key(session, name=body.name, scopes=body.scopes, actor=principal.actor)
        key = session.get(auth.ApiKey, created.key_id)
        assert key is not None
        return KeyOut(
            key_id=key.key_id,
            name=key.name,
            scopes=key.scopes,
            created_at=key.created_at,
            revoked_at=None,
            token=created.token,
        )


@router.get("/keys", response_model=list[KeyOut], summary="List API keys (never their secrets)")
def list_keys(db: DbDep, _: auth.Principal = Admin) -> list[KeyOut]:
    with db.session() as session:
        return [
            KeyOut(
                key_id=k.key_id,
                name=k.name,
                scopes=k.scopes,
                created_at=k.created_at,
                revoked_at=k.revoked_at,
            )
            for k in auth.list_keys(session)
        ]


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key")
def revoke_key(key_id: str, db: DbDep, principal: auth.Principal = Admin) -> None:
    with db.begin() as session:
        auth.revoke_key(session, key_id, actor=principal.actor)


class AuditOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any] | None
    entry_hash: str


@router.get("/audit", response_model=list[AuditOut], summary="Read the audit log")
def read_audit(
    db: DbDep,
    object_type: str | None = None,
    object_id: str | None = None,
    after: int = Query(default=0, ge=0),
    limit: int = Query(default=100, ge=1, le=1000),
    _: auth.Principal = Admin,
) -> list[AuditOut]:
    query = select(audit.AuditEntry).where(audit.AuditEntry.seq > after)
    if object_type:
        query = query.where(audit.AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(audit.AuditEntry.object_id == object_id)
    with db.session() as session:
        rows = session.scalars(query.order_by(audit.AuditEntry.seq).limit(limit))
        return [
            AuditOut(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                details=r.details,
                entry_hash=r.entry_hash,
            )
            for r in rows
        ]


@router.get("/audit/verify", summary="Check the audit log's hash chain")
def verify_audit(db: DbDep, _: auth.Principal = Admin) -> dict[str, Any]:
    with db.session() as session:
        result = audit.verify(session)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
    }
