"""One stream worker per process and database, and the supervisor that keeps it in step with the table.

The worker runs where events are processed (``firstlight serve``, or a separate worker process on the same
database). A session reaches it three ways:

- **at once**: ``start_stream`` tells this process's worker when its transaction commits;
- **pushed frames**: the push endpoint adopts a live push session it does not run yet;
- **the supervisor** (a periodic job, every second): adopts live pull sessions that no worker owns or whose
  owner stopped heart-beating (a crash or a restart), and ends sessions that were ended elsewhere.

Ownership is the ``worker_id`` column, refreshed by a heartbeat; a session is read by one worker at a time.
"""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import sessionmaker

from firstlight.store.db import Database, utcnow
from firstlight.streams.models import StreamSessionRow
from firstlight.streams.pull import PullOptions
from firstlight.streams.tiers import Observation, StreamContext, Tier, TierPolicy
from firstlight.streams.worker import StreamWorker, WorkerConfig

__all__ = [
    "adopt",
    "get_worker",
    "local_snapshot",
    "on_ended",
    "on_started",
    "shutdown_workers",
    "supervise",
    "worker_config",
]

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
STALE_AFTER_S = 30.0

_workers: weakref.WeakKeyDictionary[Engine, StreamWorker] = weakref.WeakKeyDictionary()
_databases: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
_lock = threading.RLock()
_last_heartbeat: dict[int, float] = {}


class _BoundDatabase(Database):
    """A ``Database`` around an engine that already exists (for callers that only hold a session)."""

    def __init__(self, engine: Engine) -> None:  # noqa: D107 - deliberately not calling super
        self.url = engine.url.render_as_string(hide_password=False)
        self.schema = None
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)


def _engine(db_or_bind: Any) -> Engine:
    engine = getattr(db_or_bind, "engine", db_or_bind)
    return getattr(engine, "engine", engine)


def _database(db_or_bind: Any) -> Any:
    if hasattr(db_or_bind, "begin") and hasattr(db_or_bind, "session") and hasattr(db_or_bind, "engine"):
        _databases.setdefault(db_or_bind.engine, db_or_bind)
        return db_or_bind
    engine = _engine(db_or_bind)
    with _lock:
        db = _databases.get(engine)
        if db is None:
            db = _databases[engine] = _BoundDatabase(engine)
        return db


def worker_config(settings: Any) -> WorkerConfig:
    return WorkerConfig(
        max_streams=int(getattr(settings, "stream_max_per_worker", 64)),
        queue_size=int(getattr(settings, "stream_queue_size", 8)),
        near_margin=int(getattr(settings, "stream_near_margin", 16)),
        pull=PullOptions(
            open_timeout_s=float(getattr(settings, "stream_open_timeout_s", 30.0)),
            read_timeout_s=float(getattr(settings, "stream_read_timeout_s", 10.0)),
        ),
        policy=TierPolicy(t1_fps=float(getattr(settings, "stream_t1_fps", 2.0))),
    )


def get_worker(db: Any, settings: Any = None, *, create: bool = True) -> StreamWorker | None:
    """This process's worker for a database (created on first use with the database sink)."""
    engine = _engine(db)
    with _lock:
        worker = _workers.get(engine)
        if worker is None and create:
            from firstlight.config import get_settings
            from firstlight.detect.frames import load_frame_classifiers
            from firstlight.streams.matching import BankFrameMatcher
            from firstlight.streams.sink import DatabaseSink

            database = _database(db)
            settings = settings or get_settings()
            worker = StreamWorker(
                DatabaseSink(database, settings),
                config=worker_config(settings),
                matcher=BankFrameMatcher(database),
                classifiers=load_frame_classifiers(
                    list(getattr(settings, "stream_frame_classifiers", []) or []),
                    getattr(settings, "stream_classifier_options", None),
                ),
            )
            _workers[engine] = worker
        return worker


def shutdown_workers() -> None:
    """Stop every worker of this process (``serve`` on exit, and tests)."""
    with _lock:
        workers = list(_workers.items())
        _workers.clear()
    for _engine_key, worker in workers:
        worker.shutdown()


def context_of(row: StreamSessionRow) -> StreamContext:
    return StreamContext(
        stream_id=row.stream_id,
        streamer_account=row.streamer_account,
        viewer_accounts=tuple(row.viewer_accounts or ()),
        visibility=row.visibility,  # type: ignore[arg-type]
        paid=row.paid,
        countries=dict(row.countries or {}),
    )


def adopt(db: Any, worker: StreamWorker, row: StreamSessionRow) -> bool:
    """Start monitoring a live row on ``worker`` (claiming it); False if another live worker owns it."""
    database = _database(db)
    now = utcnow()
    stale = now - timedelta(seconds=STALE_AFTER_S)
    with database.begin() as session:
        claimed = session.execute(
            update(StreamSessionRow)
            .where(StreamSessionRow.id == row.id, StreamSessionRow.status == "live")
            .where(
                or_(
                    StreamSessionRow.worker_id.is_(None),
                    StreamSessionRow.worker_id == worker.worker_id,
                    StreamSessionRow.updated_at < stale,
                )
            )
            .values(worker_id=worker.worker_id, updated_at=now)
        ).rowcount
    if not claimed or row.stream_id in worker:
        return bool(claimed)
    tier = min(Tier.parse(row.tier), Tier.T2)
    prior = None
    if tier > Tier.T0:
        prior = Observation(kind="prior", strength="weak", summary=f"session resumed at {tier.label}",
                            details={"prior": row.prior})
    live = worker.open(
        context_of(row), ingest=row.ingest, url=row.stream_url, start_tier=tier, prior=prior,
        started_at=row.started_at, row_id=row.id, start_event_id=row.start_event_id,
    )
    live.frames_analysed = row.frames_analysed
    live.frames_dropped = row.frames_dropped
    if row.first_alert_at is not None:
        live.first_alert_at = row.first_alert_at
        live.first_alert_stream_time = row.first_alert_stream_time_s
    return True


def on_started(bind: Any, stream_id: str) -> None:
    """After ``start_stream`` commits: a pull session starts being read by this process's worker."""
    db = _database(bind)
    worker = get_worker(db)
    assert worker is not None
    with db.session() as session:
        row = session.scalar(select(StreamSessionRow).where(StreamSessionRow.stream_id == stream_id))
    if row is None or row.status != "live":
        return
    if row.ingest == "pull" or stream_id not in worker:
        try:
            adopt(db, worker, row)
        except Exception:
            log.exception("stream %s could not be started here; the supervisor will retry", stream_id)


def on_ended(bind: Any, stream_id: str, reason: str) -> None:
    worker = get_worker(bind, create=False)
    if worker is not None:
        worker.end(stream_id, reason)


def local_snapshot(session: Any, stream_id: str) -> dict[str, Any] | None:
    """This process's live view of a session, fresher than its row between flushes (None if not here)."""
    worker = get_worker(session.get_bind(), create=False)
    live = None if worker is None else worker.get(stream_id)
    return None if live is None else live.snapshot()


def supervise(db: Any) -> dict[str, int]:
    """One supervisor pass (the periodic job): adopt orphaned pull sessions, stop ended ones, heartbeat."""
    import time

    worker = get_worker(db)
    assert worker is not None
    database = _database(db)
    stale = utcnow() - timedelta(seconds=STALE_AFTER_S)
    adopted = stopped = 0
    with database.session() as session:
        orphans = list(
            session.scalars(
                select(StreamSessionRow)
                .where(StreamSessionRow.status == "live", StreamSessionRow.ingest == "pull")
                .where(
                    or_(
                        StreamSessionRow.worker_id.is_(None),
                        StreamSessionRow.worker_id == worker.worker_id,
                        StreamSessionRow.updated_at < stale,
                    )
                )
                .limit(worker.config.max_streams)
            )
        )
        running = [s.stream_id for s in worker.sessions()]
        ended = set()
        if running:
            ended = set(
                session.scalars(
                    select(StreamSessionRow.stream_id).where(
                        StreamSessionRow.stream_id.in_(running), StreamSessionRow.status != "live"
                    )
                )
            )
    for row in orphans:
        if row.stream_id in worker or len(worker) >= worker.config.max_streams:
            continue
        try:
            if adopt(database, worker, row):
                adopted += 1
        except Exception:
            log.exception("could not adopt stream %s", row.stream_id)
    for stream_id in ended:
        if worker.end(stream_id, "ended"):
            stopped += 1
    raised = _follow_session_risk(database, worker)
    key = id(worker)
    if running and time.monotonic() - _last_heartbeat.get(key, 0.0) >= HEARTBEAT_S:
        _last_heartbeat[key] = time.monotonic()
        with database.begin() as session:
            session.execute(
                update(StreamSessionRow)
                .where(StreamSessionRow.stream_id.in_(running), StreamSessionRow.status == "live")
                .where(StreamSessionRow.worker_id == worker.worker_id)
                .values(updated_at=utcnow())
            )
    return {"adopted": adopted, "stopped": stopped, "raised": raised}


def _follow_session_risk(database: Any, worker: StreamWorker) -> int:
    """Raise live sessions whose in-stream risk (chat, payments: the session-risk room) now asks for more."""
    below = {s.stream_id: s for s in worker.sessions() if s.tier < Tier.T2 and not s.closed}
    if not below:
        return 0
    try:
        from firstlight.detect import get_session_risk
        from firstlight.detect.models import RiskSession
    except ImportError:  # the session-risk room is optional
        return 0
    raised = 0
    with database.session() as session:
        rows = session.execute(
            select(RiskSession.stream_id, RiskSession.tier).where(
                RiskSession.stream_id.in_(sorted(below)), RiskSession.ended_at.is_(None)
            )
        ).all()
        for stream_id, tier in rows:
            try:
                target = Tier.parse(tier)
            except ValueError:
                continue
            if target <= below[stream_id].tier:
                continue
            risk = get_session_risk(session, stream_id)
            top = sorted(risk.contributions, key=lambda c: -abs(c.logit))[:3]
            observation = Observation(
                kind="prior",
                strength="review" if target >= Tier.T2 else "weak",
                summary=(f"session risk rose to {risk.score:.2f} during the stream ({risk.tier_hint}): "
                         + "; ".join(c.explanation for c in top)),
                details=risk.as_dict(),
            )
            if worker.raise_tier(stream_id, target, observation) is not None:
                raised += 1
    return raised
