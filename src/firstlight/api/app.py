"""The FastAPI application: one app for the API (``/v1``), health, metrics and, later, the console."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from firstlight import __version__
from firstlight.api.errors import install_error_handlers
from firstlight.api.limits import BodySizeLimit
from firstlight.config import Settings, get_settings
from firstlight.events.worker import Worker
from firstlight.metrics import HTTP_LATENCY
from firstlight.store import Database

__all__ = ["ROUTERS", "create_app"]

log = logging.getLogger(__name__)

# Router modules, one per room; each exposes ``router``. Rooms add one line here.
ROUTERS: list[str] = [
    "firstlight.api.routes.health",
    "firstlight.api.routes.events",
    "firstlight.api.routes.admin",
    "firstlight.api.routes.hashing",
    "firstlight.api.routes.banks",
    "firstlight.api.routes.hma",
    "firstlight.api.routes.uploads",
    "firstlight.api.routes.cases",
    "firstlight.api.routes.evidence",
    "firstlight.api.routes.actions",
    "firstlight.api.routes.reports",
    "firstlight.api.routes.compliance",
    "firstlight.api.routes.risk",
    "firstlight.api.routes.streams",
    "firstlight.api.routes.measure",
]

DESCRIPTION = """
Firstlight matches uploads and live video against banks of known child sexual abuse material, scores
livestream sessions, acts through your platform's webhooks, queues cases for shielded human review,
preserves evidence and prepares reports to the NCA and NCMEC.

Authenticate with `Authorization: Bearer <key>` (create one with `firstlight keys create`). Every error has
the shape `{"error": {"code", "message", "details"}}`.
"""


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, run_worker: bool = False
) -> FastAPI:
    """Build the app. ``run_worker`` starts the event worker thread (``serve`` does; tests call
    ``firstlight.events.process_pending`` themselves)."""
    settings = settings or get_settings()
    db = db or Database(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if run_worker and settings.worker_enabled:
            worker = Worker(
                db,
                poll_seconds=settings.worker_poll_seconds,
                max_attempts=settings.event_max_attempts,
            )
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="Firstlight",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)

    @app.middleware("http")
    async def _timing(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        HTTP_LATENCY.labels(
            request.method, getattr(route, "path", "unmatched"), f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response

    for name in ROUTERS:
        module = importlib.import_module(name)
        app.include_router(module.router)

    from firstlight.web import install_console

    install_console(app, settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
