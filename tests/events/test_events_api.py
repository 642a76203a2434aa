"""Events: validated, durable before 2xx, idempotent on the platform's id, clear 4xx otherwise."""

from sqlalchemy import func, select

from firstlight.events import process_pending
from firstlight.events.handlers import register, unregister
from firstlight.events.models import StoredEvent
from firstlight.store import Database

PAYMENT = {
    "id": "evt-pay-1",
    "type": "payment",
    "occurred_at": "2026-11-25T10:00:00Z",
    "payload": {
        "payment_id": "p-1",
        "payer": "acct-1",
        "payee": "acct-2",
        "amount": "25.00",
        "currency": "GBP",
        "channel": "card",
    },
}


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(StoredEvent))


def test_event_is_stored_and_retrievable(app_client, make_key, db) -> None:
    headers = make_key("events:write")
    response = app_client.post("/v1/events", json=PAYMENT, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["duplicate"] is False
    fetched = app_client.get("/v1/events/evt-pay-1", headers=headers).json()
    assert fetched["type"] == "payment"
    assert fetched["payload"]["amount"] == "25.00"
    assert fetched["status"] == "pending"
    listed = app_client.get("/v1/events", params={"type": "payment"}, headers=headers).json()
    assert [e["id"] for e in listed] == ["evt-pay-1"]


def test_same_event_id_twice_is_stored_once(app_client, make_key, db) -> None:
    headers = make_key("events:write")
    first = app_client.post("/v1/events", json=PAYMENT, headers=headers)
    second = app_client.post("/v1/events", json=PAYMENT, headers=headers)
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert _count(db) == 1


def test_same_id_with_different_content_is_a_conflict(app_client, make_key, db) -> None:
    headers = make_key("events:write")
    app_client.post("/v1/events", json=PAYMENT, headers=headers)
    changed = {**PAYMENT, "payload": {**PAYMENT["payload"], "amount": "99.00"}}
    response = app_client.post("/v1/events", json=changed, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert _count(db) == 1


def test_malformed_payload_gets_422_naming_the_field(app_client, make_key, db) -> None:
    headers = make_key("events:write")
    bad = {**PAYMENT, "payload": {**PAYMENT["payload"], "currency": "pounds"}}
    response = app_client.post("/v1/events", json=bad, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(d["field"] == "payload.currency" for d in error["details"])
    assert _count(db) == 0


def test_unknown_event_type_and_broken_json_are_refused(app_client, make_key, db) -> None:
    headers = make_key("events:write")
    unknown = app_client.post("/v1/events", json={**PAYMENT, "type": "teleport"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "body.type"
    broken = app_client.post(
        "/v1/events",
        content=b'{"id": "x", "type": ',
        headers={**headers, "content-type": "application/json"},
    )
    assert broken.status_code == 422
    assert "error" in broken.json()
    assert _count(db) == 0


def test_missing_key_gets_401_in_the_common_shape(app_client, db) -> None:
    response = app_client.post("/v1/events", json=PAYMENT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "Bearer" in response.headers["www-authenticate"]


def test_key_without_the_scope_gets_403(app_client, make_key, db) -> None:
    response = app_client.post("/v1/events", json=PAYMENT, headers=make_key("hash:read"))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert error["details"]["required_scope"] == "events:write"
    assert _count(db) == 0


def test_oversized_body_gets_413(app_client, make_key, db, settings) -> None:
    headers = make_key("events:write")
    huge = b"x" * (settings.max_request_bytes + 1)
    response = app_client.post(
        "/v1/events", content=huge, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_handlers_run_once_and_failures_are_retried(app_client, make_key, db) -> None:
    headers = make_key("events:write")
    seen: list[str] = []
    calls = {"n": 0}

    def flaky(session, event) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("receiver down")
        seen.append(event.event_id)

    register("payment", flaky)
    try:
        app_client.post("/v1/events", json=PAYMENT, headers=headers)
        first = process_pending(db)
        assert (first.processed, first.retried) == (0, 1)
        event = app_client.get("/v1/events/evt-pay-1", headers=headers).json()
        assert event["status"] == "pending" and "receiver down" in event["last_error"]
        from datetime import timedelta

        from firstlight.store import utcnow

        second = process_pending(db, now=utcnow() + timedelta(hours=1))
        assert second.processed == 1
        third = process_pending(db, now=utcnow() + timedelta(hours=2))
        assert third.processed == 0
        assert seen == ["evt-pay-1"]
        assert app_client.get("/v1/events/evt-pay-1", headers=headers).json()["status"] == "processed"
    finally:
        unregister("payment", flaky)


def test_event_that_keeps_failing_is_parked_as_failed(db: Database) -> None:
    from datetime import timedelta

    from firstlight.events import EventEnvelope, accept
    from firstlight.store import utcnow

    def broken(session, event) -> None:
        raise ValueError("bad data")

    register("account", broken)
    try:
        accept(db, EventEnvelope(id="a-1", type="account", payload={"account_id": "u1"}))
        for hour in range(3):
            process_pending(db, max_attempts=3, now=utcnow() + timedelta(hours=hour + 1))
        with db.session() as session:
            event = session.scalar(select(StoredEvent))
            assert event.status == "failed" and event.attempts == 3
    finally:
        unregister("account", broken)
