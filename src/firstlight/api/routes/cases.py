"""``/v1/cases``: the review queue, claiming and deciding cases (scope ``cases:review``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from firstlight import cases
from firstlight.api.deps import DbDep, require_scope
from firstlight.auth import Principal

router = APIRouter(prefix="/v1/cases", tags=["cases"])
Reviewer = Depends(require_scope("cases:review"))


class CaseItemOut(BaseModel):
    id: int
    content_id: str | None
    event_id: str | None
    evidence_id: int | None
    source: str
    surface: str | None
    media_type: str | None
    sha256: str | None
    md5: str | None
    outcome: str
    rule: str | None
    severity: int
    likelihood: float
    reach: int
    status: str
    signals: list[dict[str, Any]]
    explanation: dict[str, Any]
    context: dict[str, Any]
    created_at: datetime


class CaseOut(BaseModel):
    id: int
    subject_account: str
    status: str
    priority: float
    severity: int
    likelihood: float
    reach: int
    harm_to_children: bool
    category: str | None
    item_count: int
    claimed_by: str | None
    claimed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    created_at: datetime
    updated_at: datetime
    items: list[CaseItemOut] | None = None


class DecisionIn(BaseModel):
    decision: Literal["confirm", "false_positive", "escalate"]
    category: str | None = Field(default=None, description="confirm: IWF A/B/C or NCMEC A1/A2/B1/B2")
    note: str | None = Field(default=None, max_length=5000)
    report_priority: Literal["P1", "P2", "P3"] = "P2"


class DecisionOut(BaseModel):
    case: CaseOut
    report_task_id: int | None
    allow_listed: list[str]
    actions: list[str]


def _case_out(case: cases.Case, items: list[cases.CaseItem] | None = None) -> CaseOut:
    data = {k: getattr(case, k) for k in CaseOut.model_fields if k != "items"}
    data["harm_to_children"] = bool(case.harm_to_children)
    out = CaseOut(**data)
    if items is not None:
        out.items = [CaseItemOut(**{k: getattr(i, k) for k in CaseItemOut.model_fields}) for i in items]
    return out


@router.get("", response_model=list[CaseOut], summary="The review queue, most urgent first")
def get_queue(
    db: DbDep,
    status: list[str] = Query(default=list(cases.ACTIVE_STATUSES)),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    _: Principal = Reviewer,
) -> list[CaseOut]:
    with db.session() as session:
        return [_case_out(c) for c in cases.queue(session, statuses=tuple(status), limit=limit,
                                                  offset=offset)]


@router.get("/{case_id}", response_model=CaseOut, summary="A case with its items")
def get_case(case_id: int, db: DbDep, _: Principal = Reviewer) -> CaseOut:
    with db.session() as session:
        case = cases.get_case(session, case_id)
        return _case_out(case, cases.case_items(session, case_id))


@router.post("/{case_id}/claim", response_model=CaseOut, summary="Claim a case for review")
def post_claim(case_id: int, db: DbDep, principal: Principal = Reviewer) -> CaseOut:
    with db.begin() as session:
        return _case_out(cases.claim(session, case_id, reviewer=principal.actor))


@router.post("/{case_id}/release", response_model=CaseOut, summary="Give a claimed case back")
def post_release(case_id: int, db: DbDep, principal: Principal = Reviewer) -> CaseOut:
    with db.begin() as session:
        return _case_out(cases.release(session, case_id, reviewer=principal.actor))


@router.post("/{case_id}/decision", response_model=DecisionOut, summary="Decide a claimed case")
def post_decision(case_id: int, body: DecisionIn, db: DbDep, principal: Principal = Reviewer
                  ) -> DecisionOut:
    """``confirm`` (with a category) opens a report task; ``false_positive`` adds the hashes to the
    ``allow`` bank; ``escalate`` returns the case to the queue at the top. Audited."""
    with db.begin() as session:
        result = cases.decide_case(session, case_id, reviewer=principal.actor, decision=body.decision,
                                   category=body.category, note=body.note,
                                   report_priority=body.report_priority)
        return DecisionOut(case=_case_out(result.case), report_task_id=result.report_task_id,
                           allow_listed=list(result.allow_listed), actions=list(result.actions))
