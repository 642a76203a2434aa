"""Livestream monitoring: catch abuse in the first seconds of a stream.

A session starts with ``stream.start`` and is read one of two ways: *pull* (Firstlight opens the stream URL —
RTMP, HLS, RTSP, SRT, a file — with PyAV) or *push* (the platform posts sampled frames or media segments to
``POST /v1/streams/{id}/frames``). Every sampled frame is hashed with PDQ (and its 8 rotations/flips) and
matched against the banks; a rolling vPDQ window finds known video segments; optional frame classifiers add
weak signals. The tier machine turns findings into explained escalations: T0 keyframes → T1 denser sampling
→ T2 a case with preserved frames → T3 end the stream through the webhook, restrict accounts, open a report
task. See ``docs/livestreams.md``.

Public interface:

- services (``firstlight.streams.service``): ``start_stream``, ``end_stream``, ``get_stream``,
  ``list_streams``, ``push_media``;
- the worker: ``StreamWorker``, ``WorkerConfig``, ``get_worker(db)`` (this process's worker for a database),
  ``supervise(db)`` (one pass of the supervisor job);
- the pure parts: ``Tier``, ``TierMachine``, ``TierPolicy``, ``Observation``, ``Escalation``,
  ``StreamContext``; ``PullReader``/``PullOptions``; ``PushDecoder``; ``FrameAnalyser``,
  ``FrameMatcher`` (``BankFrameMatcher``, ``StaticFrameMatcher``); ``SampledFrame``, ``FrameSampler``.
"""

from firstlight.streams.analysis import FrameAnalyser, FrameFindings, FrameMatch, FrameMatcher, NullMatcher
from firstlight.streams.engine import get_worker, shutdown_workers, supervise
from firstlight.streams.matching import BankFrameMatcher, StaticFrameMatcher
from firstlight.streams.models import StreamEscalationRow, StreamSessionRow
from firstlight.streams.pull import PullClosed, PullOptions, PullReader
from firstlight.streams.push import PushDecoder, PushLimits
from firstlight.streams.sampling import FrameSampler, SampledFrame
from firstlight.streams.service import (
    StreamState,
    end_stream,
    get_stream,
    list_streams,
    push_media,
    start_stream,
)
from firstlight.streams.tiers import (
    Escalation,
    Observation,
    StreamContext,
    Tier,
    TierMachine,
    TierPolicy,
    report_priority,
)
from firstlight.streams.worker import NullSink, StreamSink, StreamWorker, WorkerConfig

__all__ = [
    "BankFrameMatcher",
    "Escalation",
    "FrameAnalyser",
    "FrameFindings",
    "FrameMatch",
    "FrameMatcher",
    "FrameSampler",
    "NullMatcher",
    "NullSink",
    "Observation",
    "PullClosed",
    "PullOptions",
    "PullReader",
    "PushDecoder",
    "PushLimits",
    "SampledFrame",
    "StaticFrameMatcher",
    "StreamContext",
    "StreamEscalationRow",
    "StreamSessionRow",
    "StreamSink",
    "StreamState",
    "StreamWorker",
    "Tier",
    "TierMachine",
    "TierPolicy",
    "WorkerConfig",
    "end_stream",
    "get_stream",
    "get_worker",
    "list_streams",
    "push_media",
    "report_priority",
    "shutdown_workers",
    "start_stream",
    "supervise",
]
