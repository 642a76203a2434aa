"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from firstlight import __version__
from firstlight.api.deps import DbDep
from firstlight.api.errors import error_response
from firstlight.store import is_current

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", summary="Readiness: the database answers and its schema is current")
def readyz(db: DbDep) -> object:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(db)
    except Exception as exc:
        return error_response(503, "unavailable", f"database unreachable: {type(exc).__name__}")
    if not current:
        return error_response(503, "unavailable", "database schema is behind: run `firstlight db upgrade`")
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
