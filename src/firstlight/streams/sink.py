"""What an escalation does, durably: the database sink of the stream worker.

One transaction per escalation records the escalation row, updates the session's live state, and for

- **T2**: preserves the frame in the evidence vault and adds it to the streamer's case (the review queue);
- **T3**: the same, then queues ``end_stream`` and ``restrict_account`` webhook actions in the outbox,
  opens a report task (P1 when a child is at imminent risk, see ``tiers.report_priority``) and marks the
  session ``actioned``.

After it commits, the outbox is delivered at once in the background (the periodic outbox job is the
backstop), so the platform hears "end this stream" within the same second. Every action carries the
escalation's explanation: which rule, which signals, which bank entry at what distance, at what stream time.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from firstlight.store.db import utcnow
from firstlight.streams.analysis import FrameFindings
from firstlight.streams.models import StreamEscalationRow, StreamSessionRow
from firstlight.streams.runtime import LiveSession
from firstlight.streams.sampling import SampledFrame
from firstlight.streams.tiers import Escalation, Tier, accounts_to_restrict, report_priority

__all__ = ["DatabaseSink", "open_review_case"]

log = logging.getLogger(__name__)

ACTOR = "system:streams"


def _content_id(stream_id: str, stream_time: float | None) -> str:
    return f"stream:{stream_id}" if stream_time is None else f"stream:{stream_id}@{stream_time:.3f}s"


def open_review_case(
    session: Session,
    row: StreamSessionRow,
    *,
    summary: str,
    explanation: dict[str, Any],
    outcome: str = "review",
    evidence: Any = None,
    stream_time: float | None = None,
    signals: list[dict[str, Any]] | None = None,
    rule: str = "session_prior",
    severity: int = 2,
    likelihood: float = 0.5,
) -> int:
    """Add an item about this session to the streamer's case (opening one); returns the case id."""
    from firstlight.cases import NewCaseItem, open_or_update_case

    case = open_or_update_case(
        session,
        subject_account=row.streamer_account,
        item=NewCaseItem(
            outcome=outcome,
            content_id=_content_id(row.stream_id, stream_time),
            event_id=row.start_event_id,
            evidence_id=None if evidence is None else evidence.id,
            source="livestream",
            surface=row.visibility,
            media_type=None if evidence is None else "image/jpeg",
            sha256=None if evidence is None else evidence.sha256,
            md5=None if evidence is None else evidence.md5,
            signals=list(signals or []),
            rule=rule,
            severity=severity,
            likelihood=likelihood,
            reach=len(row.viewer_accounts or []),
            explanation={"summary": summary, **explanation},
            context=_context(row, stream_time),
        ),
        actor=ACTOR,
    )
    row.case_id = case.id
    return case.id


def _context(row: StreamSessionRow, stream_time: float | None) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "stream_id": row.stream_id,
        "streamer_account": row.streamer_account,
        "viewer_accounts": list(row.viewer_accounts or []),
        "visibility": row.visibility,
        "paid": row.paid,
        "countries": dict(row.countries or {}),
        "stream_started_at": row.started_at.isoformat(),
        "annotations": ["live_streaming"],
    }
    if stream_time is not None:
        ctx["stream_time_s"] = round(stream_time, 3)
    return ctx


class DatabaseSink:
    """Records escalations and their actions (see the module docstring)."""

    def __init__(self, db: Any, settings: Any = None, *, deliver: bool = True) -> None:
        self.db = db
        self.settings = settings
        self.deliver = deliver
        self._vault = None
        self._delivering = threading.Lock()
        self._redeliver = False

    @property
    def vault(self) -> Any:
        if self._vault is None:
            from firstlight.config import get_settings
            from firstlight.evidence import Vault

            self._vault = Vault.open(self.settings or get_settings())
        return self._vault

    # --- StreamSink ----------------------------------------------------------------------------------------

    def escalated(
        self, live: LiveSession, escalation: Escalation, frame: SampledFrame | None,
        findings: FrameFindings | None,
    ) -> None:
        acted = False
        with self.db.begin() as session:
            row = self._row(session, live)
            self._update(row, live)
            row.tier = escalation.to_tier.label
            explanation = {
                **escalation.explanation(),
                "stream_id": live.stream_id,
                "ingest": live.ingest,
            }
            if escalation.is_alert and row.first_alert_at is None and live.first_alert_at is not None:
                row.first_alert_at = live.first_alert_at
                row.time_to_first_alert_s = round(live.seconds_since_start(live.first_alert_at), 3)
                row.first_alert_stream_time_s = live.first_alert_stream_time
            actions: dict[str, Any] = {}
            if escalation.to_tier >= Tier.T2:
                evidence = self._preserve(session, row, live, frame, findings)
                actions["evidence_id"] = None if evidence is None else evidence.id
                explanation["evidence_id"] = actions["evidence_id"]
                t3 = escalation.to_tier >= Tier.T3
                actions["case_id"] = open_review_case(
                    session, row, summary=escalation.summary, explanation=explanation,
                    outcome="act" if t3 else "review", evidence=evidence,
                    stream_time=escalation.stream_time,
                    signals=[] if findings is None else findings.signals(),
                    rule=f"stream.{escalation.rule}", severity=3 if t3 else 2,
                    likelihood=1.0 if t3 else 0.5,
                )
                explanation["case_id"] = actions["case_id"]
                if t3:
                    actions.update(self._act(session, row, live, escalation, explanation))
                    acted = True
            session.add(
                StreamEscalationRow(
                    session_id=row.id,
                    from_tier=escalation.from_tier.label,
                    to_tier=escalation.to_tier.label,
                    rule=escalation.rule,
                    summary=escalation.summary,
                    stream_time_s=escalation.stream_time,
                    explanation=_jsonable(explanation),
                    actions=actions or None,
                    at=utcnow(),
                )
            )
            from firstlight.audit import record

            record(session, actor=ACTOR, action="stream.escalate", object_type="stream",
                   object_id=live.stream_id,
                   details={"from": escalation.from_tier.label, "to": escalation.to_tier.label,
                            "rule": escalation.rule, "summary": escalation.summary, **actions})
        if acted and self.deliver:
            self.deliver_soon()

    def preserve(self, live: LiveSession, frame: SampledFrame, findings: FrameFindings) -> None:
        """A further frame of a session under review: preserved and added to its case."""
        with self.db.begin() as session:
            row = self._row(session, live)
            self._update(row, live)
            evidence = self._preserve(session, row, live, frame, findings)
            open_review_case(
                session, row, summary=f"frame at {frame.stream_time:.1f} s of a session under review",
                explanation={"tier": live.tier.label}, evidence=evidence,
                stream_time=frame.stream_time, signals=findings.signals(),
                rule="stream.preserve_under_review",
            )

    def progress(self, live: LiveSession) -> None:
        with self.db.begin() as session:
            self._update(self._row(session, live), live)

    def closed(self, live: LiveSession) -> None:
        with self.db.begin() as session:
            row = self._row(session, live)
            self._update(row, live)
            reason = live.close_reason or "ended"
            if row.status == "live" and reason == "shutdown" and live.tier < Tier.T3:
                pass  # this process is stopping, not the stream: stays live for the next worker to adopt
            elif row.status == "live":
                row.status = "actioned" if live.tier >= Tier.T3 else (
                    reason if reason in ("stalled", "invalid", "open_failed", "error") else "ended"
                )
                row.end_reason = row.end_reason or reason
                row.ended_at = row.ended_at or utcnow()
            elif row.status == "actioned" and row.end_reason is None:
                row.end_reason = live.close_reason
            row.worker_id = None

    # --- helpers -------------------------------------------------------------------------------------------

    def _row(self, session: Session, live: LiveSession) -> StreamSessionRow:
        if live.row_id is not None:
            row = session.get(StreamSessionRow, live.row_id)
        else:
            from sqlalchemy import select

            row = session.scalar(
                select(StreamSessionRow).where(StreamSessionRow.stream_id == live.stream_id)
            )
        if row is None:
            raise LookupError(f"stream {live.stream_id!r} has no session row")
        live.row_id = row.id
        return row

    def _update(self, row: StreamSessionRow, live: LiveSession) -> None:
        row.frames_analysed = max(row.frames_analysed, live.frames_analysed)
        row.frames_dropped = max(row.frames_dropped, live.frames_dropped)
        if live.last_findings is not None:
            row.last_frame_time_s = round(live.last_findings.stream_time, 3)
            row.last_signals = _jsonable(live.last_findings.signals())
        row.updated_at = utcnow()

    def _preserve(
        self, session: Session, row: StreamSessionRow, live: LiveSession, frame: SampledFrame | None,
        findings: FrameFindings | None,
    ) -> Any:
        if frame is None:
            return None
        from firstlight.evidence import preserve

        metadata = {
            **_context(row, frame.stream_time),
            "ingest": live.ingest,
            "frame_width": frame.width,
            "frame_height": frame.height,
            "keyframe": frame.keyframe,
            "source": "platform-sent JPEG" if frame.source_jpeg else "decoded frame, JPEG q92",
            "signals": [] if findings is None else findings.signals(),
        }
        return preserve(
            session, self.vault, frame.evidence_jpeg(), metadata=_jsonable(metadata), actor=ACTOR,
            media_type="image/jpeg", subject_account=row.streamer_account,
            content_id=_content_id(row.stream_id, frame.stream_time), event_id=row.start_event_id,
        )

    def _act(
        self, session: Session, row: StreamSessionRow, live: LiveSession, escalation: Escalation,
        explanation: dict[str, Any],
    ) -> dict[str, Any]:
        from firstlight.decide import enqueue_action
        from firstlight.reports import open_report_task

        case_id = row.case_id
        action_ids = []
        end = enqueue_action(
            session, kind="end_stream",
            target={"stream_id": row.stream_id, "streamer_account": row.streamer_account},
            explanation=explanation, event_id=row.start_event_id,
            idempotency_key=f"stream:{row.stream_id}:end_stream", case_id=case_id,
            accepted_at=row.started_at,
        )
        action_ids.append(end.id)
        restricted = accounts_to_restrict(live.context, live.machine.policy)
        for account in restricted:
            a = enqueue_action(
                session, kind="restrict_account",
                target={"account_id": account, "stream_id": row.stream_id,
                        "role": "streamer" if account == row.streamer_account else "viewer"},
                explanation=explanation, event_id=row.start_event_id,
                idempotency_key=f"stream:{row.stream_id}:restrict:{account}", case_id=case_id,
                accepted_at=row.started_at,
            )
            action_ids.append(a.id)
        priority = report_priority(live.context, escalation, live.machine.policy)
        task = open_report_task(
            session, case_id=case_id, priority=priority,
            reason=f"livestream {row.stream_id}: {escalation.summary}",
            detected_by="hash_match", actor=ACTOR,
        )
        row.report_task_id = task.id
        row.status = "actioned"
        row.end_reason = "ended through the platform webhook"
        row.ended_at = utcnow()
        return {
            "action_ids": action_ids,
            "restricted_accounts": restricted,
            "report_task_id": task.id,
            "report_priority": priority,
        }

    def deliver_soon(self) -> None:
        """Deliver the outbox now, in the background (one pass at a time; a pass asked for while one
        runs is run right after it)."""

        def run() -> None:
            from firstlight.decide import deliver_due

            while True:
                self._redeliver = False
                try:
                    deliver_due(self.db, self.settings)
                except Exception:
                    log.exception("streams: outbox delivery failed (the periodic job will retry)")
                if not self._redeliver:
                    break
            self._delivering.release()

        if not self._delivering.acquire(blocking=False):
            self._redeliver = True
            return
        threading.Thread(target=run, name="streams-deliver", daemon=True).start()


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
