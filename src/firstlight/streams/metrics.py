"""Prometheus metrics of livestream monitoring (exported at ``/metrics`` with the rest).

The same figures are kept per session in ``stream_sessions`` (frames analysed and dropped, time to first
alert, the stream time of the alerting frame), so one stream can be examined after the fact.
"""

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ESCALATIONS",
    "FRAMES_ANALYSED",
    "FRAMES_DROPPED",
    "FRAME_SECONDS",
    "SESSIONS_CLOSED",
    "STREAMS_ACTIVE",
    "TIME_TO_FIRST_ALERT",
]

STREAMS_ACTIVE = Gauge(
    "firstlight_streams_active", "Live sessions this worker is monitoring", ["ingest"]
)
FRAMES_ANALYSED = Counter(
    "firstlight_stream_frames_analysed_total", "Sampled frames analysed", ["ingest", "tier"]
)
FRAMES_DROPPED = Counter(
    "firstlight_stream_frames_dropped_total",
    "Sampled frames dropped or refused because a session's queue was full",
    ["ingest"],
)
FRAME_SECONDS = Histogram(
    "firstlight_stream_frame_analysis_seconds",
    "Time to hash, match and classify one sampled frame",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
TIME_TO_FIRST_ALERT = Histogram(
    "firstlight_stream_time_to_first_alert_seconds",
    "From stream start to its first alert (T2 or T3)",
    ["tier"],
    buckets=(0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900),
)
ESCALATIONS = Counter(
    "firstlight_stream_escalations_total", "Tier escalations", ["to_tier", "rule"]
)
SESSIONS_CLOSED = Counter(
    "firstlight_stream_sessions_closed_total", "Sessions closed, by reason", ["reason"]
)
