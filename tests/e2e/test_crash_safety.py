"""Crash safety: kill -9 the server during a burst of uploads while the webhook receiver fails at random;
restart; every accepted event is processed and every action reaches the receiver exactly once after
de-duplication by idempotency key. Nothing accepted is lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pipeline_server import Server, prepare, wait_for
from sqlalchemy import func, select

from firstlight.decide import Action
from firstlight.decide.receiver import WebhookReceiver
from firstlight.events.models import StoredEvent
from firstlight.intake import UploadScan
from firstlight.intake.samples import benign_image
from firstlight.store import Database

pytestmark = pytest.mark.e2e
SECRET = "crash-secret"
N_UPLOADS = 48
KNOWN = 4  # distinct known images in the block bank
ENV = {
    "FIRSTLIGHT_WEBHOOK_SECRET": SECRET,
    "FIRSTLIGHT_WEBHOOK_POLL_SECONDS": "0.1",
    "FIRSTLIGHT_WEBHOOK_BACKOFF_BASE_S": "0.05",
    "FIRSTLIGHT_WEBHOOK_BACKOFF_MAX_S": "0.5",
    "FIRSTLIGHT_WEBHOOK_MAX_ATTEMPTS": "1000",
    "FIRSTLIGHT_WEBHOOK_TIMEOUT_S": "5",
}


def _upload(i: int) -> tuple[str, bytes, bool]:
    """Every third upload is one of the known images (so it must be blocked)."""
    if i % 3 == 0:
        return f"burst-{i}", benign_image(500 + (i // 3) % KNOWN), True
    return f"burst-{i}", benign_image(10_000 + i), False


def test_kill_9_mid_burst_loses_nothing_and_delivers_each_action_once(tmp_path):
    data_dir = tmp_path / "data"
    headers = prepare(data_dir, [benign_image(500 + k) for k in range(KNOWN)])
    uploads = [_upload(i) for i in range(N_UPLOADS)]
    accepted: set[str] = set()
    failed: set[str] = set()
    lock = threading.Lock()

    with WebhookReceiver(SECRET, fail_rate=0.4, seed=1234) as rx:
        env = {**ENV, "FIRSTLIGHT_WEBHOOK_URL": rx.url}
        server = Server(data_dir, env).start()

        def send(client: httpx.Client, upload: tuple[str, bytes, bool]) -> None:
            event_id, data, _ = upload
            try:
                r = client.post("/v1/uploads", headers=headers["platform"],
                                files={"file": (f"{event_id}.jpg", data, "image/jpeg")},
                                data={"id": event_id, "content_id": f"c-{event_id}",
                                      "account_id": f"acct-{hash(event_id) % 5}"})
                ok = r.status_code in (200, 202)
            except httpx.HTTPError:
                ok = False
            with lock:
                (accepted if ok else failed).add(event_id)

        try:
            # burst from four clients; SIGKILL once a third has been accepted (more are in flight)
            with httpx.Client(base_url=server.url, timeout=10) as client, \
                    ThreadPoolExecutor(4) as pool:
                futures = [pool.submit(send, client, u) for u in uploads]
                wait_for(lambda: len(accepted) >= N_UPLOADS // 3, timeout=120, every=0.01,
                         what="a third of the burst accepted")
                server.kill9()
                for f in futures:
                    f.result(timeout=60)
            accepted_before_crash = set(accepted)
            assert accepted_before_crash and failed, "the kill must land mid-burst"

            # restart on the same data; the platform retries what was not acknowledged
            server = Server(data_dir, env).start()
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for upload in uploads:
                    if upload[0] in failed:
                        send(client, upload)
            assert accepted == {u[0] for u in uploads}

            # a second kill -9 while actions are still being delivered, then a last restart
            expected_count = 2 * sum(1 for u in uploads if u[2])
            wait_for(lambda: len(rx.unique) >= expected_count // 2, timeout=120, every=0.01,
                     what="half the actions delivered")
            delivered_at_second_kill = len(rx.unique)
            server.kill9()
            server = Server(data_dir, env).start()

            db = Database(f"sqlite:///{data_dir / 'firstlight.db'}")

            def settled() -> bool:
                with db.session() as s:
                    pending_events = s.scalar(select(func.count()).select_from(StoredEvent)
                                              .where(StoredEvent.status != "processed"))
                    pending_actions = s.scalar(select(func.count()).select_from(Action)
                                               .where(Action.status != "delivered"))
                return pending_events == 0 and pending_actions == 0

            wait_for(settled, timeout=180, every=0.5, what="all events processed, actions delivered")
        finally:
            server.stop()

        expected = {f"fl:{eid}:{kind}" for eid, _, known in uploads if known
                    for kind in ("block_content", "restrict_account")}
        with db.session() as s:
            scans = {sc.event_id: sc.status for sc in s.scalars(select(UploadScan))}
            stored = set(s.scalars(select(StoredEvent.event_id)))
            keys = set(s.scalars(select(Action.idempotency_key)))
        db.dispose()

        # nothing accepted is lost: every accepted event (including those acknowledged before the
        # kill) was stored, processed once, and scanned
        assert accepted_before_crash <= stored
        assert set(scans) == {u[0] for u in uploads}
        assert {e for e, st in scans.items() if st == "flagged"} == {u[0] for u in uploads if u[2]}
        assert keys == expected
        # exactly once after de-duplication by idempotency key, all correctly signed
        assert set(rx.unique) == expected
        assert rx.rejected_signatures == 0
        assert rx.failures_injected > 0
        for key, body in rx.unique.items():
            assert body["idempotency_key"] == key
        print(f"\ncrash safety: {len(accepted_before_crash)}/{N_UPLOADS} acknowledged before the first "
              f"kill, {len(failed)} retried by the platform; {len(expected)} actions, "
              f"{delivered_at_second_kill} delivered at the second kill; receiver saw "
              f"{len(rx.received)} deliveries ({rx.duplicates} duplicates removed by key), "
              f"{rx.failures_injected} injected failures")
