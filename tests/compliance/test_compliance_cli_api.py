"""``firstlight assess`` and ``/v1/compliance``: the same service functions, from a shell and over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from firstlight.compliance import load_risk_profiles
from firstlight.store import Database
from firstlight.store.db import utcnow

from .conftest import kite_live_document

PROFILE_TOML = """\
[service]
name = "Kite Live"
service_types = ["1a"]
children_can_access = true
functionalities = ["3a", "4a", "5a", "5b", "5d"]
uk_mau = 40000
age_determination = "self_declared"

[measures."ICU.A2"]
statement = "The CTO is accountable."
"""


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FIRSTLIGHT_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("FIRSTLIGHT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from firstlight.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def _confirm_unreported_case(data_dir: Path) -> int:
    from firstlight.cases import NewCaseItem, claim, decide_case, open_or_update_case

    database = Database(f"sqlite:///{data_dir / 'firstlight.db'}")
    with database.begin() as session:
        case = open_or_update_case(
            session, subject_account="viewer-1", item=NewCaseItem(outcome="review", source="livestream")
        )
        claim(session, case.id, reviewer="rev")
        decide_case(session, case.id, reviewer="rev", decision="confirm", category="other")
        case_id = case.id
    with database.begin() as session:  # the report's timeframe passes with nothing delivered
        from firstlight.reports.models import ReportTask

        session.query(ReportTask).update({ReportTask.due_at: utcnow() - timedelta(hours=1)})
    database.dispose()
    return case_id


def test_assess_from_the_command_line_records_renders_and_checks(tmp_path: Path) -> None:
    profile = tmp_path / "kite.toml"
    profile.write_text(
        PROFILE_TOML
        + "".join(
            f'\n[harms.{h}]\nlevel = "low"\nreasons = ["none seen"]\n'
            for h in load_risk_profiles().other_harms
        )
    )
    data = tmp_path / "data"
    stored = run_cli(data, "assess", "profile", "set", str(profile))
    assert stored.returncode == 0, stored.stderr
    assert "profile version 1 stored" in stored.stdout
    ran = run_cli(data, "assess", "run", "--author", "dpo@kite.example")
    assert ran.returncode == 0, ran.stderr
    assert "Recorded assessment version 1 (initial)" in ran.stdout and "Grooming" in ran.stdout
    pdf = tmp_path / "record.pdf"
    assert run_cli(data, "assess", "show", "1", "--format", "pdf", "--out", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    csv_out = run_cli(data, "assess", "transparency", "--format", "csv")
    assert csv_out.returncode == 0 and csv_out.stdout.startswith("section,dimension,key,value")

    # The regulator's view: a confirmed case nobody reported fails the check (exit 1), as JSON too.
    case_id = _confirm_unreported_case(data)
    checked = run_cli(data, "assess", "--check", "--json")
    assert checked.returncode == 1, checked.stderr
    findings = json.loads(checked.stdout)["findings"]
    assert {"severity": "fail", "code": "csea_unreported", "subject": f"case {case_id}"}.items() <= next(
        f for f in findings if f["code"] == "csea_unreported"
    ).items()


def test_bad_profiles_are_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"service": {"name": "X", "children_can_access": True, "uk_mau": -5, "functionalities": ["9z"]}}
        )
    )
    result = run_cli(tmp_path / "data", "assess", "profile", "set", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid service profile: ")
    assert "service.uk_mau: Input should be greater than or equal to 0" in result.stderr
    assert "unknown functionality '9z' (use Ofcom codes 3a–8 or their ids)" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli(tmp_path / "data", "assess", "run")
    assert missing.returncode == 2 and "no service profile" in missing.stderr


def test_the_api_sets_the_profile_records_and_serves_documents(app_client, make_key) -> None:
    headers = make_key("compliance:write", name="dpo")
    assert app_client.get("/v1/compliance/profile", headers=make_key("events:write")).status_code == 403
    assert app_client.get("/v1/compliance/profile").status_code == 401
    assert app_client.get("/v1/compliance/profile", headers=headers).status_code == 404

    put = app_client.put("/v1/compliance/profile", json=kite_live_document(), headers=headers)
    assert put.status_code == 200, put.text
    assert (put.json()["version"], put.json()["created"]) == (1, True)
    assert put.json()["document"]["service"]["functionalities"] == [
        "commenting",
        "direct_messaging",
        "livestreaming",
        "user_connections",
        "user_profiles",
    ]

    draft = app_client.post("/v1/compliance/assessments", json={"dry_run": True}, headers=headers)
    assert draft.status_code == 200 and draft.json()["record"] is None
    created = app_client.post("/v1/compliance/assessments", json={"reason": "first"}, headers=headers)
    assert created.status_code == 201, created.text
    record = created.json()["record"]
    assert (record["version"], record["trigger"]) == (1, "initial")
    assert record["author"].endswith(":dpo")  # the API key's actor
    assert created.json()["assessment"]["risk"]["harms"]["csea.grooming"]["level"] == "medium"

    listed = app_client.get("/v1/compliance/assessments", headers=headers).json()
    assert [r["version"] for r in listed] == [1]
    latest = app_client.get("/v1/compliance/assessments/latest", headers=headers)
    assert latest.json()["record"]["content_hash"] == record["content_hash"]
    html = app_client.get("/v1/compliance/assessments/1?format=html", headers=headers)
    assert html.headers["content-type"].startswith("text/html") and "Kite Live" in html.text
    assert app_client.get("/v1/compliance/assessments/7", headers=headers).status_code == 404

    pdf = app_client.get("/v1/compliance/transparency?format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    data = app_client.get("/v1/compliance/transparency", headers=headers).json()
    assert data["service_name"] == "Kite Live" and "cross_border" in data

    check = app_client.get("/v1/compliance/check", headers=headers)
    assert check.status_code == 200 and isinstance(check.json()["ok"], bool)


def test_the_api_rejects_a_bad_profile_with_the_common_error_shape(app_client, make_key) -> None:
    headers = make_key("compliance:write")
    bad = kite_live_document()
    bad["service"]["service_types"] = ["1z"]
    bad["measures"]["ICU.Z9"] = {"statement": "?"}
    response = app_client.put("/v1/compliance/profile", json=bad, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and "unknown service type '1z'" in error["message"]
    assert app_client.get("/v1/compliance/profile", headers=headers).status_code == 404  # nothing stored
