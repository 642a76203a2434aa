from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from firstlight.audit import AuditEntry
from firstlight.config import Settings
from firstlight.decide import (
    backoff_delay,
    deliver_due,
    enqueue_action,
    get_action,
    list_actions,
    retry_action,
    takedown_stats,
    verify,
)
from firstlight.decide.receiver import WebhookReceiver
from firstlight.errors import Conflict
from firstlight.store import utcnow


def _settings(tmp_path, url, **kw) -> Settings:
    base = dict(data_dir=tmp_path, webhook_url=url, webhook_secret="s3cret", webhook_timeout_s=5,
                webhook_backoff_base_s=0.01, webhook_backoff_max_s=0.02)
    base.update(kw)
    return Settings(**base)


def _enqueue(db, key="fl:e1:block_content", kind="block_content"):
    with db.begin() as s:
        return enqueue_action(s, kind=kind, target={"content_id": "c1"},
                              explanation={"rule": "r", "distance": 0}, event_id=None,
                              idempotency_key=key).id


def test_enqueue_is_idempotent_on_the_key(db):
    first = _enqueue(db)
    second = _enqueue(db)
    assert first == second
    with db.session() as s:
        assert len(list_actions(s)) == 1
    with pytest.raises(Conflict), db.begin() as s:
        enqueue_action(s, kind="restrict_account", target={}, explanation={}, event_id=None,
                       idempotency_key="fl:e1:block_content")


def test_delivered_action_is_signed_and_records_time_to_action(db, tmp_path):
    action_id = _enqueue(db)
    with WebhookReceiver("s3cret") as rx:
        result = deliver_due(db, _settings(tmp_path, rx.url))
        assert result.delivered == 1
        (key, body), = rx.unique.items()
    assert key == "fl:e1:block_content"
    assert body["kind"] == "block_content" and body["target"] == {"content_id": "c1"}
    assert body["explanation"]["rule"] == "r"
    with db.session() as s:
        action = get_action(s, action_id)
        assert action.status == "delivered" and action.attempts == 1
        assert action.time_to_action_ms is not None and action.time_to_action_ms >= 0
        assert takedown_stats(s)["delivered"] == 1
    # a second pass sends nothing more
    with WebhookReceiver("s3cret") as rx:
        assert deliver_due(db, _settings(tmp_path, rx.url)).delivered == 0
        assert rx.received == []


def test_receiver_rejects_a_wrong_secret_so_the_action_is_retried(db, tmp_path):
    action_id = _enqueue(db)
    with WebhookReceiver("the-platforms-secret") as rx:
        result = deliver_due(db, _settings(tmp_path, rx.url))
        assert result.retried == 1 and rx.rejected_signatures == 1
    with db.session() as s:
        action = get_action(s, action_id)
        assert action.status == "pending" and action.last_status_code == 401
        assert action.next_attempt_at > utcnow() - timedelta(seconds=1)


def test_failing_receiver_leads_to_dead_letter_that_is_audited_and_retryable(db, tmp_path):
    action_id = _enqueue(db)
    settings = _settings(tmp_path, "http://127.0.0.1:9/unreachable", webhook_max_attempts=3)
    outcomes = []
    for _ in range(3):
        later = utcnow() + timedelta(seconds=10)
        outcomes.append(deliver_due(db, settings, now=later))
    assert [o.retried for o in outcomes] == [1, 1, 0] and outcomes[-1].dead == 1
    deliver_due(db, settings)  # the next pass reports the dead letter on the alerting gauge
    assert REGISTRY.get_sample_value("firstlight_actions_dead") == 1
    with db.begin() as s:
        assert [a.id for a in list_actions(s, status="dead")] == [action_id]
        assert s.query(AuditEntry).filter_by(action="action.dead_letter").count() == 1
        retry_action(s, action_id, actor="key:ops")
    with WebhookReceiver("s3cret") as rx:
        assert deliver_due(db, _settings(tmp_path, rx.url)).delivered == 1
        assert list(rx.unique) == ["fl:e1:block_content"]


def test_retry_refuses_actions_that_are_not_dead(db):
    action_id = _enqueue(db)
    with pytest.raises(Conflict), db.begin() as s:
        retry_action(s, action_id, actor="x")


def test_random_receiver_failures_still_end_in_exactly_one_copy_per_key(db, tmp_path):
    keys = [f"fl:e{i}:block_content" for i in range(20)]
    for key in keys:
        _enqueue(db, key=key)
    with WebhookReceiver("s3cret", fail_rate=0.5, seed=7) as rx:
        settings = _settings(tmp_path, rx.url, webhook_max_attempts=50)
        for _ in range(40):
            deliver_due(db, settings, now=utcnow() + timedelta(seconds=5))
        assert rx.failures_injected > 0
        assert sorted(rx.unique) == sorted(keys)
        assert rx.duplicates == 0


def test_backoff_grows_exponentially_with_bounded_jitter():
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, base_s=1, max_s=60, rng=rng) for n in range(1, 9)]
    for n, d in enumerate(delays, start=1):
        cap = min(60, 2 ** (n - 1))
        assert cap / 2 <= d <= cap
    assert delays[-1] >= 30


def test_no_webhook_configured_leaves_actions_pending(db, tmp_path):
    _enqueue(db)
    assert deliver_due(db, Settings(data_dir=tmp_path)).delivered == 0
    with db.session() as s:
        assert list_actions(s, status="pending")


def test_body_signature_verifies_with_the_platform_copy_of_verify(db, tmp_path):
    _enqueue(db)
    seen = {}
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        seen["ok"] = verify("s3cret", request.headers["Firstlight-Timestamp"], request.content,
                            request.headers["Firstlight-Signature"])
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        deliver_due(db, _settings(tmp_path, "http://platform.example/hook"), client=client)
    assert seen["ok"] is True
