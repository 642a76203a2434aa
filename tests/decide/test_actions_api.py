from datetime import timedelta

from firstlight.decide import deliver_due, enqueue_action
from firstlight.store import utcnow


def test_dead_letters_are_visible_and_retryable(app_client, db, make_key, settings):
    with db.begin() as s:
        action_id = enqueue_action(s, kind="block_content", target={"content_id": "c"},
                                   explanation={"rule": "r"}, event_id=None,
                                   idempotency_key="k1").id
    settings.webhook_url = "http://127.0.0.1:9/down"
    settings.webhook_max_attempts = 1
    deliver_due(db, settings, now=utcnow() + timedelta(seconds=1))
    admin = make_key("admin")
    dead = app_client.get("/v1/actions?status=dead", headers=admin).json()
    assert [a["id"] for a in dead] == [action_id] and dead[0]["last_error"]
    r = app_client.post(f"/v1/actions/{action_id}/retry", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert app_client.post(f"/v1/actions/{action_id}/retry", headers=admin).status_code == 409
    stats = app_client.get("/v1/actions/stats", headers=admin).json()
    assert stats["by_status"] == {"pending": 1}
    assert app_client.get("/v1/actions", headers=make_key("cases:review")).status_code == 403
