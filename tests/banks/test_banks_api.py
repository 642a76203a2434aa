"""``/v1/banks``, ``/v1/exchanges``, ``/v1/hash`` and ``/v1/match`` over HTTP."""

from __future__ import annotations

import random
from pathlib import Path

from bankhelpers import flip, rand_pdq

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_bank_crud_and_entries(app_client, make_key, rnd: random.Random) -> None:
    h = make_key("banks:write")
    r = app_client.post(
        "/v1/banks", json={"name": "csam", "kind": "block", "thresholds": {"pdq": 20}}, headers=h
    )
    assert r.status_code == 201 and r.json()["thresholds"]["pdq"] == 20
    assert app_client.post("/v1/banks", json={"name": "csam"}, headers=h).status_code == 409
    pdq = rand_pdq(rnd)
    r = app_client.post(
        "/v1/banks/csam/entries",
        json={"signals": {"pdq": pdq, "md5": MD5}, "category_ncmec": "A1", "category_iwf": "A", "note": "n"},
        headers=h,
    )
    assert r.status_code == 201
    entry = r.json()
    assert entry["signals"] == {"pdq": pdq, "md5": MD5} and entry["category_iwf"] == "A" and entry["created"]
    again = app_client.post(
        "/v1/banks/csam/entries", json={"signals": [{"signal_type": "md5", "value": MD5}]}, headers=h
    )
    assert again.status_code == 200 and again.json()["id"] == entry["id"] and not again.json()["created"]
    listing = app_client.get("/v1/banks/csam/entries", headers=h).json()
    assert [e["id"] for e in listing["entries"]] == [entry["id"]]
    r = app_client.patch(
        f"/v1/banks/csam/entries/{entry['id']}", json={"enabled": False, "reason": "fp"}, headers=h
    )
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert app_client.get("/v1/banks/csam", headers=h).json()["entry_count"] == 1
    assert app_client.patch("/v1/banks/csam", json={"kind": "allow"}, headers=h).json()["kind"] == "allow"
    assert app_client.delete(f"/v1/banks/csam/entries/{entry['id']}", headers=h).status_code == 200
    assert app_client.delete("/v1/banks/csam", headers=h).json() == {"deleted": "csam", "entries": 0}
    assert app_client.get("/v1/banks/csam", headers=h).status_code == 404


def test_errors_have_the_common_shape(app_client, make_key) -> None:
    h = make_key("banks:write")
    app_client.post("/v1/banks", json={"name": "csam"}, headers=h)
    r = app_client.post("/v1/banks/csam/entries", json={"signals": {"pdq": "nothex"}}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_signal"
    r = app_client.get("/v1/banks/missing", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "bank_not_found"


def test_scopes_are_enforced(app_client, make_key) -> None:
    assert app_client.get("/v1/banks").status_code == 401
    assert app_client.get("/v1/banks", headers=make_key("hash:read")).status_code == 403
    assert (
        app_client.post(
            "/v1/match", json={"signals": {"md5": MD5}}, headers=make_key("banks:write")
        ).status_code
        == 403
    )


def test_add_entry_from_uploaded_media(app_client, make_key, image) -> None:
    h = make_key("banks:write")
    app_client.post("/v1/banks", json={"name": "csam"}, headers=h)
    r = app_client.post(
        "/v1/banks/csam/entries?category_ncmec=B1&note=upload",
        files={"file": ("x.jpg", image(3), "image/jpeg")},
        headers=h,
    )
    assert r.status_code == 201
    assert set(r.json()["signals"]) == {"pdq", "md5", "sha256"} and r.json()["category_ncmec"] == "B1"


def test_import_and_export(app_client, make_key, rnd: random.Random) -> None:
    h = make_key("banks:write")
    app_client.post("/v1/banks", json={"name": "list"}, headers=h)
    hashes = [rand_pdq(rnd) for _ in range(10)]
    body = "".join(f"pdq {x}\n" for x in hashes) + "pdq bad\n"
    r = app_client.post(
        "/v1/banks/list/import?format=local", content=body, headers={**h, "Content-Type": "text/plain"}
    )
    assert r.status_code == 200 and r.json()["added"] == 10 and r.json()["errors"][0]["line"] == 11
    r = app_client.get("/v1/banks/list/export?format=csv", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "signal_type,signal_str,collab,category,tags" and len(lines) == 11
    r = app_client.get("/v1/banks/list/export?format=local", headers=h)
    assert sorted(r.text.splitlines()) == sorted(f"pdq {x}" for x in hashes)


def test_hash_media(app_client, make_key, image) -> None:
    r = app_client.post(
        "/v1/hash", content=image(1), headers={**make_key("hash:read"), "Content-Type": "image/jpeg"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["media_type"] == "image/jpeg"
    assert [s["signal_type"] for s in body["signals"]] == ["pdq", "md5", "sha256"]
    assert body["signals"][0]["quality"] > 50
    r = app_client.post(
        "/v1/hash?dihedral=true", files={"file": ("a.jpg", image(1))}, headers=make_key("hash:read")
    )
    assert len([s for s in r.json()["signals"] if s["signal_type"] == "pdq"]) > 1


def test_hash_rejects_corrupt_media_and_empty_bodies(app_client, make_key, image) -> None:
    h = make_key("hash:read")
    assert app_client.post("/v1/hash", content=b"", headers=h).status_code == 400
    r = app_client.post("/v1/hash", content=image(1)[:200], headers=h)
    assert r.status_code == 422 and "error" in r.json()


def test_match_by_signal_and_by_media(app_client, make_key, image, rnd: random.Random) -> None:
    w, read = make_key("banks:write"), make_key("hash:read")
    app_client.post("/v1/banks", json={"name": "csam", "thresholds": {"pdq": 16}}, headers=w)
    app_client.post("/v1/banks", json={"name": "fp", "kind": "allow"}, headers=w)
    entry = app_client.post("/v1/banks/csam/entries", files={"file": ("x.jpg", image(5))}, headers=w).json()
    r = app_client.post("/v1/match", content=image(5), headers=read)
    assert r.status_code == 200
    body = r.json()
    assert body["blocking"] == 3 and body["verdict"].startswith("block")
    m = next(m for m in body["matches"] if m["signal_type"] == "pdq")
    assert (m["bank"], m["entry_id"], m["distance"], m["threshold"]) == ("csam", entry["id"], 0, 16)

    pdq = entry["signals"]["pdq"]
    near = flip(pdq, 10)
    r = app_client.post("/v1/match", json={"signals": [{"signal_type": "pdq", "value": near}]}, headers=read)
    assert [(m["distance"], m["bank_kind"]) for m in r.json()["matches"]] == [(10, "block")]
    app_client.post("/v1/banks/fp/entries", json={"signals": {"pdq": near}}, headers=w)
    body = app_client.post("/v1/match", json={"signals": {"pdq": near}}, headers=read).json()
    assert body["blocking"] == 0
    suppressed = next(m for m in body["matches"] if m["bank_kind"] == "block")
    assert suppressed["suppressed_by"]["bank"] == "fp"
    r = app_client.post("/v1/match", json={"signals": "nope"}, headers=read)
    assert r.status_code == 400


def test_exchanges_over_http(app_client, make_key, tmp_path: Path, rnd: random.Random) -> None:
    h = make_key("banks:write")
    path = tmp_path / "list.txt"
    path.write_text("".join(f"pdq {rand_pdq(rnd)}\n" for _ in range(3)))
    r = app_client.post(
        "/v1/exchanges",
        json={"name": "partner", "api": "local_file", "config": {"filename": str(path)}},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["bank_name"] == "partner"
    r = app_client.post("/v1/exchanges/partner/fetch", headers=h)
    assert r.status_code == 200 and r.json()["result"]["added"] == 3
    assert r.json()["exchange"]["fetch_succeeded"] is True
    assert [e["name"] for e in app_client.get("/v1/exchanges", headers=h).json()["exchanges"]] == ["partner"]
    assert app_client.get("/v1/banks/partner", headers=h).json()["entry_count"] == 3
    bad = app_client.post(
        "/v1/exchanges", json={"name": "x", "api": "local_file", "config": {"nope": 1}}, headers=h
    )
    assert bad.status_code == 422
