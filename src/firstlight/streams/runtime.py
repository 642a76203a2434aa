"""The in-memory side of a live session: its bounded frame queue, tier machine, analyser and counters.

Backpressure: each session's queue holds at most ``maxsize`` frames. Pull ingest of a live stream drops the
*oldest* waiting frame when the queue is full (a live monitor wants the newest picture; every drop is counted
per session and in Prometheus); pull ingest of a file waits for room instead, since a file can be read more
slowly. Push ingest refuses instead (HTTP 503 with ``Retry-After``), so the platform knows to
slow down or sample less; nothing it was told we accepted is dropped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from firstlight.store.db import utcnow
from firstlight.streams.analysis import FrameAnalyser, FrameFindings
from firstlight.streams.push import PushDecoder
from firstlight.streams.sampling import SampledFrame
from firstlight.streams.tiers import StreamContext, Tier, TierMachine

__all__ = ["FrameQueue", "LiveSession", "QueueFull"]


class QueueFull(Exception):
    """A push-ingest frame was refused because the session's queue is full."""


class FrameQueue:
    """A small bounded FIFO of sampled frames, safe across the reader and analysis threads."""

    def __init__(self, maxsize: int = 8) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: deque[SampledFrame] = deque()
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)

    def put(
        self,
        frame: SampledFrame,
        *,
        when_full: Literal["drop_oldest", "refuse", "block"],
        stop: threading.Event | None = None,
    ) -> int:
        """Add a frame; returns how many older frames were dropped to make room. ``block`` waits for room
        (a file can be read more slowly; a live stream cannot) until ``stop`` is set."""
        with self._lock:
            dropped = 0
            while len(self._items) >= self.maxsize:
                if when_full == "refuse":
                    raise QueueFull
                if when_full == "block" and not (stop is not None and stop.is_set()):
                    self._room.wait(0.2)
                    continue
                self._items.popleft().release()
                dropped += 1
            self._items.append(frame)
            return dropped

    def put_all(self, frames: list[SampledFrame]) -> None:
        """Add every frame or none (push ingest): refused when they do not fit beside what is queued.
        An empty queue takes one post whatever its size, so a post larger than the queue is not refused
        forever (the push decoder bounds a post's sampled frames)."""
        with self._lock:
            if self._items and len(self._items) + len(frames) > self.maxsize:
                raise QueueFull
            self._items.extend(frames)

    def room(self) -> int:
        with self._lock:
            return self.maxsize - len(self._items)

    def pop(self) -> SampledFrame | None:
        with self._lock:
            if not self._items:
                return None
            self._room.notify()
            return self._items.popleft()

    def clear(self) -> int:
        with self._lock:
            n = len(self._items)
            for frame in self._items:
                frame.release()
            self._items.clear()
            self._room.notify_all()
            return n

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass
class LiveSession:
    """One session as the worker runs it."""

    context: StreamContext
    machine: TierMachine
    analyser: FrameAnalyser
    ingest: Literal["pull", "push"]
    url: str | None = None
    row_id: int | None = None
    start_event_id: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    queue: FrameQueue = field(default_factory=FrameQueue)
    push_decoder: PushDecoder = field(default_factory=PushDecoder)
    stop: threading.Event = field(default_factory=threading.Event)
    frames_analysed: int = 0
    frames_dropped: int = 0
    preserved: int = 0
    last_findings: FrameFindings | None = None
    first_alert_at: datetime | None = None
    first_alert_stream_time: float | None = None
    input_closed: bool = False
    close_reason: str | None = None
    closed: bool = False
    last_flush: float = 0.0
    reader_stats: dict[str, Any] = field(default_factory=dict)
    analysis_lock: threading.Lock = field(default_factory=threading.Lock)
    scheduled: bool = False
    opened_mono: float = field(default_factory=time.monotonic)

    @property
    def stream_id(self) -> str:
        return self.context.stream_id

    @property
    def tier(self) -> Tier:
        return self.machine.tier

    def want_fps(self) -> float | None:
        """Keyframes only at T0; the policy's fps from T1 (read by the reader before every packet)."""
        return None if self.machine.tier == Tier.T0 else self.machine.policy.t1_fps

    def seconds_since_start(self, now: datetime | None = None) -> float:
        return ((now or utcnow()) - self.started_at).total_seconds()

    def snapshot(self) -> dict[str, Any]:
        """The live state as the API shows it."""
        last = self.last_findings
        return {
            "stream_id": self.stream_id,
            "ingest": self.ingest,
            "tier": self.tier.label,
            "frames_analysed": self.frames_analysed,
            "frames_dropped": self.frames_dropped,
            "queued": len(self.queue),
            "last_frame_time_s": None if last is None else round(last.stream_time, 3),
            "last_signals": None if last is None else last.signals(),
            "closed": self.closed,
            "close_reason": self.close_reason,
        }
