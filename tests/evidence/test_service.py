import io
from datetime import timedelta

import pytest
from PIL import Image

from firstlight.audit import AuditEntry
from firstlight.errors import Conflict, Invalid
from firstlight.evidence import (
    CustodyEntry,
    Vault,
    custody_of,
    mark_reported,
    open_item,
    place_hold,
    preserve,
    purge_expired,
    release_hold,
    rendition,
    reveal,
    verify_custody,
)
from firstlight.store import utcnow


def _png(color=(200, 30, 30), size=(256, 256)) -> bytes:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 16):
        for y in range(size[1]):
            img.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def vault(tmp_path):
    return Vault.local(tmp_path / "vault")


def _preserve(db, vault, data=None, **kw):
    data = data or _png()
    with db.begin() as s:
        item = preserve(s, vault, data, metadata={"uploader_ip": "203.0.113.5", "uploader_port": 50123},
                        media_type="image/png", subject_account="acct-1", content_id="c1",
                        event_id="e1", **kw)
        return item.id, item.sha256, item.md5, item.blob_path


def test_preserve_computes_hashes_encrypts_and_records_custody(db, vault):
    import hashlib

    data = _png()
    item_id, sha256, md5, rel = _preserve(db, vault, data)
    assert sha256 == hashlib.sha256(data).hexdigest() and md5 == hashlib.md5(data).hexdigest()
    assert data not in vault.path_of(rel).read_bytes()
    with db.session() as s:
        assert [c.action for c in custody_of(s, item_id)] == ["preserve"]


def test_opening_needs_a_reason_and_is_recorded(db, vault):
    item_id, *_ = _preserve(db, vault)
    with pytest.raises(Invalid, match="reason"), db.begin() as s:
        open_item(s, vault, item_id, actor="key:reports", reason="  ")
    with db.begin() as s:
        data = open_item(s, vault, item_id, actor="key:reports", reason="NCMEC upload for report 4")
    assert data.startswith(b"\x89PNG")
    with db.session() as s:
        entries = custody_of(s, item_id)
        assert [e.action for e in entries] == ["preserve", "open"]
        assert entries[-1].reason == "NCMEC upload for report 4"
        assert verify_custody(s).ok


def test_reveal_is_audited_and_rendition_is_blurred_greyscale(db, vault):
    item_id, *_ = _preserve(db, vault)
    with db.begin() as s:
        preview = rendition(s, vault, item_id, actor="key:reviewer")
        original = reveal(s, vault, item_id, actor="key:reviewer", reason="cannot judge from blur")
    img = Image.open(io.BytesIO(preview))
    assert img.mode == "L" and max(img.size) <= 480
    # the white stripes of the original are smeared out by the blur
    assert img.getextrema()[1] < 200
    assert preview != original
    with db.session() as s:
        assert s.query(AuditEntry).filter_by(action="evidence.reveal").count() == 1
        assert [e.action for e in custody_of(s, item_id)] == ["preserve", "view_protected", "reveal"]


def test_custody_chain_detects_a_deleted_access_record(db, vault):
    item_id, *_ = _preserve(db, vault)
    with db.begin() as s:
        open_item(s, vault, item_id, actor="a", reason="one")
        open_item(s, vault, item_id, actor="a", reason="two")
    with db.begin() as s:
        s.delete(s.query(CustodyEntry).filter_by(reason="one").one())
    with db.session() as s:
        check = verify_custody(s)
        assert not check.ok and check.first_bad_seq == 3


def test_purge_deletes_expired_files_but_respects_legal_hold(db, vault):
    expired_id, _, _, expired_rel = _preserve(db, vault, retention_days=1)
    held_id, _, _, held_rel = _preserve(db, vault, _png((0, 0, 200)), retention_days=1)
    fresh_id, *_ = _preserve(db, vault, _png((0, 200, 0)))
    with db.begin() as s:
        place_hold(s, held_id, actor="key:legal", reason="preservation request 2026-17")
    later = utcnow() + timedelta(days=2)
    with db.begin() as s:
        assert purge_expired(s, vault, now=later) == [expired_id]
    assert not vault.path_of(expired_rel).exists() and vault.path_of(held_rel).exists()
    with db.begin() as s:
        assert [e.action for e in custody_of(s, expired_id)][-1] == "purge"
        with pytest.raises(Conflict, match="purged"):
            open_item(s, vault, expired_id, actor="a", reason="r")
    with db.begin() as s:
        release_hold(s, held_id, actor="key:legal", reason="request closed")
    with db.begin() as s:
        assert purge_expired(s, vault, now=later) == [held_id]
        assert fresh_id not in purge_expired(s, vault, now=later)


def test_retention_runs_one_year_from_the_report(db, vault):
    item_id, *_ = _preserve(db, vault)
    reported = utcnow() + timedelta(days=200)
    with db.begin() as s:
        item = mark_reported(s, item_id, reported_at=reported, actor="system:reports")
        assert item.retain_until == reported + timedelta(days=365)
    with db.begin() as s:
        assert purge_expired(s, vault, now=utcnow() + timedelta(days=366)) == []
        assert purge_expired(s, vault, now=reported + timedelta(days=366)) == [item_id]
