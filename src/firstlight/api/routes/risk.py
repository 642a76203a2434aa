"""``/v1/risk``: session and account risk with their explanations; confirmation with network expansion;
indicator lists. Every score lists its contributions (feature, weight, value, population-level, why)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from firstlight.api.deps import DbSession, require_scope
from firstlight.auth import Principal
from firstlight.detect import account_risk, get_session_risk, on_account_confirmed, session_prior
from firstlight.detect.ledger import add_list_entries
from firstlight.events.schema import Country, Id

router = APIRouter(prefix="/v1/risk", tags=["risk"])

Reviewer = Annotated[Principal, Depends(require_scope("cases:review"))]
Platform = Annotated[Principal, Depends(require_scope("events:write"))]
Admin = Annotated[Principal, Depends(require_scope("admin"))]
AtQuery = Annotated[AwareDatetime | None, Query(description="Evaluate at this time (default now).")]


class ContributionOut(BaseModel):
    feature: str
    weight: float
    value: float
    contribution: float
    population_level: bool
    explanation: str


class RiskOut(BaseModel):
    subject: str
    score: float
    individual_score: float
    tier_hint: Literal["T0", "T1", "T2"]
    population_capped: bool
    computed_at: datetime | None
    contributions: list[ContributionOut]


class SessionRequest(BaseModel):
    """A stream or private call being requested: score it before the first frame."""

    stream_id: Id
    streamer_account: Id
    viewer_accounts: list[Id] = Field(default_factory=list, max_length=10000)
    visibility: Literal["public", "private", "one_to_one"] = "public"
    paid: bool = False
    countries: dict[str, Country] = Field(default_factory=dict)
    at: AwareDatetime | None = None


class LinkedOut(RiskOut):
    account_id: str
    payments: int


class ExpansionOut(BaseModel):
    account_id: str
    linked: list[LinkedOut]


class ListAdd(BaseModel):
    accounts: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(max_length=100_000)
    source: str | None = Field(default=None, max_length=200)


@router.post("/sessions", response_model=RiskOut, summary="Score a session at request time")
def request_session(body: SessionRequest, session: DbSession, _: Platform) -> dict[str, Any]:
    risk = session_prior(session, stream_id=body.stream_id, streamer_account=body.streamer_account,
                         viewer_accounts=body.viewer_accounts, private=body.visibility != "public",
                         paid=body.paid, countries=body.countries, at=body.at)
    session.commit()
    return risk.as_dict()


@router.get("/sessions/{stream_id}", response_model=RiskOut, summary="A session's risk and why")
def read_session(stream_id: str, session: DbSession, _: Reviewer, at: AtQuery = None) -> dict[str, Any]:
    return get_session_risk(session, stream_id, at=at).as_dict()


@router.get("/accounts/{account_id}", response_model=RiskOut, summary="An account's risk and why")
def read_account(account_id: str, session: DbSession, _: Reviewer, at: AtQuery = None) -> dict[str, Any]:
    return account_risk(session, account_id, at=at).as_dict()


@router.post("/accounts/{account_id}/confirm", response_model=ExpansionOut,
             summary="Confirm an account; returns the accounts its payments link to")
def confirm_account(account_id: str, session: DbSession, principal: Reviewer) -> dict[str, Any]:
    expansion = on_account_confirmed(session, account_id, actor=principal.actor)
    session.commit()
    return expansion.as_dict()


@router.post("/lists/{list_name}", summary="Add accounts to an indicator list")
def add_to_list(list_name: str, body: ListAdd, session: DbSession, _: Admin) -> dict[str, int]:
    added = add_list_entries(session, list_name, body.accounts, source=body.source)
    session.commit()
    return {"added": added}
