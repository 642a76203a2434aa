"""A reference webhook receiver: what a platform's endpoint must do with Firstlight's actions.

It verifies the signature and timestamp, de-duplicates by ``Idempotency-Key`` (at-least-once delivery
becomes exactly-once effects), and answers 2xx only once the action is safely recorded. Used by the tests,
the crash-safety test (``fail_rate`` makes it fail at random, before recording) and
``firstlight actions receiver`` for trying an integration locally. It listens on loopback only.

Run it standalone: ``python -m firstlight.decide.receiver --port 9009 --secret s3cret --log actions.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from firstlight.decide.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

__all__ = ["Received", "WebhookReceiver"]


@dataclass
class Received:
    key: str
    body: dict[str, Any]


@dataclass
class WebhookReceiver:
    """``with WebhookReceiver(secret) as rx: ... rx.url ... rx.unique`` — a loopback action endpoint."""

    secret: str
    fail_rate: float = 0.0
    seed: int | None = None
    log_path: Path | None = None
    port: int = 0
    received: list[Received] = field(default_factory=list)
    rejected_signatures: int = 0
    failures_injected: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the receiver first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/actions"

    @property
    def unique(self) -> dict[str, dict[str, Any]]:
        """Actions by idempotency key (the first copy of each)."""
        with self._lock:
            out: dict[str, dict[str, Any]] = {}
            for r in self.received:
                out.setdefault(r.key, r.body)
            return out

    @property
    def duplicates(self) -> int:
        with self._lock:
            return len(self.received) - len({r.key for r in self.received})

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 10 * 1024 * 1024))
                ok = verify(receiver.secret, self.headers.get(TIMESTAMP_HEADER), body,
                            self.headers.get(SIGNATURE_HEADER))
                if not ok:
                    with receiver._lock:
                        receiver.rejected_signatures += 1
                    self._answer(401, {"error": "bad signature"})
                    return
                with receiver._lock:
                    if receiver.fail_rate and receiver._rng.random() < receiver.fail_rate:
                        receiver.failures_injected += 1
                        fail = True
                    else:
                        fail = False
                if fail:
                    self._answer(503, {"error": "injected failure"})
                    return
                key = self.headers.get(IDEMPOTENCY_HEADER) or ""
                parsed = json.loads(body)
                with receiver._lock:
                    receiver.received.append(Received(key, parsed))
                    if receiver.log_path is not None:
                        with open(receiver.log_path, "a", encoding="utf-8") as fh:
                            fh.write(json.dumps({"key": key, "body": parsed}) + "\n")
                self._answer(200, {"ok": True})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="webhook-receiver")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9009)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log", type=Path, default=None)
    args = parser.parse_args(argv)
    rx = WebhookReceiver(args.secret, fail_rate=args.fail_rate, seed=args.seed, log_path=args.log,
                         port=args.port).start()
    print(f"listening on {rx.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        rx.stop()


if __name__ == "__main__":
    main()
