"""``/v1/measure/{prevalence,mse,nsum,impact}``: the measure room's estimators over JSON rows.

The body's ``rows`` are the lines of the CSV that ``firstlight measure … FILE`` reads (the columns are
listed in :mod:`firstlight.measure.service`); the answer is the same JSON as ``--json``. The routes are
pure computation — nothing is stored — and need the ``admin`` scope, because a bootstrap can hold a
worker for seconds (``nboot`` is capped at :data:`MAX_API_REPLICATES`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from firstlight import auth
from firstlight.api.deps import require_scope
from firstlight.measure import service
from firstlight.measure._io import jsonable

router = APIRouter(prefix="/v1/measure", tags=["measure"])
Measure = Depends(require_scope("admin"))

MAX_API_ROWS = 200_000
MAX_API_REPLICATES = 2_000

Cell = str | int | float | bool | None
Rows = Annotated[list[dict[str, Cell]], Field(min_length=1, max_length=MAX_API_ROWS)]
Level = Annotated[float, Field(gt=0, lt=1)]


class PrevalenceIn(BaseModel):
    rows: Rows = Field(description="one per reviewed unit: violating[, stratum, weight, cluster, fpc]")
    method: Literal["auto", "wilson", "clopper-pearson", "jeffreys", "logit", "korn-graubard", "wald"] = (
        "auto"
    )
    level: Level = 0.95
    gold: list[dict[str, Cell]] | None = Field(
        default=None, max_length=MAX_API_ROWS, description="gold set rows: truth, label"
    )


class MSEIn(BaseModel):
    rows: Rows = Field(description="one 0/1 field per list and a count field (count, n, freq)")
    method: Literal["stepwise", "main", "fixed"] = "stepwise"
    terms: list[str] = Field(default_factory=list, description="two-list terms for 'fixed', e.g. 'A:B'")
    pthresh: Annotated[float, Field(ge=0, le=1)] = 0.02
    level: Level = 0.95
    profile: bool = True
    nboot: Annotated[int, Field(ge=0, le=MAX_API_REPLICATES)] = 0
    seed: int | None = 1234
    count_column: str | None = None


class NSUMIn(BaseModel):
    rows: Rows = Field(description="one per respondent: how many people they know in each group")
    known: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    total: Annotated[float, Field(gt=0)]
    weight_column: str | None = None
    level: Level = 0.95


class ImpactIn(BaseModel):
    rows: Rows = Field(description="one per observed unit: wave, y[, area, cluster, stratum, weight]")
    level: Level = 0.95
    nboot: Annotated[int, Field(ge=0, le=MAX_API_REPLICATES)] = 1000
    seed: int | None = 1234
    before: str | None = None
    area: str | None = None


@router.post("/prevalence", summary="Prevalence of violating items from a reviewed sample")
def prevalence(body: PrevalenceIn, _: auth.Principal = Measure) -> dict[str, Any]:
    result = service.run_prevalence(body.rows, method=body.method, level=body.level, gold=body.gold)
    return jsonable(result)


@router.post("/mse", summary="Hidden-population size by multiple systems estimation")
def mse(body: MSEIn, _: auth.Principal = Measure) -> dict[str, Any]:
    report = service.run_mse(
        body.rows,
        method=body.method,
        terms=body.terms,
        pthresh=body.pthresh,
        level=body.level,
        profile=body.profile,
        nboot=body.nboot,
        seed=body.seed,
        count_column=body.count_column,
    )
    return jsonable(report)


@router.post("/nsum", summary="Hidden-group sizes by network scale-up")
def nsum(body: NSUMIn, _: auth.Principal = Measure) -> dict[str, Any]:
    result = service.run_nsum(
        body.rows, known=body.known, total=body.total, weight_column=body.weight_column, level=body.level
    )
    return jsonable(result)


@router.post("/impact", summary="Reduction in prevalence between two waves; difference in differences")
def impact(body: ImpactIn, _: auth.Principal = Measure) -> dict[str, Any]:
    result = service.run_impact(
        body.rows, level=body.level, nboot=body.nboot, seed=body.seed, before=body.before, area=body.area
    )
    return jsonable(result)
