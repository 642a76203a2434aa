"""Console: the compliance dashboard — CSEA risk levels and their reasons, the Codes measures with their
evidence, transparency plots, and the enforcement check, all from the compliance room's services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from firstlight import compliance
from firstlight.compliance import _charts
from firstlight.errors import NotFound
from firstlight.web.pages import render, require_permission
from firstlight.web.users import SignedInUser

router = APIRouter(include_in_schema=False)
Compliance = Annotated[SignedInUser, Depends(require_permission("compliance"))]
CHARTS = {
    "detections": _charts.detections_chart,
    "takedown": _charts.takedown_chart,
    "reports": _charts.reports_chart,
    "cross-border": _charts.cross_border_chart,
}


@router.get("/compliance")
def compliance_page(request: Request, user: Compliance):
    settings = request.app.state.settings
    with request.app.state.db.session() as session:
        try:
            assessment = compliance.preview_assessment(session, settings)
            check = compliance.run_check(session, settings)
        except NotFound as missing:
            return render(request, "compliance.html", user, missing=missing.message)
        transparency = compliance.gather_transparency(session, settings)
        history = compliance.history(session)
    harms = [assessment.risk.harms[h] for h in compliance.CSEA_HARMS]
    measures = [m for m in assessment.measures if m.applies]
    return render(
        request, "compliance.html", user, assessment=assessment, harms=harms, measures=measures,
        check=check, transparency=transparency, charts=list(CHARTS), history=history,
    )


@router.get("/compliance/charts/{name}.png")
def chart(request: Request, name: str, user: Compliance) -> Response:
    if name not in CHARTS:
        raise NotFound(f"no chart {name!r}")
    with request.app.state.db.session() as session:
        data = compliance.gather_transparency(session, request.app.state.settings)
    return Response(CHARTS[name](data), media_type="image/png", headers={"Cache-Control": "no-store"})
