import base64
import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from firstlight import banks, events
from firstlight.events.models import StoredEvent
from firstlight.intake.samples import benign_image


def _count_events(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(StoredEvent))


def _bomb_png(side: int = 40000) -> bytes:
    """A tiny PNG that claims 40000×40000 pixels (1.6 gigapixels) of one colour."""
    raw = zlib.compress(b"\x00" * (side // 8 + 1) * 64, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def headers(make_key):
    return make_key("events:write")


def test_multipart_upload_is_accepted_then_scanned(app_client, db, headers, pipeline_settings):
    data = benign_image(11)
    with db.begin() as s:
        banks.create_bank(s, "known", "block")
        banks.add_media_to_bank(s, "known", data, source="test")
    r = app_client.post("/v1/uploads", headers=headers, files={"file": ("x.jpg", data, "image/jpeg")},
                        data={"content_id": "c1", "account_id": "a1", "uploader_ip": "198.51.100.7",
                              "uploader_port": "5555", "audience_size": "250"})
    assert r.status_code == 202, r.text
    ack = r.json()
    assert ack["media_type"] == "image/jpeg" and ack["size"] == len(data)
    # the same request again is acknowledged without storing twice
    again = app_client.post("/v1/uploads", headers=headers,
                            files={"file": ("x.jpg", data, "image/jpeg")},
                            data={"content_id": "c1", "account_id": "a1", "uploader_ip": "198.51.100.7",
                                  "uploader_port": "5555", "audience_size": "250"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    pending = app_client.get(f"/v1/uploads/{ack['event_id']}", headers=headers).json()
    assert pending["status"] == "pending"
    events.process_pending(db)
    scan = app_client.get(f"/v1/uploads/{ack['event_id']}", headers=headers).json()
    assert scan["status"] == "flagged" and scan["outcome"] == "act" and scan["case_id"]


def test_json_upload_with_base64(app_client, db, headers, pipeline_settings):
    body = {"id": "evt-9", "content_id": "c9", "account_id": "a9",
            "media_base64": base64.b64encode(benign_image(12)).decode()}
    r = app_client.post("/v1/uploads", headers=headers, json=body)
    assert r.status_code == 202 and r.json()["event_id"] == "evt-9"
    events.process_pending(db)
    assert app_client.get("/v1/uploads/evt-9", headers=headers).json()["status"] == "clean"


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("name,request_kwargs,status,code", [
    ("corrupt", {"files": {"file": ("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image/jpeg")}},
     422, None),
    ("truncated", {"files": {"file": ("x.png", _png_bytes()[:60], "image/png")}}, 422, None),
    ("bomb", {"files": {"file": ("x.png", _bomb_png(), "image/png")}}, None, None),
    ("pdf", {"files": {"file": ("x.pdf", b"%PDF-1.4\n%...\n", "application/pdf")}}, 415, None),
    ("text", {"files": {"file": ("x.txt", b"hello there", "text/plain")}}, 415, None),
    ("empty", {"files": {"file": ("x.jpg", b"", "image/jpeg")}}, 422, None),
    ("form without a file", {"data": {"content_id": "c", "account_id": "a"}}, 415, None),
    ("multipart without a file part", {"files": {"other": ("x.jpg", b"abc", "image/jpeg")}}, 422, None),
])
def test_bad_media_gets_a_clear_4xx_and_stores_nothing(app_client, db, headers, name, request_kwargs,
                                                       status, code):
    kwargs = dict(request_kwargs)
    kwargs.setdefault("data", {"content_id": "c", "account_id": "a"})
    r = app_client.post("/v1/uploads", headers=headers, **kwargs)
    if status is None:
        assert r.status_code in (413, 422), r.text
    else:
        assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    assert _count_events(db) == 0


def test_oversize_upload_is_413(app_client, db, headers, settings):
    settings.upload_max_bytes = 1000
    r = app_client.post("/v1/uploads", headers=headers,
                        files={"file": ("x.jpg", benign_image(1), "image/jpeg")},
                        data={"content_id": "c", "account_id": "a"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert _count_events(db) == 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/v1/keys", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://10.0.0.1/x.jpg", "file:///etc/passwd",
])
def test_ssrf_urls_are_refused(app_client, db, headers, url):
    r = app_client.post("/v1/uploads", headers=headers,
                        json={"content_id": "c", "account_id": "a", "media_url": url})
    assert r.status_code == 422 and r.json()["error"]["code"] == "url_not_allowed"
    assert _count_events(db) == 0


@pytest.mark.parametrize("body,field", [
    ({"content_id": "c", "account_id": "a", "media_base64": "###"}, None),
    ({"content_id": "c", "account_id": "a", "media_base64": 12}, "media_base64"),
    ({"content_id": 5, "account_id": "a"}, None),
    ({"content_id": "c", "account_id": "a", "surface": "everywhere"}, None),
    ({"content_id": "c", "account_id": "a", "uploader_port": "port"}, None),
    ({"content_id": "c", "account_id": "a", "colour": "red"}, "colour"),
])
def test_wrong_types_are_422_with_details(app_client, db, headers, body, field):
    if "media_base64" not in body:
        body = {**body, "media_base64": base64.b64encode(benign_image(3)).decode()}
    r = app_client.post("/v1/uploads", headers=headers, json=body)
    assert r.status_code in (400, 422), r.text
    if field:
        assert any(d["field"] == field for d in r.json()["error"]["details"])
    assert _count_events(db) == 0


def test_unsupported_content_type_and_bad_json(app_client, db, headers):
    r = app_client.post("/v1/uploads", headers={**headers, "Content-Type": "text/plain"}, content=b"x")
    assert r.status_code == 415
    r = app_client.post("/v1/uploads", headers={**headers, "Content-Type": "application/json"},
                        content=b"{not json")
    assert r.status_code == 400
    assert _count_events(db) == 0


def test_upload_needs_the_events_scope(app_client, make_key):
    r = app_client.post("/v1/uploads", headers=make_key("cases:review"),
                        json={"content_id": "c", "account_id": "a"})
    assert r.status_code == 403
    assert app_client.post("/v1/uploads", json={}).status_code == 401
