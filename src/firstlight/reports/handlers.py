"""The reports room's periodic job in the worker of ``firstlight serve``: deliver due reports, and say
loudly which tasks are overdue.

Listed in ``firstlight.events.handlers.HANDLER_MODULES`` so ``serve`` picks it up. A missing NCMEC
credential is logged (once a minute at most), never fatal: the outbox keeps every report until it can go.
"""

from __future__ import annotations

import logging
import time

from firstlight.events.worker import register_job
from firstlight.store.db import Database

__all__ = ["reports_job"]

log = logging.getLogger("firstlight.reports")
_last_warned: dict[str, float] = {}


def _warn(kind: str, message: str, *args: object) -> None:
    """Log a warning of this kind at most once a minute (the job runs every few seconds)."""
    if time.monotonic() - _last_warned.get(kind, -60.0) >= 60:
        _last_warned[kind] = time.monotonic()
        log.warning(message, *args)


def reports_job(db: Database) -> object:
    """One outbox pass, then the overdue check."""
    from firstlight.config import get_settings
    from firstlight.errors import FirstlightError
    from firstlight.reports.service import deliver_due
    from firstlight.reports.tasks import overdue

    results: list = []
    try:
        results = deliver_due(db, settings=get_settings())
    except FirstlightError as exc:
        _warn("delivery", "report delivery failed: %s", exc.message)
    waiting = [r.detail for r in results if r.state in ("pending", "opened", "failed") and r.detail]
    if waiting:
        _warn("delivery", "report delivery waiting: %s", "; ".join(sorted(set(waiting))[:5]))
    with db.session() as session:
        late = overdue(session)
    if late:
        _warn("overdue", "OVERDUE report tasks: %s",
              ", ".join(f"{t.id} ({t.priority}, case {t.case_id})" for t in late[:20]))
    return results


def _every() -> float:
    from firstlight.config import get_settings

    return float(getattr(get_settings(), "report_deliver_every_s", 15.0))


register_job("reports.outbox", reports_job, every_seconds=_every())
