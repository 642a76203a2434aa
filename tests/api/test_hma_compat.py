"""HMA-compatible routes: HMA 1.1's paths, parameters and response shapes (OpenMediaMatch blueprints), so
HMA clients such as ROOST Coop can point at Firstlight unchanged."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _pdq(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(256):064x}"


def _flip(h: str, bits: int) -> str:
    v = int(h, 16)
    for b in range(bits):
        v ^= 1 << b
    return f"{v:064x}"


def _image(seed: int) -> bytes:
    rnd = random.Random(seed)
    im = Image.new("RGB", (256, 200), tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(25):
        x, y = rnd.randrange(240), rnd.randrange(190)
        draw.rectangle(
            [x, y, x + rnd.randrange(5, 80), y + rnd.randrange(5, 80)],
            fill=tuple(rnd.randrange(256) for _ in range(3)),
        )
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture
def hdr(make_key):
    return make_key("hash:read", "banks:write")


def test_c_banks_create_list_show_update_delete(app_client, hdr) -> None:
    r = app_client.post("/c/banks", json={"name": "COOP_ORG_CSAM", "enabled_ratio": 1.0}, headers=hdr)
    assert r.status_code == 201 and r.json() == {"name": "COOP_ORG_CSAM", "matching_enabled_ratio": 1.0}
    r = app_client.post("/c/banks", json={"name": "COOP_ORG_CSAM"}, headers=hdr)
    assert r.status_code == 403 and "message" in r.json()
    assert app_client.get("/c/banks", headers=hdr).json() == [
        {"name": "COOP_ORG_CSAM", "matching_enabled_ratio": 1.0}
    ]
    assert app_client.get("/c/bank/COOP_ORG_CSAM", headers=hdr).json()["name"] == "COOP_ORG_CSAM"
    r = app_client.put("/c/bank/COOP_ORG_CSAM", json={"enabled": False}, headers=hdr)
    assert r.json() == {"name": "COOP_ORG_CSAM", "matching_enabled_ratio": 0.0}
    r = app_client.put("/c/bank/COOP_ORG_CSAM", json={"name": "RENAMED", "enabled_ratio": 1}, headers=hdr)
    assert r.json() == {"name": "RENAMED", "matching_enabled_ratio": 1.0}
    assert app_client.get("/c/bank/NOPE", headers=hdr).status_code == 404
    assert app_client.delete("/c/bank/RENAMED", headers=hdr).json() == {"message": "Done"}
    assert app_client.delete("/c/bank/RENAMED", headers=hdr).json() == {"message": "Done"}
    assert app_client.get("/c/banks", headers=hdr).json() == []


def test_signal_add_then_raw_lookup_shapes(app_client, hdr) -> None:
    rnd = random.Random(1)
    app_client.post("/c/banks", json={"name": "TEST_BANK"}, headers=hdr)
    h = _pdq(rnd)
    r = app_client.post("/c/bank/TEST_BANK/signal", json={"pdq": h}, headers=hdr)
    assert r.status_code == 200 and r.json() == {"id": r.json()["id"], "signals": {"pdq": h}}
    content_id = r.json()["id"]
    r = app_client.get(f"/m/raw_lookup?signal_type=pdq&signal={h}", headers=hdr)
    assert r.json() == {"matches": [content_id]}
    r = app_client.get(
        f"/m/raw_lookup?signal_type=pdq&signal={_flip(h, 3)}&include_distance=true", headers=hdr
    )
    assert r.json() == {"matches": [{"bank_content_id": content_id, "distance": "3"}]}
    r = app_client.get(f"/m/raw_lookup?signal_type=pdq&signal={_pdq(rnd)}", headers=hdr)
    assert r.json() == {"matches": []}
    r = app_client.get(f"/m/raw_lookup?signal_type=pdq&signal={h}&banks=OTHER", headers=hdr)
    assert r.json() == {"matches": []}


def test_raw_lookup_errors_use_hma_message_body(app_client, hdr) -> None:
    r = app_client.get("/m/raw_lookup?signal_type=pdq", headers=hdr)
    assert r.status_code == 400 and r.json() == {"message": "signal is required"}
    r = app_client.get("/m/raw_lookup?signal_type=pdq&signal=zz", headers=hdr)
    assert r.status_code == 400 and "message" in r.json()


def test_lookup_get_by_signal_groups_by_bank(app_client, hdr) -> None:
    rnd = random.Random(2)
    h = _pdq(rnd)
    for bank in ("BANK_A", "BANK_B", "FP"):
        app_client.post("/c/banks", json={"name": bank}, headers=hdr)
    a = app_client.post("/c/bank/BANK_A/signal", json={"pdq": h}, headers=hdr).json()["id"]
    b = app_client.post("/c/bank/BANK_B/signal", json={"pdq": _flip(h, 4)}, headers=hdr).json()["id"]
    r = app_client.get(f"/m/lookup?signal_type=pdq&signal={h}", headers=hdr)
    assert r.json() == {
        "BANK_A": [{"bank_content_id": a, "distance": "0"}],
        "BANK_B": [{"bank_content_id": b, "distance": "4"}],
    }
    r = app_client.get(f"/m/lookup?signal_type=pdq&signal={h}&banks=BANK_B", headers=hdr)
    assert list(r.json()) == ["BANK_B"]
    r = app_client.get("/m/lookup", headers=hdr)
    assert r.status_code == 400 and r.json() == {
        "message": "Either url or both signal and signal_type are required"
    }


def test_lookup_leaves_out_block_matches_an_allow_bank_suppresses(app_client, hdr, make_key) -> None:
    rnd = random.Random(3)
    h = _pdq(rnd)
    app_client.post("/c/banks", json={"name": "CSAM"}, headers=hdr)
    app_client.post("/c/banks", json={"name": "KNOWN_FP", "kind": "allow"}, headers=hdr)
    app_client.post("/c/bank/CSAM/signal", json={"pdq": h}, headers=hdr)
    assert list(app_client.get(f"/m/lookup?signal_type=pdq&signal={h}", headers=hdr).json()) == ["CSAM"]
    app_client.post("/c/bank/KNOWN_FP/signal", json={"pdq": h}, headers=hdr)
    assert app_client.get(f"/m/lookup?signal_type=pdq&signal={h}", headers=hdr).json() == {}


def test_hash_post_and_lookup_post_with_a_photo_upload(app_client, hdr) -> None:
    data = _image(9)
    r = app_client.post("/h/hash", files={"photo": ("a.jpg", data, "image/jpeg")}, headers=hdr)
    assert r.status_code == 200
    hashes = r.json()
    assert set(hashes) == {"pdq", "md5", "sha256"} and len(hashes["pdq"]) == 64
    r = app_client.post("/h/hash?types=pdq", files={"photo": ("a.jpg", data)}, headers=hdr)
    assert r.json() == {"pdq": hashes["pdq"]}
    r = app_client.post("/h/hash", files={"document": ("a.jpg", data)}, headers=hdr)
    assert r.status_code == 400 and r.json() == {"message": "no such content_type: 'document'"}
    r = app_client.post("/h/hash", files={"photo": ("a.jpg", data), "video": ("b.mp4", data)}, headers=hdr)
    assert r.json() == {"message": "Only one file allowed per request"}

    app_client.post("/c/banks", json={"name": "CSAM"}, headers=hdr)
    added = app_client.post("/c/bank/CSAM/content", files={"photo": ("a.jpg", data)}, headers=hdr)
    assert added.status_code == 200 and set(added.json()["signals"]) == {"pdq", "md5", "sha256"}
    content_id = added.json()["id"]
    r = app_client.post("/m/lookup", files={"photo": ("a.jpg", data)}, headers=hdr)
    assert r.json() == {
        "pdq": {"CSAM": [{"bank_content_id": content_id, "distance": "0"}]},
        "md5": {"CSAM": [{"bank_content_id": content_id, "distance": "0"}]},
        "sha256": {"CSAM": [{"bank_content_id": content_id, "distance": "0"}]},
    }


def test_content_show_update_delete(app_client, hdr) -> None:
    app_client.post("/c/banks", json={"name": "CSAM"}, headers=hdr)
    cid = app_client.post("/c/bank/CSAM/signal", json={"md5": MD5}, headers=hdr).json()["id"]
    r = app_client.get(f"/c/bank/CSAM/content/{cid}", headers=hdr)
    body = r.json()
    assert set(body) == {"id", "disable_until_ts", "original_media_uri", "bank", "metadata", "note"}
    assert body["id"] == cid and body["disable_until_ts"] == 1
    assert body["bank"] == {"name": "CSAM", "matching_enabled_ratio": 1.0}
    r = app_client.get(f"/c/bank/CSAM/content/{cid}?include_signals=true", headers=hdr)
    assert r.json()["signals"] == {"md5": MD5}
    r = app_client.put(f"/c/bank/CSAM/content/{cid}", json={"disable_until_ts": 0}, headers=hdr)
    assert r.status_code == 200 and r.json()["disable_until_ts"] == 0
    assert app_client.get(f"/m/raw_lookup?signal_type=md5&signal={MD5}", headers=hdr).json() == {
        "matches": []
    }
    app_client.put(f"/c/bank/CSAM/content/{cid}", json={"disable_until_ts": 1}, headers=hdr)
    assert app_client.get(f"/m/raw_lookup?signal_type=md5&signal={MD5}", headers=hdr).json() == {
        "matches": [cid]
    }
    assert app_client.delete(f"/c/bank/CSAM/content/{cid}", headers=hdr).json() == {"deleted": 1}
    assert app_client.delete(f"/c/bank/CSAM/content/{cid}", headers=hdr).json() == {"deleted": 0}
    r = app_client.get(f"/c/bank/CSAM/content/{cid}", headers=hdr)
    assert r.status_code == 404 and r.json() == {"message": f"content '{cid}' not found"}


def test_index_status_shape(app_client, hdr) -> None:
    app_client.post("/c/banks", json={"name": "CSAM"}, headers=hdr)
    app_client.post("/c/bank/CSAM/signal", json={"pdq": "f" * 64}, headers=hdr)
    body = app_client.get("/m/index/status?signal_type=pdq", headers=hdr).json()
    assert list(body) == ["pdq"] and body["pdq"]["present"] is True and body["pdq"]["size"] == 1
    assert isinstance(body["pdq"]["built_to"], int)


def test_hma_routes_need_a_key_unless_opened(app_client, monkeypatch) -> None:
    assert app_client.get("/c/banks").status_code == 401
    monkeypatch.setenv("FIRSTLIGHT_HMA_OPEN_ACCESS", "1")
    assert app_client.get("/c/banks").status_code == 200


def test_url_lookup_refuses_internal_addresses(app_client, hdr) -> None:
    r = app_client.get("/h/hash?url=http://127.0.0.1:1/x.jpg", headers=hdr)
    assert r.status_code == 400 and "message" in r.json()
