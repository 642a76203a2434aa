"""End to end on a real server: a benign stand-in in a block bank is uploaded; the platform's receiver
gets a correctly signed action, the case is queued, the vault file is ciphertext, a reviewer confirms and
a report task exists. A benign non-matching upload produces no action."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from pipeline_server import Server, prepare, wait_for
from sqlalchemy import select

from firstlight.decide.receiver import WebhookReceiver
from firstlight.intake.samples import benign_image
from firstlight.reports import ReportTask
from firstlight.store import Database

pytestmark = pytest.mark.e2e
SECRET = "e2e-webhook-secret"


@pytest.fixture
def rig(tmp_path):
    known = benign_image(100)
    headers = prepare(tmp_path / "data", [known])
    with WebhookReceiver(SECRET) as rx:
        server = Server(tmp_path / "data", {"FIRSTLIGHT_WEBHOOK_URL": rx.url,
                                            "FIRSTLIGHT_WEBHOOK_SECRET": SECRET,
                                            "FIRSTLIGHT_WEBHOOK_POLL_SECONDS": "0.1"}).start()
        try:
            yield server, rx, headers, known
        finally:
            server.stop()


def test_block_bank_upload_travels_the_whole_pipeline(rig):
    server, rx, headers, known = rig
    client = httpx.Client(base_url=server.url, timeout=30)
    r = client.post("/v1/uploads", headers=headers["platform"],
                    files={"file": ("holiday.jpg", known, "image/jpeg")},
                    data={"id": "up-1", "content_id": "post-1", "account_id": "user-42",
                          "uploader_ip": "198.51.100.23", "uploader_port": "50500",
                          "uploaded_at": "2026-11-25T10:00:00+00:00"})
    assert r.status_code == 202, r.text
    benign = benign_image(101)
    r = client.post("/v1/uploads", headers=headers["platform"],
                    files={"file": ("cat.jpg", benign, "image/jpeg")},
                    data={"id": "up-2", "content_id": "post-2", "account_id": "user-43"})
    assert r.status_code == 202, r.text

    # the platform's receiver gets both actions, signed (it verifies HMAC and timestamp) and explained
    received = wait_for(lambda: len(rx.unique) >= 2 and rx.unique, timeout=60, what="two actions")
    assert rx.rejected_signatures == 0
    assert set(received) == {"fl:up-1:block_content", "fl:up-1:restrict_account"}
    block = received["fl:up-1:block_content"]
    assert block["target"] == {"content_id": "post-1", "account_id": "user-42", "surface": "public"}
    fired = block["explanation"]["fired_on"][0]
    assert fired["bank_name"] == "standins" and fired["distance"] == 0
    assert block["explanation"]["rule"] == "csam-block-bank-strong-match"

    scan = wait_for(lambda: (s := client.get("/v1/uploads/up-1", headers=headers["platform"]).json())
                    ["status"] != "pending" and s, timeout=30, what="scan of up-1")
    assert scan["status"] == "flagged"
    clean = wait_for(lambda: (s := client.get("/v1/uploads/up-2", headers=headers["platform"]).json())
                     ["status"] != "pending" and s, timeout=30, what="scan of up-2")
    assert clean["status"] == "clean" and clean["case_id"] is None

    # the case is in the review queue
    queue = client.get("/v1/cases", headers=headers["reviewer"]).json()
    assert [c["id"] for c in queue] == [scan["case_id"]]
    assert queue[0]["subject_account"] == "user-42"

    # the evidence file on disk is not the plaintext
    item = client.get(f"/v1/evidence/{scan['evidence_id']}", headers=headers["reviewer"]).json()
    assert item["sha256"] == hashlib.sha256(known).hexdigest()
    assert item["metadata"]["uploader_ip"] == "198.51.100.23"
    files = list((server.data_dir / "vault" / "objects").rglob("*.flv"))
    assert len(files) == 1
    on_disk = files[0].read_bytes()
    assert known not in on_disk and hashlib.sha256(on_disk).hexdigest() != item["sha256"]

    # a reviewer sees the blurred rendition, claims and confirms: a report task exists
    preview = client.get(f"/v1/evidence/{scan['evidence_id']}/media", headers=headers["reviewer"])
    assert preview.headers["X-Protected"] == "1" and preview.content != known
    case_id = scan["case_id"]
    assert client.post(f"/v1/cases/{case_id}/claim", headers=headers["reviewer"]).status_code == 200
    r = client.post(f"/v1/cases/{case_id}/decision", headers=headers["reviewer"],
                    json={"decision": "confirm", "category": "A"})
    assert r.status_code == 200, r.text
    task_id = r.json()["report_task_id"]
    db = Database(f"sqlite:///{server.data_dir / 'firstlight.db'}")
    with db.session() as s:
        tasks = s.scalars(select(ReportTask).where(ReportTask.case_id == case_id)).all()
        assert [t.id for t in tasks] == [task_id]  # policy and reviewer share one task per case
    db.dispose()

    # nothing for the benign upload; time to takedown recorded for every delivered action
    assert not [k for k in rx.unique if k.startswith("fl:up-2:")]
    stats = client.get("/v1/actions/stats", headers=headers["admin"]).json()
    assert stats["delivered"] == 2 and stats["p50_ms"] is not None
