"""Inspecting risk through the API and the CLI: the same services, with their explanations."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.detect.conftest import T0, Ledger
from typer.testing import CliRunner

from firstlight.audit.models import AuditEntry
from firstlight.config import Settings
from firstlight.detect.cli import app as risk_app
from firstlight.store import Database


def seed(db: Database) -> None:
    with db.begin() as s:
        ledger = Ledger(s)
        ledger.account("buyer", country="AU")
        ledger.account("host", country="PH", days_old=2)
        for i in range(4):
            ledger.pay("buyer", "host", 40 + 5 * i, minutes_ago=60 * 24 * (3 - i) + 10)


def test_platform_scores_a_session_request_and_a_reviewer_reads_why(
    db: Database, app_client, make_key: Callable[..., dict[str, str]]
) -> None:
    seed(db)
    platform, reviewer = make_key("events:write"), make_key("cases:review")
    body = {"stream_id": "call-1", "streamer_account": "host", "viewer_accounts": ["buyer"],
            "visibility": "one_to_one", "paid": True, "at": T0.isoformat()}
    created = app_client.post("/v1/risk/sessions", json=body, headers=platform)
    assert created.status_code == 200, created.text
    assert created.json()["tier_hint"] in {"T1", "T2"}
    read = app_client.get("/v1/risk/sessions/call-1", params={"at": T0.isoformat()}, headers=reviewer)
    assert read.status_code == 200
    features = {c["feature"] for c in read.json()["contributions"]}
    assert {"low_value_repetition", "pay_before_show", "corridor"} <= features
    corridor = next(c for c in read.json()["contributions"] if c["feature"] == "corridor")
    assert corridor["population_level"] is True and corridor["explanation"]
    account = app_client.get("/v1/risk/accounts/buyer", params={"at": T0.isoformat()}, headers=reviewer)
    assert account.status_code == 200 and account.json()["subject"] == "account:buyer"


def test_risk_api_refuses_unknown_subjects_and_missing_scopes(
    db: Database, app_client, make_key: Callable[..., dict[str, str]]
) -> None:
    reviewer = make_key("cases:review")
    missing = app_client.get("/v1/risk/sessions/none", headers=reviewer)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "risk_session_not_found"
    assert app_client.get("/v1/risk/accounts/nobody", headers=reviewer).status_code == 404
    assert app_client.get("/v1/risk/sessions/none").status_code == 401
    bad = app_client.post("/v1/risk/sessions", headers=make_key("events:write"),
                          json={"stream_id": "", "streamer_account": "x"})
    assert bad.status_code in (400, 422) and "error" in bad.json()
    forbidden = app_client.post("/v1/risk/lists/known", json={"accounts": ["x"]}, headers=reviewer)
    assert forbidden.status_code == 403


def test_confirm_through_the_api_expands_and_is_audited(
    db: Database, app_client, make_key: Callable[..., dict[str, str]]
) -> None:
    seed(db)
    headers = make_key("cases:review")
    response = app_client.post("/v1/risk/accounts/host/confirm", headers=headers)
    assert response.status_code == 200
    assert [x["account_id"] for x in response.json()["linked"]] == ["buyer"]
    with db.session() as s:
        assert s.query(AuditEntry).filter_by(action="risk.account_confirmed").count() == 1
    added = app_client.post("/v1/risk/lists/known_facilitators", headers=make_key("admin"),
                            json={"accounts": ["host", "host", "other"]})
    assert added.json() == {"added": 2}


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    from firstlight import config
    from firstlight.cli import open_database

    monkeypatch.setenv("FIRSTLIGHT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FIRSTLIGHT_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("FIRSTLIGHT_CONFIG", str(settings.data_dir / "none.toml"))
    config._cached_settings.cache_clear()
    db = open_database(config.get_settings())
    yield db
    db.dispose()
    config._cached_settings.cache_clear()


def test_cli_shows_account_and_session_risk_with_reasons(cli_env: Database) -> None:
    seed(cli_env)
    runner = CliRunner()
    at = (T0 + timedelta(minutes=1)).isoformat()
    table = runner.invoke(risk_app, ["account", "buyer", "--at", at])
    assert table.exit_code == 0, table.output
    assert "account:buyer" in table.output and "score" in table.output
    as_json = runner.invoke(risk_app, ["account", "buyer", "--at", at, "--json"])
    features = {c["feature"] for c in json.loads(as_json.output)["contributions"]}
    assert {"low_value_repetition", "escalation"} <= features
    missing = runner.invoke(risk_app, ["session", "nope"])
    assert missing.exit_code != 0
    bad_time = runner.invoke(risk_app, ["account", "buyer", "--at", "yesterday"])
    assert bad_time.exit_code != 0


def test_cli_loads_lists_and_checks_term_files(cli_env: Database, tmp_path: Path) -> None:
    ids = tmp_path / "facilitators.txt"
    ids.write_text("# shared list\nhost\nhost2\n")
    runner = CliRunner()
    result = runner.invoke(risk_app, ["list-add", "known_facilitators", str(ids)])
    assert result.exit_code == 0 and "2 new entries" in result.output
    (tmp_path / "age_gender_request.txt").write_text("TERM_AGE_REQUEST_1\n")
    checked = runner.invoke(risk_app, ["terms", "check", str(tmp_path / "age_gender_request.txt")])
    assert checked.exit_code == 0 and "age_gender_request" in checked.output
    assert "TERM_AGE_REQUEST_1" not in checked.output  # terms are never echoed
