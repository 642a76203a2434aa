"""The event worker: runs each pending event's handlers, with retries, and the rooms' periodic jobs.

``process_pending`` is one pass (tests call it directly); ``Worker`` runs passes in a background thread
inside ``firstlight serve``. Events are taken in acceptance order. On PostgreSQL, rows are claimed with
``FOR UPDATE SKIP LOCKED`` so several workers can share the queue.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from firstlight.events.handlers import handlers_for, load_handler_modules
from firstlight.events.models import StoredEvent
from firstlight.store.db import Database, utcnow

__all__ = ["Job", "PassSummary", "Worker", "process_pending", "register_job"]

log = logging.getLogger(__name__)


@dataclass
class PassSummary:
    processed: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class Job:
    """A periodic job a room runs in the worker (e.g. the webhook outbox, the vault purge)."""

    name: str
    run: Callable[[Database], object]
    every_seconds: float
    last_run: float = field(default=0.0)


_jobs: dict[str, Job] = {}


def register_job(name: str, run: Callable[[Database], object], *, every_seconds: float) -> None:
    _jobs[name] = Job(name, run, every_seconds)


def _backoff(attempts: int) -> timedelta:
    base = min(300.0, 2.0 ** min(attempts, 10))
    return timedelta(seconds=base * (0.5 + random.random() / 2))


def process_pending(
    db: Database, *, limit: int = 200, max_attempts: int = 8, now: datetime | None = None
) -> PassSummary:
    """Run handlers for up to ``limit`` due events, each in its own transaction."""
    load_handler_modules()
    now = now or utcnow()
    summary = PassSummary()
    with db.session() as session:
        ids = session.scalars(
            select(StoredEvent.id)
            .where(StoredEvent.status == "pending")
            .where(or_(StoredEvent.next_attempt_at.is_(None), StoredEvent.next_attempt_at <= now))
            .order_by(StoredEvent.id)
            .limit(limit)
        ).all()
    for event_pk in ids:
        error: str | None = None
        try:
            with db.begin() as session:
                query = select(StoredEvent).where(StoredEvent.id == event_pk)
                if db.is_postgres:
                    query = query.with_for_update(skip_locked=True)
                event = session.scalar(query)
                if event is None or event.status != "pending":
                    continue
                for handler in handlers_for(event.type):
                    handler(session, event)
                event.status = "processed"
                event.processed_at = utcnow()
                event.attempts += 1
                event.last_error = None
            summary.processed += 1
        except Exception as exc:  # a handler failed: keep the event, retry later
            error = f"{type(exc).__name__}: {exc}"
            log.warning("event %s failed: %s", event_pk, error)
        if error is not None:
            with db.begin() as session:
                event = session.get(StoredEvent, event_pk)
                if event is None:
                    continue
                event.attempts += 1
                event.last_error = error[:4000]
                if event.attempts >= max_attempts:
                    event.status = "failed"
                    summary.failed += 1
                else:
                    event.next_attempt_at = utcnow() + _backoff(event.attempts)
                    summary.retried += 1
    return summary


class Worker:
    """Background thread: event passes plus periodic jobs, until ``stop()``."""

    def __init__(self, db: Database, *, poll_seconds: float = 0.5, max_attempts: int = 8) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="firstlight-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                summary = process_pending(self.db, max_attempts=self.max_attempts)
                busy = summary.processed + summary.retried + summary.failed > 0
            except Exception:  # the database may be briefly unavailable; keep going
                log.exception("event pass failed")
            for job in list(_jobs.values()):
                if time.monotonic() - job.last_run >= job.every_seconds:
                    job.last_run = time.monotonic()
                    try:
                        job.run(self.db)
                    except Exception:
                        log.exception("job %s failed", job.name)
            if not busy:
                self._stop.wait(self.poll_seconds)
