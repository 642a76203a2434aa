"""Console sections over HTTP: banks (add, disable, import) and streams (timeline, end a stream)."""

import re

from sqlalchemy import select

from firstlight import banks, streams
from firstlight.decide.models import Action
from firstlight.web import create_user

PASSWORD = "correct horse battery"


def _sign_in(client, db, username: str, role: str) -> str:
    with db.begin() as session:
        create_user(session, username=username, password=PASSWORD, role=role)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    # the session (and its CSRF token) is renewed at sign-in: read the new token from a page
    page = client.get(response.headers["location"])
    return re.search(r'X-CSRF-Token": "([^"]+)"', page.text).group(1)


def test_senior_reviewer_adds_disables_and_imports_hashes(app_client, db) -> None:
    with db.begin() as session:
        banks.create_bank(session, "known", "block", actor="test")
    csrf = _sign_in(app_client, db, "sam", "senior_reviewer")
    pdq = "f" * 64
    added = app_client.post("/banks/known/entries", data={
        "signal_type": "pdq", "value": pdq, "category": "B1", "note": "from a hotline",
        "csrf_token": csrf})
    assert added.status_code == 200 and "added entry" in added.text
    with db.session() as session:
        [entry] = banks.list_entries(session, "known")
    assert entry.signals == {"pdq": pdq} and entry.category_ncmec == "B1"
    app_client.post(f"/banks/known/entries/{entry.id}/enabled",
                    data={"enabled": "false", "csrf_token": csrf})
    with db.session() as session:
        assert banks.list_entries(session, "known")[0].enabled is False
    listing = "pdq " + "0" * 64 + "\nmd5 " + "a" * 32 + "\nnot a line\n"
    imported = app_client.post("/banks/known/import", data={"fmt": "local", "csrf_token": csrf},
                               files={"file": ("list.txt", listing.encode(), "text/plain")})
    assert "imported 2" in imported.text and "1 errors" in imported.text


def test_reviewer_cannot_change_banks(app_client, db) -> None:
    with db.begin() as session:
        banks.create_bank(session, "known", "block", actor="test")
    csrf = _sign_in(app_client, db, "rita", "reviewer")
    response = app_client.post("/banks/known/entries", data={
        "signal_type": "pdq", "value": "f" * 64, "csrf_token": csrf})
    assert response.status_code == 403


def test_stream_page_shows_tier_and_ending_it_sends_the_webhook_once(app_client, db) -> None:
    with db.begin() as session:
        streams.start_stream(session, {"stream_id": "s-1", "streamer_account": "host-1",
                                       "visibility": "private", "paid": True},
                             prior_tier="T1")
    csrf = _sign_in(app_client, db, "sam", "senior_reviewer")
    listing = app_client.get("/streams")
    assert "s-1" in listing.text and "T1" in listing.text
    page = app_client.get("/streams/s-1")
    assert "host-1" in page.text and "End stream" in page.text
    ended = app_client.post("/streams/s-1/end", data={"reason": "directed acts seen on review",
                                                      "csrf_token": csrf})
    assert ended.status_code == 200 and "ended by moderator" in ended.text
    again = app_client.post("/streams/s-1/end", data={"reason": "again", "csrf_token": csrf})
    assert again.status_code == 409
    with db.session() as session:
        actions = list(session.scalars(select(Action).where(Action.kind == "end_stream")))
    assert len(actions) == 1
    assert actions[0].target["stream_id"] == "s-1"
    assert actions[0].explanation["reason"] == "directed acts seen on review"


def test_compliance_role_cannot_end_streams_or_open_cases(app_client, db) -> None:
    with db.begin() as session:
        streams.start_stream(session, {"stream_id": "s-2", "streamer_account": "host-2"})
    csrf = _sign_in(app_client, db, "cleo", "compliance")
    assert app_client.post("/streams/s-2/end", data={"reason": "no", "csrf_token": csrf}).status_code == 403
    assert app_client.get("/queue").status_code == 403
