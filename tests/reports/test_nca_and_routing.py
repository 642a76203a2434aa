"""The NCA Schedule 1 bundle and document, the reference and declaration, and routing without duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firstlight.errors import Conflict, Invalid
from firstlight.reports import open_report_task
from firstlight.reports.nca import render_bundle, render_document
from firstlight.reports.report import Report
from firstlight.reports.retention import due_for_disposal, place_hold, retention_of
from firstlight.reports.routing import RoutingConfig
from firstlight.reports.service import (
    deliver_due,
    queue_submissions,
    record_nca_reference,
    render_task,
    task_status,
)
from firstlight.store import Database
from firstlight.store.db import utcnow

UK = RoutingConfig(jurisdictions=("UK",))


def test_bundle_carries_every_schedule_1_field_the_report_holds(full_report: Report) -> None:
    bundle = render_bundle(full_report)
    reporter = bundle["para1_reporter"]
    assert reporter == {"organisation": "Example Social Ltd", "name": "Trust Safety",
                        "email": "trust-safety@example.social", "telephone": "+442079460000"}
    content = bundle["para2_content"]
    assert content["platform"] == "Example Social for Android"
    assert content["detection_methods"] == ["moderator", "hash_match"]
    assert content["previously_reported"] is True
    assert content["previous_nca_references"] == ["NCA-2026-000001"]
    (file,) = content["files"]
    assert file["original_file_hash"]["sha256"] == full_report.files[0].sha256
    assert file["original_file_hash"]["md5"] == full_report.files[0].md5
    assert (file["upload_ip"], file["upload_port"]) == ("203.0.113.7", 51234)
    assert file["upload_datetime"] and file["upload_ip_timestamp"]
    assert file["content_url"] == "https://cdn.example.social/m/abc.jpg"
    assert file["exif"]["Model"] == "ExampleCam"
    (user,) = bundle["para4_users"]
    assert user["username"] == "suspect_handle"
    assert user["profile_urls"] == ["https://example.social/@suspect_handle"]
    assert [e["address"] for e in user["emails"]] == ["suspect@example.com"]
    assert user["recovery_emails"] == ["recovery@example.com"]
    assert user["telephones"] == [{"number": "+447700900123", "verified": True,
                                   "verified_at": "2026-05-01T12:34:56Z".replace("Z", "+00:00")}]
    assert user["billing_details"].startswith("Card ending 4242")
    assert [ip["ip_address"] for ip in user["login_ips_prior_three_months"]] == ["198.51.100.4"]
    assert user["connections_with_other_accounts"][0]["esp_identifier"] == "user:alt123"
    assert bundle["para5_identity_documents"] == ["Passport scan held (evidence ev-id-1)"]
    assert bundle["para6_other"]["victims"][0]["person"]["age"] == 14
    assert "Schedule 1" in bundle["para7_declaration"]["text"]
    json.dumps(bundle)  # plain JSON all the way down


def test_login_ips_older_than_three_months_are_left_out(full_report: Report) -> None:
    from datetime import timedelta

    from firstlight.reports.report import IpEvent

    account = full_report.reported[0]
    old = IpEvent(ip="192.0.2.1", event="Login", at=full_report.incident_at - timedelta(days=120))
    report = full_report.model_copy(update={"reported": (
        account.model_copy(update={"ip_events": (*account.ip_events, old)}),)})
    ips = render_bundle(report)["para4_users"][0]["login_ips_prior_three_months"]
    assert "192.0.2.1" not in [ip["ip_address"] for ip in ips]


def test_document_is_escaped_and_has_the_declaration(full_report: Report) -> None:
    hostile = full_report.model_copy(update={"additional_info": "<script>alert(1)</script>"})
    html = render_document(render_bundle(hostile), nca_reference="NCA-123")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "7. Declaration" in html and "NCA-123" in html and "suspect_handle" in html


def test_uk_report_waits_for_reference_then_keeps_it_five_years(
    db: Database, full_report: Report, tmp_path: Path
) -> None:
    with db.begin() as session:
        task = open_report_task(session, case_id=42, priority="P1", reason="imminent")
        queue_submissions(session, task.id, actor="test", report=full_report, config=UK)
    (result,) = deliver_due(db, settings=object())
    assert result.state == "awaiting_reference"
    with db.begin() as session:
        with pytest.raises(Invalid):
            record_nca_reference(session, task.id, reference="has space", declared_by="A", actor="t")
        record_nca_reference(session, task.id, reference="NCA-2026-42", declared_by="A. Person",
                             actor="cli")
    with db.begin() as session:
        status = task_status(session, task.id)
        assert status["status"] == "delivered" and status["overdue"] is False
        assert status["submissions"][0]["remote_id"] == "NCA-2026-42"
        (reference,) = [e for e in retention_of(session, task.id) if e.kind == "nca_reference"]
        assert (reference.keep_until - reference.starts_at).days >= 5 * 365
        with pytest.raises(Conflict):
            record_nca_reference(session, task.id, reference="NCA-other", declared_by="A", actor="t")
        media, html = render_task(session, task.id, "html")
        assert media == "text/html" and b"A. Person" in html and b"NCA-2026-42" in html


def test_legal_hold_keeps_entries_past_their_date(db: Database, full_report: Report) -> None:
    with db.begin() as session:
        task = open_report_task(session, case_id=42, priority="P2", reason="x")
        queue_submissions(session, task.id, actor="test", report=full_report, config=UK)
    deliver_due(db, settings=object())
    with db.begin() as session:
        record_nca_reference(session, task.id, reference="NCA-1", declared_by="A", actor="t")
    from datetime import timedelta

    later = utcnow() + timedelta(days=400)
    with db.begin() as session:
        assert {e.kind for e in due_for_disposal(session, later)} == {
            "content", "submitted_information", "associated_data"}
        place_hold(session, task.id, actor="legal", reason="police preservation request")
        assert due_for_disposal(session, later) == []


def test_both_jurisdictions_send_ncmec_and_hold_the_nca_under_s70_5(
    db: Database, full_report: Report
) -> None:
    with db.begin() as session:
        task = open_report_task(session, case_id=42, priority="P2", reason="x")
        subs = queue_submissions(session, task.id, actor="test", report=full_report,
                                 config=RoutingConfig(jurisdictions=("UK", "US")))
        states = {s.destination: s.state for s in subs}
        assert states == {"ncmec": "pending", "nca": "waiting_ncmec"}
        assert "s.70(5)" in task_status(session, task.id)["routing"]["reasons"]["nca"]


def test_non_uk_provider_sends_the_nca_nothing_without_a_uk_link(
    db: Database, full_report: Report
) -> None:
    report = full_report.model_copy(update={"uk_linked": False})
    with db.begin() as session:
        task = open_report_task(session, case_id=42, priority="P2", reason="x")
        with pytest.raises(Invalid, match="s.66"):
            queue_submissions(session, task.id, actor="t", report=report,
                              config=RoutingConfig(jurisdictions=("UK",), uk_linked_only=True))


def test_missing_ncmec_credentials_hold_ncmec_but_let_the_nca_move(
    db: Database, full_report: Report
) -> None:
    from firstlight.config import Settings

    with db.begin() as session:
        task = open_report_task(session, case_id=42, priority="P2", reason="x")
        queue_submissions(session, task.id, actor="t", report=full_report,
                          config=RoutingConfig(jurisdictions=("UK", "US"),
                                               nca_when_reported_to_ncmec=True))
    results = deliver_due(db, settings=Settings(ncmec_username=None, ncmec_password=None))
    by_state = {r.state: r.detail for r in results}
    assert "credentials are not configured" in by_state["pending"]
    assert "awaiting_reference" in by_state
