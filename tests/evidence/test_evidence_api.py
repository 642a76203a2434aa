import io

import pytest
from PIL import Image

from firstlight.evidence import Vault, preserve
from firstlight.intake.samples import benign_image


@pytest.fixture
def item_id(db, settings):
    vault = Vault.open(settings)
    with db.begin() as s:
        return preserve(s, vault, benign_image(21, fmt="PNG"), metadata={"uploader_ip": "192.0.2.1"},
                        media_type="image/png", subject_account="a1").id


def test_media_is_protected_by_default_and_reveal_needs_a_reason(app_client, make_key, item_id):
    reviewer = make_key("cases:review", name="alice")
    r = app_client.get(f"/v1/evidence/{item_id}/media", headers=reviewer)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["X-Protected"] == "1"
    assert Image.open(io.BytesIO(r.content)).mode == "L"
    r = app_client.get(f"/v1/evidence/{item_id}/media?original=true", headers=reviewer)
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    r = app_client.get(f"/v1/evidence/{item_id}/media?original=true",
                       headers={**reviewer, "X-Reveal-Reason": "context unclear when blurred"})
    assert r.status_code == 200 and r.content == benign_image(21, fmt="PNG")
    custody = app_client.get(f"/v1/evidence/{item_id}/custody", headers=reviewer).json()
    assert [c["action"] for c in custody] == ["preserve", "view_protected", "reveal"]
    assert custody[-1]["reason"] == "context unclear when blurred"
    assert "alice" in custody[-1]["actor"]
    audit = app_client.get("/v1/audit", headers=make_key("admin")).json()
    assert any(e["action"] == "evidence.reveal" for e in audit)


def test_media_needs_the_reviewing_role(app_client, make_key, item_id):
    r = app_client.get(f"/v1/evidence/{item_id}/media", headers=make_key("events:write"))
    assert r.status_code == 403


def test_hold_and_purge_are_admin_only_and_recorded(app_client, make_key, item_id):
    admin = make_key("admin")
    assert app_client.post(f"/v1/evidence/{item_id}/hold", headers=make_key("cases:review"),
                           json={"reason": "x"}).status_code == 403
    r = app_client.post(f"/v1/evidence/{item_id}/hold", headers=admin, json={"reason": "court order 7"})
    assert r.status_code == 200 and r.json()["legal_hold"] is True
    assert app_client.post("/v1/evidence/purge", headers=admin).json() == {"purged": []}
    r = app_client.get(f"/v1/evidence/{item_id}", headers=admin).json()
    assert r["metadata"] == {"uploader_ip": "192.0.2.1"} and len(r["sha256"]) == 64
