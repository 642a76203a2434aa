"""Health, readiness, metrics and the OpenAPI docs."""


def test_healthz_readyz_and_docs(app_client) -> None:
    assert app_client.get("/healthz").json()["status"] == "ok"
    assert app_client.get("/readyz").status_code == 200
    assert app_client.get("/docs").status_code == 200
    schema = app_client.get("/openapi.json").json()
    assert "/v1/events" in schema["paths"]


def test_metrics_count_accepted_events(app_client, make_key) -> None:
    headers = make_key("events:write")
    app_client.post(
        "/v1/events",
        json={"id": "m-1", "type": "account", "payload": {"account_id": "u-1"}},
        headers=headers,
    )
    text = app_client.get("/metrics").text
    assert 'firstlight_events_accepted_total{type="account"}' in text


def test_unknown_route_uses_the_common_error_shape(app_client) -> None:
    response = app_client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_admin_creates_and_revokes_keys_through_the_api(app_client, make_key) -> None:
    admin = make_key("admin")
    created = app_client.post(
        "/v1/keys", json={"name": "platform", "scopes": ["events:write"]}, headers=admin
    )
    assert created.status_code == 201
    token = created.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert app_client.get("/v1/events", headers=bearer).status_code == 200
    assert app_client.get("/v1/keys", headers=bearer).status_code == 403
    assert app_client.delete(f"/v1/keys/{created.json()['key_id']}", headers=admin).status_code == 204
    assert app_client.get("/v1/events", headers=bearer).status_code == 401
    audit = app_client.get("/v1/audit", params={"object_type": "api_key"}, headers=admin).json()
    assert [e["action"] for e in audit][-2:] == ["key.create", "key.revoke"]
    assert app_client.get("/v1/audit/verify", headers=admin).json()["ok"] is True
