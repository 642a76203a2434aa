"""Events from the platform: the typed envelope, durable idempotent acceptance, and the worker that runs
each room's handlers."""

from firstlight.events.handlers import HANDLER_MODULES, handlers_for, register
from firstlight.events.models import StoredEvent
from firstlight.events.schema import EVENT_TYPES, EventEnvelope, validate_payload
from firstlight.events.service import Accepted, accept, get_event, list_events
from firstlight.events.worker import PassSummary, Worker, process_pending, register_job

__all__ = [
    "EVENT_TYPES",
    "HANDLER_MODULES",
    "Accepted",
    "EventEnvelope",
    "PassSummary",
    "StoredEvent",
    "Worker",
    "accept",
    "get_event",
    "handlers_for",
    "list_events",
    "process_pending",
    "register",
    "register_job",
    "validate_payload",
]
