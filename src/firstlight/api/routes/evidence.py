"""``/v1/evidence``: preserved media, shielded by default (scope ``cases:review``; holds and purge: admin).

``GET /v1/evidence/{id}/media`` serves a blurred greyscale rendition. The original needs
``?original=true`` and a ``reason`` (query or ``X-Reveal-Reason`` header); each reveal is written to the
chain of custody and the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from firstlight import evidence
from firstlight.api.deps import DbDep, require_scope
from firstlight.auth import Principal
from firstlight.errors import Invalid

router = APIRouter(prefix="/v1/evidence", tags=["evidence"])
Reviewer = Depends(require_scope("cases:review"))
Admin = Depends(require_scope("admin"))


class EvidenceOut(BaseModel):
    id: int
    sha256: str
    md5: str
    size: int
    media_type: str | None
    key_id: str
    status: str
    subject_account: str | None
    content_id: str | None
    event_id: str | None
    metadata: dict[str, Any]
    preserved_at: datetime
    reported_at: datetime | None
    retain_until: datetime
    legal_hold: bool
    hold_reason: str | None
    purged_at: datetime | None


class CustodyOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    reason: str | None
    details: dict[str, Any] | None
    entry_hash: str


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def _vault(request: Request) -> evidence.Vault:
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = request.app.state.vault = evidence.Vault.open(request.app.state.settings)
    return vault


def _out(item: evidence.EvidenceItem) -> EvidenceOut:
    data = {k: getattr(item, k) for k in EvidenceOut.model_fields if k != "metadata"}
    return EvidenceOut(metadata=item.meta, **data)


@router.get("/{item_id}", response_model=EvidenceOut, summary="An evidence item's record (no media)")
def get_item(item_id: int, db: DbDep, _: Principal = Reviewer) -> EvidenceOut:
    with db.session() as session:
        return _out(evidence.get_item(session, item_id))


@router.get("/{item_id}/media", summary="The media: blurred greyscale unless revealed with a reason",
            response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "application/octet-stream": {}}}})
def get_media(
    item_id: int,
    request: Request,
    db: DbDep,
    original: bool = Query(default=False, description="serve the original (needs a reason)"),
    reason: str | None = Query(default=None, max_length=2000),
    x_reveal_reason: str | None = Header(default=None, max_length=2000),
    principal: Principal = Reviewer,
) -> Response:
    vault = _vault(request)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    with db.begin() as session:
        if not original:
            data = evidence.rendition(session, vault, item_id, actor=principal.actor)
            return Response(data, media_type="image/jpeg", headers={**headers, "X-Protected": "1"})
        why = reason or x_reveal_reason
        if not why or not why.strip():
            raise Invalid("revealing the original needs a reason", code="reason_required")
        item = evidence.get_item(session, item_id)
        data = evidence.reveal(session, vault, item_id, actor=principal.actor, reason=why)
        return Response(data, media_type=item.media_type or "application/octet-stream",
                         headers={**headers, "Content-Disposition": "attachment"})


@router.get("/{item_id}/custody", response_model=list[CustodyOut], summary="Chain of custody")
def get_custody(item_id: int, db: DbDep, _: Principal = Reviewer) -> list[CustodyOut]:
    with db.session() as session:
        evidence.get_item(session, item_id)
        return [CustodyOut(**{k: getattr(e, k) for k in CustodyOut.model_fields})
                for e in evidence.custody_of(session, item_id)]


@router.post("/{item_id}/hold", response_model=EvidenceOut, summary="Place a legal hold")
def post_hold(item_id: int, body: ReasonIn, db: DbDep, principal: Principal = Admin) -> EvidenceOut:
    with db.begin() as session:
        return _out(evidence.place_hold(session, item_id, actor=principal.actor, reason=body.reason))


@router.delete("/{item_id}/hold", response_model=EvidenceOut, summary="Release a legal hold")
def delete_hold(item_id: int, db: DbDep, reason: str = Query(min_length=1, max_length=2000),
                principal: Principal = Admin) -> EvidenceOut:
    with db.begin() as session:
        return _out(evidence.release_hold(session, item_id, actor=principal.actor, reason=reason))


@router.post("/purge", summary="Purge evidence past its retention (not on hold)")
def post_purge(request: Request, db: DbDep, principal: Principal = Admin) -> dict[str, list[int]]:
    with db.begin() as session:
        return {"purged": evidence.purge_expired(session, _vault(request), actor=principal.actor)}
