"""``/v1/compliance``: the service profile, risk assessment records, transparency data and the check.

Every route needs the ``compliance:write`` scope (the records name cases and accounts). The routes call the
same service functions as ``firstlight assess``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from firstlight import auth
from firstlight.api.deps import DbDep, SettingsDep, require_scope
from firstlight.compliance import service
from firstlight.compliance.check import CheckResult
from firstlight.compliance.profile import parse_profile
from firstlight.compliance.records import current_profile, history, list_assessments
from firstlight.compliance.transparency import TransparencyData
from firstlight.errors import NotFound

router = APIRouter(prefix="/v1/compliance", tags=["compliance"])
Compliance = Depends(require_scope("compliance:write"))


class ProfileOut(BaseModel):
    version: int
    sha256: str
    created_at: datetime
    author: str
    created: bool | None = None
    document: dict[str, Any]


class RecordOut(BaseModel):
    version: int
    content_hash: str
    prev_hash: str
    created_at: datetime
    author: str
    trigger: str
    reason: str | None
    review_due: datetime
    levels: dict[str, str | None]


class HistoryOut(RecordOut):
    level_changes: list[str]
    measure_changes: list[str]


def _record(row: Any) -> RecordOut:
    return RecordOut(
        version=row.version,
        content_hash=row.content_hash,
        prev_hash=row.prev_hash,
        created_at=row.created_at,
        author=row.author,
        trigger=row.trigger,
        reason=row.reason,
        review_due=row.review_due,
        levels=row.levels,
    )


@router.get("/profile", response_model=ProfileOut, summary="The current service profile")
def get_profile(db: DbDep, _: auth.Principal = Compliance) -> ProfileOut:
    with db.session() as session:
        stored = current_profile(session)
        if stored is None:
            raise NotFound("no service profile has been set")
        row, document = stored
        return ProfileOut(
            version=row.version,
            sha256=row.sha256,
            created_at=row.created_at,
            author=row.author,
            document=document.model_dump(mode="json"),
        )


@router.put("/profile", response_model=ProfileOut, summary="Set the service profile (new version if changed)")
def put_profile(
    db: DbDep,
    body: dict[str, Any] = Body(
        ...,
        examples=[
            {
                "service": {
                    "name": "Kite Live",
                    "service_types": ["1a"],
                    "children_can_access": True,
                    "functionalities": ["3a", "5a", "5b", "5d"],
                    "uk_mau": 40000,
                }
            }
        ],
    ),
    principal: auth.Principal = Compliance,
) -> ProfileOut:
    document = parse_profile(body)
    with db.begin() as session:
        row, created = service.set_profile(session, document, author=principal.actor)
        return ProfileOut(
            version=row.version,
            sha256=row.sha256,
            created_at=row.created_at,
            author=row.author,
            created=created,
            document=document.model_dump(mode="json"),
        )


class RunIn(BaseModel):
    reason: str | None = None
    dry_run: bool = False


@router.post("/assessments", status_code=201, summary="Assess and record the next version")
def create_assessment(
    db: DbDep,
    settings: SettingsDep,
    response: Response,
    body: RunIn | None = None,
    principal: auth.Principal = Compliance,
) -> dict[str, Any]:
    body = body or RunIn()
    if body.dry_run:
        response.status_code = 200  # nothing was created
        with db.session() as session:
            draft = service.preview_assessment(session, settings)
        return {"record": None, "assessment": draft.model_dump(mode="json")}
    with db.begin() as session:
        result = service.run_assessment(session, settings, author=principal.actor, reason=body.reason)
        return {
            "record": _record(result.record).model_dump(mode="json"),
            "assessment": result.assessment.model_dump(mode="json"),
        }


@router.get("/assessments", response_model=list[HistoryOut], summary="Every recorded version (history)")
def assessment_history(db: DbDep, _: auth.Principal = Compliance) -> list[HistoryOut]:
    with db.session() as session:
        entries = history(session)
        rows = {r.version: r for r in list_assessments(session)}
    return [
        HistoryOut(
            **_record(rows[e.version]).model_dump(),
            level_changes=e.level_changes,
            measure_changes=e.measure_changes,
        )
        for e in entries
    ]


@router.get("/assessments/{version}", summary="One recorded assessment (JSON, HTML or PDF)")
def get_assessment(
    version: str,
    db: DbDep,
    format: Literal["json", "html", "pdf"] = Query("json"),  # noqa: A002 - the public query name
    _: auth.Principal = Compliance,
) -> Any:
    with db.session() as session:
        row, assessment = service.assessment_for(session, None if version == "latest" else _int(version))
    from firstlight.compliance import render  # matplotlib and reportlab load only when a document is made

    if format == "html":
        return HTMLResponse(render.assessment_html(assessment, row))
    if format == "pdf":
        return Response(render.assessment_pdf(assessment, row), media_type="application/pdf")
    return {"record": _record(row).model_dump(mode="json"), "assessment": row.body}


def _utc(at: datetime | None) -> datetime | None:
    """Query datetimes without an offset are taken as UTC."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _int(value: str) -> int:
    if not value.isdigit():
        raise NotFound(f"no risk assessment version {value!r} (use a number or 'latest')")
    return int(value)


@router.get("/check", response_model=CheckResult, summary="The enforcement check (the regulator's view)")
def check(db: DbDep, settings: SettingsDep, _: auth.Principal = Compliance) -> CheckResult:
    with db.session() as session:
        return service.run_check(session, settings)


@router.get("/transparency", summary="Transparency data as JSON, HTML, PDF or CSV")
def transparency(
    db: DbDep,
    settings: SettingsDep,
    format: Literal["json", "html", "pdf", "csv"] = Query("json"),  # noqa: A002 - the public query name
    since: datetime | None = None,
    until: datetime | None = None,
    _: auth.Principal = Compliance,
) -> Any:
    with db.session() as session:
        data: TransparencyData = service.gather_transparency(
            session, settings, since=_utc(since), until=_utc(until)
        )
    from firstlight.compliance import render

    if format == "html":
        return HTMLResponse(render.transparency_html(data))
    if format == "pdf":
        return Response(
            render.transparency_pdf(data),
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="transparency.pdf"'},
        )
    if format == "csv":
        return Response(
            render.transparency_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="transparency.csv"'},
        )
    return data.model_dump(mode="json")
