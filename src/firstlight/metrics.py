"""Prometheus metrics shared across rooms (exported at ``/metrics``). Rooms may define their own too."""

from prometheus_client import Counter, Histogram

__all__ = ["EVENTS_ACCEPTED", "EVENTS_DUPLICATE", "HTTP_LATENCY"]

EVENTS_ACCEPTED = Counter(
    "firstlight_events_accepted_total", "Events stored durably", ["type"]
)
EVENTS_DUPLICATE = Counter(
    "firstlight_events_duplicate_total", "Retried events acknowledged without storing again", ["type"]
)
HTTP_LATENCY = Histogram(
    "firstlight_http_request_seconds",
    "HTTP request latency by route template and status class",
    ["method", "route", "status"],
)
