"""Wires the upload pipeline into the event worker: the ``upload`` handler and the periodic jobs.

Listed in ``firstlight.events.handlers.HANDLER_MODULES``, so ``serve``, the CLI and tests load it the same
way. Jobs registered here run in the worker thread of ``serve``: the webhook outbox (every
``webhook_poll_seconds``) and the evidence purge (every ``evidence_purge_every_s``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from firstlight.events.handlers import register
from firstlight.events.models import StoredEvent
from firstlight.events.schema import UploadPayload
from firstlight.events.worker import register_job
from firstlight.intake.pipeline import UploadPipeline, scan_upload
from firstlight.store.db import Database

__all__ = ["configure", "current_pipeline", "current_settings", "handle_upload"]

log = logging.getLogger(__name__)
_lock = threading.Lock()
_configured: Any = None
_pipeline: tuple[int, UploadPipeline] | None = None


def configure(settings: Any) -> None:
    """Use ``settings`` instead of the process settings (tests and embedded apps call this)."""
    global _configured, _pipeline
    with _lock:
        _configured, _pipeline = settings, None


def current_settings() -> Any:
    if _configured is not None:
        return _configured
    from firstlight.config import get_settings

    return get_settings()


def current_pipeline() -> UploadPipeline:
    """The pipeline for the current settings (policy loaded and vault opened once)."""
    global _pipeline
    settings = current_settings()
    with _lock:
        if _pipeline is None or _pipeline[0] != id(settings):
            _pipeline = (id(settings), UploadPipeline.from_settings(settings))
        return _pipeline[1]


def handle_upload(session: Session, event: StoredEvent) -> None:
    payload = UploadPayload.model_validate(event.payload)
    scan_upload(session, current_pipeline(), event_id=event.event_id, payload=payload,
                accepted_at=event.received_at)


def _deliver_job(db: Database) -> object:
    from firstlight.decide import deliver_due

    return deliver_due(db, current_settings())


def _purge_job(db: Database) -> object:
    from firstlight.evidence import purge_expired

    with db.begin() as session:
        return purge_expired(session, current_pipeline().vault)


register("upload", handle_upload)
register_job("decide.outbox", _deliver_job,
             every_seconds=float(getattr(current_settings(), "webhook_poll_seconds", 0.5)))
register_job("evidence.purge", _purge_job,
             every_seconds=float(getattr(current_settings(), "evidence_purge_every_s", 3600)))
