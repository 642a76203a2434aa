"""The real server: `firstlight serve` answers, keeps accepted events across a kill -9, and runs the same
on PostgreSQL after `firstlight db upgrade`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from firstlight.store import normalise_url

pytestmark = pytest.mark.e2e
CLI = [sys.executable, "-c", "from firstlight.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"server exited: {process.stderr.read().decode()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not start in 60 s")
        yield base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def create_key(env: dict[str, str], *scopes: str) -> str:
    args = [a for s in scopes for a in ("--scope", s)]
    result = subprocess.run([*CLI, "keys", "create", *args], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


EVENT = {
    "id": "evt-upload-1",
    "type": "upload",
    "payload": {"content_id": "c-1", "account_id": "u-1", "media_url": "https://example.org/a.jpg"},
}


def exercise(env: dict[str, str]) -> None:
    token = create_key(env, "events:write")
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    with serving(env, port) as base:
        assert httpx.get(f"{base}/docs").status_code == 200
        assert httpx.get(f"{base}/readyz").status_code == 200
        first = httpx.post(f"{base}/v1/events", json=EVENT, headers=headers)
        assert first.status_code == 202, first.text
        # killed at once, no graceful shutdown
    with serving(env, port) as base:
        again = httpx.post(f"{base}/v1/events", json=EVENT, headers=headers)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        stored = httpx.get(f"{base}/v1/events/evt-upload-1", headers=headers)
        assert stored.status_code == 200
        assert stored.json()["payload"]["content_id"] == "c-1"
        listed = httpx.get(f"{base}/v1/events", headers=headers).json()
        assert [e["id"] for e in listed] == ["evt-upload-1"]
        assert httpx.post(f"{base}/v1/events", json=EVENT).status_code == 401


def test_event_survives_kill_on_embedded_sqlite(tmp_path: Path) -> None:
    env = {**os.environ, "FIRSTLIGHT_DATA_DIR": str(tmp_path / "data")}
    env.pop("FIRSTLIGHT_DATABASE_URL", None)
    exercise(env)
    assert (tmp_path / "data" / "firstlight.db").exists()


def test_same_server_runs_on_postgres_after_db_upgrade(tmp_path: Path) -> None:
    url = os.environ.get("FIRSTLIGHT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FIRSTLIGHT_TEST_DATABASE_URL is not set")
    schema = f"fl_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in url else "?"
        env = {
            **os.environ,
            "FIRSTLIGHT_DATA_DIR": str(tmp_path / "data"),
            "FIRSTLIGHT_DATABASE_URL": f"{url}{sep}options=-csearch_path%3D{schema}",
        }
        refused = subprocess.run([*CLI, "keys", "list"], env=env, capture_output=True, text=True)
        assert refused.returncode == 2 and "firstlight db upgrade" in refused.stderr
        upgraded = subprocess.run([*CLI, "db", "upgrade"], env=env, capture_output=True, text=True)
        assert upgraded.returncode == 0, upgraded.stderr
        exercise(env)
        with admin.connect() as connection:
            count = connection.execute(text(f'SELECT count(*) FROM "{schema}".events')).scalar()
        assert count == 1
        assert not (tmp_path / "data" / "firstlight.db").exists()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
