"""A real ``firstlight serve`` in a subprocess for the upload-pipeline end-to-end and crash-safety tests.

The database is prepared in-process first (migrations, a ``block`` bank of benign stand-ins, API keys),
then the server runs on a free loopback port with its own data directory. ``kill9()`` is a real SIGKILL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from firstlight import banks
from firstlight.auth import create_key
from firstlight.store import Database, upgrade

CLI = [sys.executable, "-c", "from firstlight.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data_dir: Path, known: list[bytes], *, bank: str = "standins") -> dict[str, dict[str, str]]:
    """Migrate a fresh SQLite database, load ``known`` into a block bank, and return key headers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{data_dir / 'firstlight.db'}")
    upgrade(db)
    headers = {}
    with db.begin() as s:
        banks.create_bank(s, bank, "block", description="benign stand-ins for tests")
        for i, data in enumerate(known):
            banks.add_media_to_bank(s, bank, data, source="e2e", category_iwf="A", original_id=f"k{i}")
        for name, scopes in {"platform": ["events:write"], "reviewer": ["cases:review"],
                             "admin": ["admin"]}.items():
            token = create_key(s, name=name, scopes=scopes, actor="test").token
            headers[name] = {"Authorization": f"Bearer {token}"}
    db.dispose()
    return headers


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str]):
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {**os.environ, "FIRSTLIGHT_DATA_DIR": str(data_dir),
                    "FIRSTLIGHT_WORKER_POLL_SECONDS": "0.1", **env}
        self.env.pop("FIRSTLIGHT_DATABASE_URL", None)
        self.env.pop("FIRSTLIGHT_CONFIG", None)
        self.proc: subprocess.Popen | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=self.data_dir,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill9()


def wait_for(predicate, *, timeout: float, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
