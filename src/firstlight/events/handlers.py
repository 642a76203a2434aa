"""Where rooms attach processing to event types.

A handler is ``fn(session, event) -> None``. It runs inside the transaction that marks the event processed,
so its database effects and the "processed" flag commit together (exactly once); effects outside the
database (webhooks, reports) go through a durable outbox. A handler that raises leaves the event pending,
to be retried with backoff.

Rooms register handlers at import time of their handler module and list that module in
``HANDLER_MODULES`` below, so ``serve``, the CLI and tests all load the same set.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy.orm import Session

from firstlight.events.models import StoredEvent
from firstlight.events.schema import EVENT_TYPES

__all__ = ["HANDLER_MODULES", "Handler", "handlers_for", "load_handler_modules", "register"]

Handler = Callable[[Session, StoredEvent], None]

# Rooms add their handler module here (one line each).
HANDLER_MODULES: list[str] = [
    "firstlight.detect.handlers",
    "firstlight.intake.handler",
    "firstlight.streams.handlers",
    "firstlight.reports.handlers",
]

_handlers: dict[str, list[Handler]] = defaultdict(list)
_loaded = False


def register(event_type: str, handler: Handler) -> Handler:
    """Attach ``handler`` to ``event_type`` (idempotent; usable as a plain call)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)
    return handler


def unregister(event_type: str, handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def handlers_for(event_type: str) -> list[Handler]:
    load_handler_modules()
    return list(_handlers[event_type])


def load_handler_modules() -> None:
    """Import every module in ``HANDLER_MODULES`` once, so their ``register`` calls run."""
    global _loaded
    if _loaded:
        return
    for name in HANDLER_MODULES:
        importlib.import_module(name)
    _loaded = True
