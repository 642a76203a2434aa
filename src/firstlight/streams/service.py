"""Service functions of the streams room: one per action, called by event handlers, the API and the CLI.

- ``start_stream(session, payload, *, event_id, started_at, prior_tier)`` — record a session (idempotent per
  stream id), score its prior risk, set its starting tier; a pull session starts being read once the
  transaction commits.
- ``end_stream(session, stream_id, *, reason)`` — the platform says it ended.
- ``get_stream(session, stream_id)`` / ``list_streams(session, ...)`` — the live state, escalations included.
- ``push_media(db, stream_id, data, *, offset_seconds)`` — frames or segments the platform posts.

The caller owns the commit, as everywhere in Firstlight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.events.schema import StreamStartPayload
from firstlight.store.db import utcnow
from firstlight.streams.models import StreamEscalationRow, StreamSessionRow
from firstlight.streams.pull import redact_url
from firstlight.streams.tiers import Tier

__all__ = [
    "LIVE_STATUSES",
    "StreamState",
    "end_stream",
    "get_stream",
    "list_streams",
    "push_media",
    "start_stream",
]

log = logging.getLogger(__name__)

# Stored statuses (never rename): live → ended | actioned | stalled | invalid | open_failed | error, or
# out_of_scope from the start. A worker that shuts down leaves its sessions live and unowned, so the next
# worker (or the same one after a restart) adopts them.
LIVE_STATUSES = ("live",)


@dataclass(frozen=True)
class StreamState:
    """A session as the API and CLI show it."""

    row: StreamSessionRow
    escalations: list[StreamEscalationRow]
    live: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        out: dict[str, Any] = {
            "stream_id": r.stream_id,
            "status": r.status,
            "end_reason": r.end_reason,
            "tier": r.tier,
            "ingest": r.ingest,
            "stream_url": redact_url(r.stream_url) if r.stream_url else None,
            "streamer_account": r.streamer_account,
            "viewer_accounts": list(r.viewer_accounts or []),
            "visibility": r.visibility,
            "paid": r.paid,
            "countries": dict(r.countries or {}),
            "started_at": r.started_at.isoformat(),
            "ended_at": r.ended_at.isoformat() if r.ended_at else None,
            "frames_analysed": r.frames_analysed,
            "frames_dropped": r.frames_dropped,
            "last_frame_time_s": r.last_frame_time_s,
            "last_signals": r.last_signals,
            "first_alert_at": r.first_alert_at.isoformat() if r.first_alert_at else None,
            "time_to_first_alert_s": r.time_to_first_alert_s,
            "first_alert_stream_time_s": r.first_alert_stream_time_s,
            "case_id": r.case_id,
            "report_task_id": r.report_task_id,
            "prior": r.prior,
            "escalations": [
                {
                    "from_tier": e.from_tier,
                    "to_tier": e.to_tier,
                    "rule": e.rule,
                    "summary": e.summary,
                    "stream_time_s": e.stream_time_s,
                    "at": e.at.isoformat(),
                    "explanation": e.explanation,
                    "actions": e.actions,
                }
                for e in self.escalations
            ],
        }
        if self.live is not None:
            # Fresher than the row between flushes.
            out["frames_analysed"] = max(out["frames_analysed"], self.live["frames_analysed"])
            out["frames_dropped"] = max(out["frames_dropped"], self.live["frames_dropped"])
            if self.live["last_signals"] is not None:
                out["last_signals"] = self.live["last_signals"]
                out["last_frame_time_s"] = self.live["last_frame_time_s"]
            out["queued"] = self.live["queued"]
        return out


def _prior(
    session: Session, payload: StreamStartPayload, at: datetime, prior_tier: str | None
) -> tuple[Tier, dict[str, Any]]:
    """The starting tier: the session-risk room's hint, raised by an explicit ``prior_tier`` override."""
    info: dict[str, Any] = {}
    tier = Tier.T0
    try:
        from firstlight.detect import session_prior
    except ImportError:  # the session-risk room is optional
        session_prior = None
    if session_prior is not None:
        risk = session_prior(
            session,
            stream_id=payload.stream_id,
            streamer_account=payload.streamer_account,
            viewer_accounts=list(payload.viewer_accounts),
            private=payload.visibility != "public",
            paid=payload.paid,
            countries=dict(payload.countries),
            at=at,
        )
        info = risk.as_dict()
        tier = Tier.parse(risk.tier_hint)
    if prior_tier is not None:
        override = Tier.parse(prior_tier)
        if override >= Tier.T3:
            raise Invalid("prior_tier may be T0, T1 or T2: only a confirmed match ends a stream")
        info["override"] = override.label
        tier = max(tier, override)
    return min(tier, Tier.T2), info


_NETWORK_SCHEMES = ("rtmp://", "rtmps://", "rtsp://", "rtsps://", "srt://", "http://", "https://")


def _check_url(url: str, allow_files: bool) -> str | None:
    """Why ``url`` cannot be pulled, or None."""
    lowered = url.strip().lower()
    if lowered.startswith(_NETWORK_SCHEMES):
        return None
    if "://" not in lowered or lowered.startswith("file:"):
        if allow_files:
            return None
        return "stream_url names a local file; set stream_allow_file_urls to allow it"
    return "stream_url must be rtmp(s)://, rtsp(s)://, srt:// or http(s):// (HLS)"


def _prior_summary(tier: Tier, info: dict[str, Any]) -> str:
    if info.get("override") and Tier.parse(info["override"]) >= tier:
        return f"starting tier {tier.label} set by the platform (prior_tier)"
    top = sorted(info.get("contributions", []), key=lambda c: -abs(c.get("contribution", 0)))[:3]
    reasons = "; ".join(c.get("explanation", c.get("feature", "")) for c in top)
    return f"session prior risk {info.get('score', 0):.2f} suggests {tier.label}: {reasons}"


def start_stream(
    session: Session,
    payload: StreamStartPayload | dict[str, Any],
    *,
    event_id: str | None = None,
    started_at: datetime | None = None,
    prior_tier: str | None = None,
    scan_visibilities: tuple[str, ...] | list[str] | None = None,
    allow_files: bool | None = None,
) -> StreamSessionRow:
    """Record a live session and decide its starting tier. Idempotent: the same stream id returns the
    existing row. ``payload.stream_url`` makes it a pull session; without it the platform pushes frames.

    A URL Firstlight cannot or may not read (an unknown scheme; a local file unless ``allow_files`` or the
    ``stream_allow_file_urls`` setting) records the session as ``invalid`` with the reason, rather than
    failing the event again and again."""
    if isinstance(payload, dict):
        payload = StreamStartPayload.model_validate(payload)
    existing = session.scalar(
        select(StreamSessionRow).where(StreamSessionRow.stream_id == payload.stream_id)
    )
    if existing is not None:
        return existing
    ignored: dict[str, Any] = {}
    if prior_tier is None:
        extra = getattr(payload, "model_extra", None) or {}
        if extra.get("prior_tier") is not None:  # from the platform's event: lenient, capped at T2
            try:
                prior_tier = min(Tier.parse(extra["prior_tier"]), Tier.T2).label
            except ValueError:
                ignored["ignored_prior_tier"] = str(extra["prior_tier"])[:20]
    started_at = started_at or utcnow()
    url = payload.stream_url
    settings = None
    if scan_visibilities is None or allow_files is None:
        from firstlight.config import get_settings

        settings = get_settings()
    if scan_visibilities is None:
        scan_visibilities = getattr(settings, "stream_scan_visibilities", ["public", "private", "one_to_one"])
    if allow_files is None:
        allow_files = bool(getattr(settings, "stream_allow_file_urls", False))
    url_problem = _check_url(url, allow_files) if url else None
    in_scope = payload.visibility in scan_visibilities and url_problem is None
    tier, info = _prior(session, payload, started_at, prior_tier) if in_scope else (Tier.T0, {})
    info.update(ignored)
    now = utcnow()
    row = StreamSessionRow(
        stream_id=payload.stream_id,
        streamer_account=payload.streamer_account,
        viewer_accounts=list(payload.viewer_accounts),
        visibility=payload.visibility,
        paid=payload.paid,
        countries=dict(payload.countries),
        ingest="pull" if url else "push",
        stream_url=url,
        status="live" if in_scope else ("invalid" if url_problem else "out_of_scope"),
        end_reason=url_problem if url_problem else (
            None if in_scope else f"visibility {payload.visibility!r} is not scanned by settings"
        ),
        ended_at=None if in_scope else utcnow(),
        tier=tier.label,
        prior=info or None,
        started_at=started_at,
        frames_analysed=0,
        frames_dropped=0,
        start_event_id=event_id,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    if tier > Tier.T0:
        summary = _prior_summary(tier, info)
        session.add(
            StreamEscalationRow(
                session_id=row.id,
                from_tier="T0",
                to_tier=tier.label,
                rule="session_prior",
                summary=summary,
                stream_time_s=None,
                explanation={"from_tier": "T0", "to_tier": tier.label, "rule": "session_prior",
                             "summary": summary, "prior": info},
                at=now,
            )
        )
        if tier >= Tier.T2:
            from firstlight.streams.sink import open_review_case

            open_review_case(session, row, summary=summary, explanation={"prior": info})
    from firstlight.audit import record

    record(session, actor="system:streams", action="stream.start", object_type="stream",
           object_id=row.stream_id, details={"ingest": row.ingest, "tier": row.tier,
                                             "visibility": row.visibility, "paid": row.paid,
                                             "status": row.status})
    if in_scope:
        _after_commit(session, lambda: _notify_worker(session, row.stream_id))
    return row


def end_stream(session: Session, stream_id: str, *, reason: str = "ended") -> StreamSessionRow:
    """The platform ended the session: stop reading it; frames already queued are still analysed."""
    row = _row(session, stream_id)
    if row.status == "live":
        row.status = "ended"
        row.end_reason = reason[:200]
        row.ended_at = utcnow()
        row.updated_at = row.ended_at
        _after_commit(session, lambda: _end_on_worker(session, stream_id, reason))
    return row


def get_stream(session: Session, stream_id: str) -> StreamState:
    row = _row(session, stream_id)
    escalations = list(
        session.scalars(
            select(StreamEscalationRow)
            .where(StreamEscalationRow.session_id == row.id)
            .order_by(StreamEscalationRow.id)
        )
    )
    from firstlight.streams.engine import local_snapshot

    return StreamState(row=row, escalations=escalations, live=local_snapshot(session, stream_id))


def list_streams(
    session: Session, *, status: str | None = None, tier: str | None = None, limit: int = 100
) -> list[StreamSessionRow]:
    if not 1 <= limit <= 1000:
        raise Invalid("limit must be between 1 and 1000")
    q = select(StreamSessionRow).order_by(StreamSessionRow.id.desc()).limit(limit)
    if status:
        q = q.where(StreamSessionRow.status == status)
    if tier:
        q = q.where(StreamSessionRow.tier == Tier.parse(tier).label)
    return list(session.scalars(q))


def push_media(db: Any, stream_id: str, data: bytes, *, offset_seconds: float | None = None) -> int:
    """Hand a pushed frame or segment to this process's worker; returns the frames queued for analysis.

    Frames are transient samples, not events: they are not stored (what matches is preserved as
    evidence). A session that is live in the database but not on this worker (after a restart) is
    adopted here first.
    """
    from firstlight.streams.engine import adopt, get_worker

    if offset_seconds is not None and offset_seconds < 0:
        raise Invalid("offset_seconds must be ≥ 0")
    worker = get_worker(db)
    if stream_id not in worker:
        with db.session() as session:
            row = _row(session, stream_id)
            if row.status != "live":
                raise Conflict(f"stream {stream_id!r} is {row.status}", code="stream_not_live")
            if row.ingest != "push":
                raise Conflict(f"stream {stream_id!r} is pulled from its URL; it takes no pushes")
            adopt(db, worker, row)
    return worker.push(stream_id, data, offset_seconds=offset_seconds)


# --- helpers ---------------------------------------------------------------------------------------------


def _row(session: Session, stream_id: str) -> StreamSessionRow:
    row = session.scalar(select(StreamSessionRow).where(StreamSessionRow.stream_id == stream_id))
    if row is None:
        raise NotFound(f"no stream {stream_id!r}")
    return row


def _after_commit(session: Session, fn: Any) -> None:
    def run(_session: Session) -> None:
        try:
            fn()
        except Exception:
            log.exception("streams: post-commit step failed")

    sa_event.listen(session, "after_commit", run, once=True)


def _notify_worker(session: Session, stream_id: str) -> None:
    from firstlight.streams.engine import on_started

    on_started(session.get_bind(), stream_id)


def _end_on_worker(session: Session, stream_id: str, reason: str) -> None:
    from firstlight.streams.engine import on_ended

    on_ended(session.get_bind(), stream_id, reason)
