import base64
import io

from PIL import Image
from sqlalchemy import select

from firstlight import banks, events
from firstlight.cases import Case, CaseItem
from firstlight.decide import Action
from firstlight.events.schema import EventEnvelope
from firstlight.evidence import EvidenceItem
from firstlight.intake import UploadScan
from firstlight.intake.samples import benign_image
from firstlight.reports import ReportTask


def _send(db, event_id: str, data: bytes | None = None, **payload):
    body = {"content_id": f"c-{event_id}", "account_id": "acct-7", "surface": "public",
            "uploader_ip": "203.0.113.9", "uploader_port": 41234, **payload}
    if data is not None:
        body["media_base64"] = base64.b64encode(data).decode()
    events.accept(db, EventEnvelope(id=event_id, type="upload", payload=body))
    return events.process_pending(db)


def _block_bank(db, data: bytes, name: str = "iwf-test"):
    with db.begin() as s:
        banks.create_bank(s, name, "block")
        return banks.add_media_to_bank(s, name, data, source="test", category_iwf="A").id


def test_upload_in_block_bank_is_blocked_reported_and_preserved(db, pipeline_settings):
    known = benign_image(1)
    entry_id = _block_bank(db, known)
    summary = _send(db, "e1", known)
    assert summary.processed == 1
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e1"))
        assert scan.status == "flagged" and scan.outcome == "act"
        assert scan.rule == "csam-block-bank-strong-match"
        actions = s.scalars(select(Action).order_by(Action.kind)).all()
        assert [a.kind for a in actions] == ["block_content", "restrict_account"]
        assert actions[0].idempotency_key == "fl:e1:block_content"
        assert actions[0].target == {"content_id": "c-e1", "account_id": "acct-7", "surface": "public"}
        fired = actions[0].explanation["fired_on"]
        assert any(d["entry_id"] == entry_id and d["bank_name"] == "iwf-test" for d in fired)
        case = s.get(Case, scan.case_id)
        assert case.subject_account == "acct-7" and case.status == "open"
        item = s.get(EvidenceItem, scan.evidence_id)
        assert item.sha256 == scan.sha256 and item.meta["uploader_ip"] == "203.0.113.9"
        assert item.meta["uploader_port"] == 41234
        task = s.scalar(select(ReportTask).where(ReportTask.case_id == case.id))
        assert task is not None and task.detected_by == "hash_match"
    vault_file = pipeline_settings.data_dir / "vault" / item.blob_path
    assert known not in vault_file.read_bytes()


def test_benign_non_matching_upload_produces_no_action(db, pipeline_settings):
    _block_bank(db, benign_image(1))
    _send(db, "e2", benign_image(2))
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e2"))
        assert scan.status == "clean" and scan.outcome == "none"
        assert {sig["signal_type"] for sig in scan.signals} >= {"pdq", "md5", "sha256"}
        assert s.scalars(select(Action)).all() == []
        assert s.scalars(select(Case)).all() == []


def test_two_uploads_by_one_account_share_one_case(db, pipeline_settings):
    known = benign_image(3)
    _block_bank(db, known)
    copy = io.BytesIO()
    Image.open(io.BytesIO(known)).save(copy, format="PNG")  # same picture, different bytes
    _send(db, "e3", known)
    _send(db, "e4", copy.getvalue())
    with db.session() as s:
        cases = s.scalars(select(Case)).all()
        assert len(cases) == 1 and cases[0].item_count == 2
        assert len(s.scalars(select(CaseItem)).all()) == 2
        assert len(s.scalars(select(Action)).all()) == 4


def test_reprocessing_an_event_does_nothing_twice(db, pipeline_settings):
    from firstlight.intake import scan_upload
    from firstlight.intake.handler import current_pipeline

    known = benign_image(4)
    _block_bank(db, known)
    _send(db, "e5", known)
    with db.begin() as s:
        event = s.scalar(select(events.StoredEvent).where(events.StoredEvent.event_id == "e5"))
        payload = events.validate_payload("upload", event.payload)
        scan_upload(s, current_pipeline(), event_id="e5", payload=payload,
                    accepted_at=event.received_at)
    with db.session() as s:
        assert len(s.scalars(select(Action)).all()) == 2
        assert len(s.scalars(select(EvidenceItem)).all()) == 1


def test_private_surface_is_out_of_scope_by_default(db, pipeline_settings):
    known = benign_image(5)
    _block_bank(db, known)
    _send(db, "e6", known, surface="private")
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e6"))
        assert scan.status == "out_of_scope" and "private" in scan.explanation["reason"]
        assert s.scalars(select(Action)).all() == []


def test_corrupt_media_sent_as_an_event_is_rejected_not_retried(db, pipeline_settings):
    summary = _send(db, "e7", b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    assert summary.processed == 1
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e7"))
        assert scan.status == "rejected" and scan.error
        assert s.scalars(select(Action)).all() == []


def test_ssrf_url_in_an_event_is_rejected(db, pipeline_settings):
    _send(db, "e8", None, media_url="http://169.254.169.254/latest/meta-data/")
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e8"))
        assert scan.status == "rejected" and scan.error.startswith("url_not_allowed")


def test_allow_bank_suppresses_and_the_scan_says_so(db, pipeline_settings):
    known = benign_image(6)
    _block_bank(db, known)
    with db.begin() as s:
        banks.create_bank(s, "allow", "allow")
        banks.add_media_to_bank(s, "allow", known, source="test")
    _send(db, "e9", known)
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e9"))
        assert scan.status == "clean"
        assert "allow" in scan.explanation["reason"]
        assert s.scalars(select(Action)).all() == []


def test_near_threshold_match_goes_to_review_without_action_or_report(db, pipeline_settings):
    from firstlight.signals import hash_bytes

    upload = benign_image(7)
    pdq = next(s.value for s in hash_bytes(upload) if s.signal_type == "pdq")
    near = f"{int(pdq, 16) ^ ((1 << 28) - 1):064x}"  # 28 bits away: inside 31, outside 0.8 × 31
    with db.begin() as s:
        banks.create_bank(s, "iwf-test", "block")
        banks.add_to_bank(s, "iwf-test", ("pdq", near), source="test")
    _send(db, "e10", upload)
    with db.session() as s:
        scan = s.scalar(select(UploadScan).where(UploadScan.event_id == "e10"))
        assert scan.status == "flagged" and scan.outcome == "review"
        assert scan.rule == "csam-block-bank-weak-match"
        assert scan.explanation["fired_on"][0]["distance"] == 28
        assert s.scalars(select(Action)).all() == []
        assert s.scalars(select(ReportTask)).all() == []
        case = s.get(Case, scan.case_id)
        assert case.status == "open" and case.likelihood < 1.0
        assert scan.evidence_id is not None


def test_exif_is_read_for_evidence_without_decoding_and_never_fails():
    from firstlight.intake import exif_of

    exif = Image.Exif()
    exif[0x010F] = "BenignCam"
    out = io.BytesIO()
    Image.new("RGB", (32, 32)).save(out, format="JPEG", exif=exif)
    assert exif_of(out.getvalue()) == {"Make": "BenignCam"}
    assert exif_of(b"not an image") == {}
