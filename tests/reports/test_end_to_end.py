"""From a reviewer's confirmation to a finished CyberTip, with the file read from the real vault."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from firstlight.config import Settings
from firstlight.reports.routing import RoutingConfig
from firstlight.reports.service import deliver_due, queue_submissions, task_status
from firstlight.reports.testing import NcmecServer
from firstlight.store import Database


def test_confirmed_case_reaches_ncmec_with_vault_bytes_and_custody(
    db: Database, ncmec_server: NcmecServer, tmp_path: Path
) -> None:
    from firstlight.cases.service import NewCaseItem, claim, decide_case, open_or_update_case
    from firstlight.evidence import CustodyEntry, EvidenceItem, Vault, preserve

    settings = Settings(data_dir=tmp_path, ncmec_base_url=ncmec_server.base_url,
                        ncmec_username="esp-user", ncmec_password="esp-pass",
                        service_jurisdictions=["US"],
                        report_reporter={"company": "Example Social", "email": "ts@example.test"})
    data = b"\x89PNG benign generated stand-in, not abuse material"
    with db.begin() as session:
        item = preserve(session, Vault.open(settings), data, media_type="image/png",
                        metadata={"uploaded_at": "2026-05-01T10:00:00+00:00",
                                  "uploader_ip": "203.0.113.5", "uploader_port": 5555,
                                  "media_url": "https://x.test/m/9", "surface": "public"})
        case = open_or_update_case(session, subject_account="acct-9", item=NewCaseItem(
            outcome="block", evidence_id=item.id, sha256=item.sha256, md5=item.md5,
            media_type="image/png", rule="csam-block-bank",
            explanation={"matches": [{"bank_name": "test-bank", "entry_id": 1, "signal_type": "pdq",
                                      "distance": 0, "threshold": 31}]}))
        claim(session, case.id, reviewer="rev-1")
        task_id = decide_case(session, case.id, reviewer="rev-1", decision="confirm",
                              category="A", report_priority="P2").report_task_id
        queue_submissions(session, task_id, actor="test", settings=settings,
                          config=RoutingConfig.from_settings(settings))

    (result,) = deliver_due(db, settings=settings)
    assert result.state == "finished", result.detail

    (finished,) = ncmec_server.finished_reports()
    assert finished.files[0].data == data  # the vault's plaintext, byte for byte
    assert b"203.0.113.5" in finished.files[0].details and b"test-bank" in finished.xml
    with db.session() as session:
        assert task_status(session, task_id)["status"] == "delivered"
        stored = session.get(EvidenceItem, item.id)
        assert stored.reported_at is not None  # retention now runs from the report
        actions = [c.action for c in session.scalars(
            select(CustodyEntry).where(CustodyEntry.item_id == item.id))]
        assert "report_upload" in actions and "reported" in actions
