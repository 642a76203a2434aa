from __future__ import annotations

import pytest


@pytest.fixture
def stream_env(db, settings):
    """This process's stream worker for ``db``, using the test's settings (vault in a temp folder)."""
    from firstlight.streams.engine import get_worker, shutdown_workers

    shutdown_workers()
    worker = get_worker(db, settings)
    yield worker
    shutdown_workers()
