"""The stream worker: many live sessions in one process, with bounded queues and fair analysis.

Threads: one reader per *pulled* stream (network reads block; PyAV decodes with the GIL released) and a
small pool of analysis threads (``analysis_threads``, default 1: hashing is CPU-bound, so scale out with one
worker process per core). Sessions with frames waiting take turns, one frame each, so one busy stream
cannot starve the others; one session's frames are always analysed in order, one at a time, which is what
lets its tier machine stay single-threaded.

Limits: at most ``max_streams`` sessions (more are refused with 503, so a load balancer can send the stream
to another worker); each session's queue is bounded (see :mod:`firstlight.streams.runtime`); every read is
time-bounded (see :mod:`firstlight.streams.pull`). A stream that stalls, ends or sends garbage is closed and
its reason recorded; nothing in one session can take the worker down.

What happens on an escalation is the sink's business (:class:`StreamSink`): the database sink records it,
opens the case, preserves frames and queues the webhook actions; ``firstlight watch`` adds a printer.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from firstlight.detect.frames import FrameClassifier
from firstlight.errors import Conflict, NotFound, Unavailable
from firstlight.store.db import utcnow
from firstlight.streams import metrics
from firstlight.streams.analysis import FrameAnalyser, FrameFindings, FrameMatcher, NullMatcher
from firstlight.streams.pull import PullClosed, PullOptions, PullReader
from firstlight.streams.runtime import FrameQueue, LiveSession, QueueFull
from firstlight.streams.sampling import SampledFrame
from firstlight.streams.tiers import Escalation, Observation, StreamContext, Tier, TierMachine, TierPolicy

__all__ = ["NullSink", "StreamSink", "StreamWorker", "WorkerConfig"]

log = logging.getLogger(__name__)


class StreamSink(Protocol):
    """Where a session's outcomes go. ``escalated`` must be durable before it returns; if it raises, the
    escalation is undone and the next frame that shows the same thing escalates again."""

    def escalated(
        self, live: LiveSession, escalation: Escalation, frame: SampledFrame | None,
        findings: FrameFindings | None,
    ) -> None: ...

    def preserve(self, live: LiveSession, frame: SampledFrame, findings: FrameFindings) -> None: ...

    def progress(self, live: LiveSession) -> None: ...

    def closed(self, live: LiveSession) -> None: ...


class NullSink:
    """Keeps nothing (benchmarks, and tests of the worker alone)."""

    def escalated(self, live, escalation, frame, findings) -> None:  # type: ignore[no-untyped-def]
        return None

    def preserve(self, live, frame, findings) -> None:  # type: ignore[no-untyped-def]
        return None

    def progress(self, live) -> None:  # type: ignore[no-untyped-def]
        return None

    def closed(self, live) -> None:  # type: ignore[no-untyped-def]
        return None


@dataclass(frozen=True)
class WorkerConfig:
    max_streams: int = 64
    queue_size: int = 8
    analysis_threads: int = 1
    progress_every_s: float = 2.0
    pull: PullOptions = PullOptions()
    policy: TierPolicy = TierPolicy()
    min_quality: int = 50
    near_margin: int = 16


class StreamWorker:
    """Runs live sessions. Thread-safe; ``shutdown()`` stops every thread it started."""

    def __init__(
        self,
        sink: StreamSink | None = None,
        *,
        config: WorkerConfig | None = None,
        matcher: FrameMatcher | Callable[[], FrameMatcher] | None = None,
        classifiers: Sequence[FrameClassifier] = (),
        worker_id: str | None = None,
    ) -> None:
        self.sink: StreamSink = sink or NullSink()
        self.config = config or WorkerConfig()
        self._matcher = matcher or NullMatcher()
        self.classifiers = list(classifiers)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self) & 0xFFFF:x}"
        self._sessions: dict[str, LiveSession] = {}
        self._lock = threading.Lock()
        self._ready: queue.Queue[str] = queue.Queue()
        self._shutdown = threading.Event()
        self._readers: dict[str, threading.Thread] = {}
        self._idle = threading.Condition()
        self._busy = 0
        self._analysers = [
            threading.Thread(target=self._analysis_loop, name=f"streams-analysis-{i}", daemon=True)
            for i in range(max(1, self.config.analysis_threads))
        ]
        for thread in self._analysers:
            thread.start()

    # --- sessions ----------------------------------------------------------------------------------------

    def matcher(self) -> FrameMatcher:
        m = self._matcher
        return m() if callable(m) and not hasattr(m, "match_pdq") else m  # type: ignore[return-value]

    def open(
        self,
        context: StreamContext,
        *,
        ingest: str,
        url: str | None = None,
        start_tier: Tier = Tier.T0,
        prior: Observation | None = None,
        started_at: datetime | None = None,
        row_id: int | None = None,
        start_event_id: str | None = None,
    ) -> LiveSession:
        """Start monitoring a session (pull sessions start reading at once)."""
        if ingest not in ("pull", "push"):
            raise ValueError("ingest must be pull or push")
        if ingest == "pull" and not url:
            raise ValueError("a pull session needs a URL")
        machine = TierMachine(self.config.policy)
        if start_tier > Tier.T0:
            machine.start_from_prior(
                start_tier,
                prior
                or Observation(kind="prior", strength="weak", summary=f"starting tier {start_tier.label}"),
            )
        live = LiveSession(
            context=context,
            machine=machine,
            analyser=FrameAnalyser(
                matcher=self.matcher(),
                classifiers=self.classifiers,
                min_quality=self.config.min_quality,
                near_margin=self.config.near_margin,
            ),
            ingest=ingest,  # type: ignore[arg-type]
            url=url,
            row_id=row_id,
            start_event_id=start_event_id,
            started_at=started_at or utcnow(),
            queue=FrameQueue(self.config.queue_size),
        )
        with self._lock:
            if self._shutdown.is_set():
                raise Unavailable("the stream worker is shutting down")
            if context.stream_id in self._sessions:
                raise Conflict(f"stream {context.stream_id!r} is already being monitored")
            if len(self._sessions) >= self.config.max_streams:
                raise Unavailable(
                    f"this worker already monitors {self.config.max_streams} streams",
                    code="worker_full",
                )
            self._sessions[context.stream_id] = live
        metrics.STREAMS_ACTIVE.labels(ingest).inc()
        if ingest == "pull":
            thread = threading.Thread(
                target=self._pull_loop, args=(live,), name=f"streams-pull-{context.stream_id}", daemon=True
            )
            self._readers[context.stream_id] = thread
            thread.start()
        return live

    def get(self, stream_id: str) -> LiveSession | None:
        with self._lock:
            return self._sessions.get(stream_id)

    def sessions(self) -> list[LiveSession]:
        with self._lock:
            return list(self._sessions.values())

    def __contains__(self, stream_id: str) -> bool:
        return self.get(stream_id) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def push(self, stream_id: str, data: bytes, *, offset_seconds: float | None = None) -> int:
        """Decode a pushed frame or segment into the session's queue; returns the frames queued.

        Raises ``NotFound`` (no such live session here), ``Unavailable`` (queue full: retry later) or the
        decoder's ``Invalid``/``TooLarge``/``Unsupported``.
        """
        live = self.get(stream_id)
        if live is None or live.input_closed:
            raise NotFound(f"no live session {stream_id!r} on this worker")
        if live.queue.room() <= 0:
            live.frames_dropped += 1
            metrics.FRAMES_DROPPED.labels("push").inc()
            raise Unavailable(
                "this session's frame queue is full; retry shortly or sample less often",
                code="backpressure",
                details={"retry_after_s": 1, "queued": len(live.queue)},
            )
        with live.analysis_lock:  # the push decoder keeps per-session state
            frames = list(live.push_decoder.decode(data, offset_seconds=offset_seconds, fps=live.want_fps()))
        try:
            live.queue.put_all(frames)
        except QueueFull:
            live.frames_dropped += len(frames)
            metrics.FRAMES_DROPPED.labels("push").inc(len(frames))
            raise Unavailable(
                "this session's frame queue is full; retry shortly or sample less often",
                code="backpressure",
                details={"retry_after_s": 1, "queued": len(live.queue)},
            ) from None
        if frames:
            self._schedule(live)
        return len(frames)

    def end(self, stream_id: str, reason: str = "ended") -> bool:
        """Stop a session: no more input; what is queued is still analysed, then it closes."""
        live = self.get(stream_id)
        if live is None:
            return False
        live.close_reason = live.close_reason or reason
        live.stop.set()
        if live.ingest == "push":
            live.input_closed = True
            self._maybe_close(live)
        return True

    def raise_tier(self, stream_id: str, tier: Tier, observation: Observation) -> Escalation | None:
        """Raise a session's tier from outside its frames (in-stream session risk); capped at T2."""
        live = self.get(stream_id)
        if live is None or live.closed:
            return None
        with live.analysis_lock:
            last = live.last_findings.stream_time if live.last_findings is not None else None
            escalation = live.machine.raise_from_risk(tier, observation, stream_time=last)
            if escalation is not None:
                self._escalated(live, escalation, None, None)
        return escalation

    def wait_closed(self, stream_id: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(stream_id) is None:
                return True
            time.sleep(0.02)
        return False

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no frame is queued or being analysed (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while True:
                pending = self._busy + sum(len(s.queue) for s in self.sessions())
                if pending == 0:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, 0.05))

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop every session and thread (frames still queued are dropped, sessions closed 'shutdown')."""
        self._shutdown.set()
        for live in self.sessions():
            live.close_reason = live.close_reason or "shutdown"
            live.stop.set()
            live.input_closed = True
        deadline = time.monotonic() + timeout
        for thread in list(self._readers.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        for live in self.sessions():
            live.queue.clear()
            self._close(live)
        for _ in self._analysers:
            self._ready.put("")
        for thread in self._analysers:
            thread.join(max(0.0, deadline - time.monotonic()))

    # --- internals -----------------------------------------------------------------------------------------

    def _schedule(self, live: LiveSession) -> None:
        with self._lock:
            if live.scheduled:
                return
            live.scheduled = True
        self._ready.put(live.stream_id)

    def _pull_loop(self, live: LiveSession) -> None:
        reader = PullReader(live.url or "", options=self.config.pull, want_fps=live.want_fps, stop=live.stop)
        reason = "ended"
        url = (live.url or "").lower()
        is_file = url.startswith(("/", "file:", ".")) or "://" not in url
        when_full = "block" if is_file else "drop_oldest"
        try:
            for frame in reader.frames():
                dropped = live.queue.put(frame, when_full=when_full, stop=live.stop)
                if dropped:
                    live.frames_dropped += dropped
                    metrics.FRAMES_DROPPED.labels("pull").inc(dropped)
                self._schedule(live)
        except PullClosed as closed:
            reason = closed.reason
            if closed.message:
                log.info("stream %s closed: %s", live.stream_id, closed)
        except Exception:  # never let one stream kill the worker
            log.exception("stream %s reader failed", live.stream_id)
            reason = "error"
        finally:
            live.reader_stats = {
                "packets": reader.packets,
                "keyframes": reader.keyframes,
                "decoded": reader.decoded,
            }
            if live.close_reason is None:
                live.close_reason = reason
            live.input_closed = True
            self._maybe_close(live)
            self._readers.pop(live.stream_id, None)

    def _analysis_loop(self) -> None:
        while not self._shutdown.is_set():
            try:
                stream_id = self._ready.get(timeout=0.5)
            except queue.Empty:
                continue
            if not stream_id:
                continue
            live = self.get(stream_id)
            if live is None:
                continue
            with self._idle:
                self._busy += 1
            try:
                frame = live.queue.pop()
                if frame is not None:
                    with live.analysis_lock:
                        self._analyse(live, frame)
            except Exception:
                log.exception("analysis failed for stream %s", stream_id)
            finally:
                with self._lock:
                    again = len(live.queue) > 0 and not live.closed
                    live.scheduled = again
                if again:
                    self._ready.put(stream_id)
                else:
                    self._maybe_close(live)
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _analyse(self, live: LiveSession, frame: SampledFrame) -> None:
        if live.closed or live.tier >= Tier.T3:
            frame.release()
            return
        findings = live.analyser.analyse(frame)
        live.frames_analysed += 1
        live.last_findings = findings
        metrics.FRAMES_ANALYSED.labels(live.ingest, live.tier.label).inc()
        metrics.FRAME_SECONDS.observe(findings.seconds)
        escalation = live.machine.observe(findings.observations, stream_time=frame.stream_time)
        try:
            if escalation is not None:
                self._escalated(live, escalation, frame, findings)
            elif live.tier >= Tier.T2 and live.preserved < live.machine.policy.max_preserved_frames:
                self.sink.preserve(live, frame, findings)
                live.preserved += 1
            elif time.monotonic() - live.last_flush >= self.config.progress_every_s:
                live.last_flush = time.monotonic()
                self.sink.progress(live)
        finally:
            frame.release()
        if live.tier >= Tier.T3:
            live.close_reason = live.close_reason or "actioned"
            live.stop.set()
            live.input_closed = True
            live.queue.clear()

    def _escalated(
        self, live: LiveSession, escalation: Escalation, frame: SampledFrame | None,
        findings: FrameFindings | None,
    ) -> None:
        first_alert = escalation.is_alert and live.first_alert_at is None
        if first_alert:
            live.first_alert_at = utcnow()
            live.first_alert_stream_time = frame.stream_time if frame is not None else escalation.stream_time
        try:
            self.sink.escalated(live, escalation, frame, findings)
        except Exception:
            log.exception("stream %s: escalation to %s not recorded; will retry", live.stream_id,
                          escalation.to_tier.label)
            live.machine.tier = escalation.from_tier
            live.machine.history.remove(escalation)
            if first_alert:
                live.first_alert_at = None
                live.first_alert_stream_time = None
            return
        if escalation.to_tier >= Tier.T2:
            live.preserved += 1
        metrics.ESCALATIONS.labels(escalation.to_tier.label, escalation.rule).inc()
        if first_alert:
            metrics.TIME_TO_FIRST_ALERT.labels(escalation.to_tier.label).observe(
                live.seconds_since_start(live.first_alert_at)
            )

    def _maybe_close(self, live: LiveSession) -> None:
        if live.input_closed and not live.scheduled and len(live.queue) == 0:
            self._close(live)

    def _close(self, live: LiveSession) -> None:
        with self._lock:
            if live.closed:
                return
            live.closed = True
            self._sessions.pop(live.stream_id, None)
            if live.tier >= Tier.T3:
                live.close_reason = "actioned"
        metrics.STREAMS_ACTIVE.labels(live.ingest).dec()
        metrics.SESSIONS_CLOSED.labels(live.close_reason or "ended").inc()
        try:
            self.sink.closed(live)
        except Exception:
            log.exception("stream %s: could not record its close", live.stream_id)
