"""``POST /v1/measure/…``: the same estimators as the CLI, JSON in and out, admin scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from firstlight.api import create_app
from firstlight.auth import create_key


@pytest.fixture
def app_client(sqlite_db, settings) -> Iterator[TestClient]:
    """The routes store nothing, so SQLite alone is enough (no PostgreSQL rerun)."""
    with TestClient(create_app(settings, db=sqlite_db)) as client:
        yield client


@pytest.fixture
def make_key(sqlite_db):
    def make(*scopes: str) -> dict[str, str]:
        with sqlite_db.begin() as session:
            created = create_key(session, name="measure-test", scopes=scopes, actor="test")
        return {"Authorization": f"Bearer {created.token}"}

    return make


@pytest.fixture
def admin(make_key) -> dict[str, str]:
    return make_key("admin")


def test_prevalence_over_json_rows(app_client, admin) -> None:
    rows = [{"violating": i < 3} for i in range(1000)]
    response = app_client.post("/v1/measure/prevalence", json={"rows": rows}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "wilson" and body["positives"] == 3
    assert body["statement"].startswith("30 per 10,000")


def test_mse_matches_the_uk_reference(app_client, admin, load_rows) -> None:
    rows = load_rows("mse/UKdat.csv")
    response = app_client.post("/v1/measure/mse", json={"rows": rows}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert round(body["estimate"]) == 11418
    assert [round(body["wald"]["lower"]), round(body["wald"]["upper"])] == [9977, 13146]
    assert len(body["steps"]) == 7


def test_nsum_and_impact(app_client, admin, load_rows) -> None:
    rows = load_rows("nsum/networkscaleup_example_ard.csv")
    body = {"rows": rows, "known": {"V1": 136961, "V2": 56322, "V4": 69238}, "total": 1e6}
    response = app_client.post("/v1/measure/nsum", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert round(response.json()["estimates"][0]["mle"], 1) == 34976.6

    waves = [{"wave": "before", "y": int(i < 30)} for i in range(100)]
    waves += [{"wave": "after", "y": int(i < 10)} for i in range(100)]
    response = app_client.post("/v1/measure/impact", json={"rows": waves, "nboot": 100}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["reduction"]["estimate"] == pytest.approx(2 / 3)


def test_bad_input_is_a_4xx_in_the_common_shape(app_client, admin) -> None:
    response = app_client.post("/v1/measure/mse", json={"rows": [{"A": 1, "count": 3}]}, headers=admin)
    assert response.status_code == 422
    assert "at least two lists" in response.json()["error"]["message"]
    response = app_client.post("/v1/measure/mse", json={"rows": [{"A": 1}], "nboot": 10**6}, headers=admin)
    assert response.status_code == 422 and response.json()["error"]["code"]
    response = app_client.post(
        "/v1/measure/impact", json={"rows": [{"wave": "a", "y": 1}], "nboot": 0}, headers=admin
    )
    assert response.status_code == 422 and "two waves" in response.json()["error"]["message"]


def test_measure_needs_the_admin_scope(app_client, make_key) -> None:
    rows = [{"violating": 1}]
    assert app_client.post("/v1/measure/prevalence", json={"rows": rows}).status_code == 401
    other = make_key("events:write")
    assert app_client.post("/v1/measure/prevalence", json={"rows": rows}, headers=other).status_code == 403
