"""The API and CLI call the same services: open, render, submit, record the NCA reference."""

from __future__ import annotations

import json
import sys

from lxml import etree

from firstlight.reports import open_report_task
from firstlight.reports.report import Report
from firstlight.reports.routing import RoutingConfig
from firstlight.reports.service import queue_submissions
from firstlight.store import Database


def _queued(db: Database, report: Report) -> int:
    with db.begin() as session:
        task = open_report_task(session, case_id=42, priority="P1", reason="imminent")
        queue_submissions(session, task.id, actor="t", report=report,
                          config=RoutingConfig(jurisdictions=("UK",)))
        return task.id


def test_api_renders_and_records_the_nca_reference(app_client, make_key, db: Database,
                                                   full_report: Report) -> None:
    headers = make_key("reports:submit")
    task_id = _queued(db, full_report)
    xml = app_client.get(f"/v1/reports/{task_id}/render?format=xml", headers=headers)
    assert xml.status_code == 200 and etree.fromstring(xml.content).tag == "report"
    bundle = app_client.get(f"/v1/reports/{task_id}/render?format=json", headers=headers).json()
    assert bundle["para4_users"][0]["username"] == "suspect_handle"
    done = app_client.post(f"/v1/reports/{task_id}/nca-reference", headers=headers,
                           json={"reference": "NCA-77", "declared_by": "A. Person"})
    assert done.status_code == 200, done.text
    assert done.json()["submissions"][0]["remote_id"] == "NCA-77"
    assert app_client.get("/v1/reports/overdue", headers=headers).json() == []


def test_api_refuses_without_scope_and_bad_input_clearly(app_client, make_key, db: Database,
                                                         full_report: Report) -> None:
    task_id = _queued(db, full_report)
    assert app_client.get(f"/v1/reports/{task_id}",
                          headers=make_key("events:write")).status_code == 403
    headers = make_key("reports:submit")
    missing = app_client.get("/v1/reports/9999", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = app_client.post("/v1/reports", headers=headers,
                          json={"case_id": 1, "priority": "P9", "reason": "x"})
    assert bad.status_code in (400, 422) and "error" in bad.json()
    opened = app_client.post("/v1/reports", headers=headers,
                             json={"case_id": 5, "priority": "P2", "reason": "confirmed"})
    assert opened.status_code == 201 and opened.json()["priority"] == "P2"


def _cli(monkeypatch, capsys, db: Database, *args: str) -> tuple[int, str, str]:
    """Run ``firstlight report …`` through the real entry point (``main``), in process, on ``db``."""
    from firstlight import cli
    from firstlight.reports import cli as report_cli

    monkeypatch.setattr(report_cli, "_db", lambda: db)
    monkeypatch.setattr(sys, "argv", ["firstlight", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_renders_and_records_reference(monkeypatch, capsys, sqlite_db: Database,
                                                 full_report: Report) -> None:
    task_id = _queued(sqlite_db, full_report)
    code, out, _ = _cli(monkeypatch, capsys, sqlite_db, "report", "list")
    assert code == 0 and "P1" in out
    code, out, err = _cli(monkeypatch, capsys, sqlite_db, "report", "render", str(task_id),
                          "--format", "json")
    assert code == 0, err
    assert json.loads(out)["reference"] == full_report.reference
    code, out, err = _cli(monkeypatch, capsys, sqlite_db, "report", "render", str(task_id),
                          "--format", "pdf")
    assert code != 0 and "format must be one of" in err and "Traceback" not in err + out
    code, _, err = _cli(monkeypatch, capsys, sqlite_db, "report", "nca-reference", str(task_id),
                        "NCA-9", "--declared-by", "A B")
    assert code == 0, err
    code, out, _ = _cli(monkeypatch, capsys, sqlite_db, "report", "status", str(task_id))
    assert code == 0 and "nca: filed NCA-9" in out
