"""The real ISPWS client against the local server: every endpoint, every documented error code."""

from __future__ import annotations

import hashlib

import pytest

from firstlight.reports.ncmec_client import NcmecClient
from firstlight.reports.ncmec_xml import render_file_details, render_report
from firstlight.reports.report import Report
from firstlight.reports.testing import NcmecServer


@pytest.fixture
def client(ncmec_server: NcmecServer):
    with NcmecClient(ncmec_server.base_url, "esp-user", "esp-pass") as c:
        yield c


def test_full_lifecycle_submit_upload_fileinfo_finish(
    client: NcmecClient, ncmec_server: NcmecServer, full_report: Report
) -> None:
    assert client.status().ok
    opened = client.submit(render_report(full_report))
    assert opened.ok and opened.report_id
    data = b"benign bytes standing in for a preserved file"
    uploaded = client.upload(opened.report_id, "file-0001.jpg", data, "image/jpeg")
    assert uploaded.ok and uploaded.hash == hashlib.md5(data).hexdigest()
    details = render_file_details(full_report, full_report.files[0], report_id=opened.report_id,
                                  file_id=uploaded.file_id, file_name="file-0001.jpg")
    assert client.fileinfo(details).ok
    done = client.finish(opened.report_id)
    assert done.ok and done.file_ids == [uploaded.file_id]
    (finished,) = ncmec_server.finished_reports()
    assert finished.files[0].data == data and finished.files[0].details is not None

    assert client.upload(opened.report_id, "late.jpg", b"x").code == 5102
    assert client.retract(opened.report_id).code == 5102
    assert client.finish(opened.report_id).code == 5102


def test_unknown_report_answers_5001(client: NcmecClient) -> None:
    assert client.upload("999", "f.jpg", b"x").code == 5001
    assert client.finish("999").code == 5001
    assert client.retract("not-a-number").code == 5001


def test_invalid_xml_answers_4100_with_the_reason(client: NcmecClient) -> None:
    response = client.submit(b"<report><incidentSummary/></report>")
    assert response.code == 4100 and response.http_status == 400
    assert "incidentType" in response.description
    assert client.submit(b"not xml").code == 4100


def test_wrong_credentials_answer_2000(ncmec_server: NcmecServer) -> None:
    with NcmecClient(ncmec_server.base_url, "esp-user", "wrong") as bad:
        assert bad.status().code == 2000


def test_retract_cancels_an_open_report(client: NcmecClient, full_report: Report) -> None:
    report_id = client.submit(render_report(full_report)).report_id
    assert client.retract(report_id).ok
    assert client.upload(report_id, "f", b"x").code == 5001


def test_unfinished_report_expires_24h_after_open_or_1h_after_last_change(
    client: NcmecClient, ncmec_server: NcmecServer, full_report: Report
) -> None:
    report_id = client.submit(render_report(full_report)).report_id
    ncmec_server.advance(2 * 3600)  # idle 2 h, but opened < 24 h ago: still there
    assert client.upload(report_id, "f", b"x").ok
    ncmec_server.advance(22 * 3600 + 1800)  # 24.5 h after open, 22.5 h idle
    assert client.upload(report_id, "g", b"y").code == 5001

    fresh = client.submit(render_report(full_report)).report_id
    ncmec_server.advance(23 * 3600)
    assert client.upload(fresh, "f", b"x").ok  # a change at 23 h keeps it for another hour
    ncmec_server.advance(1800)
    assert client.upload(fresh, "g", b"y").ok  # 23.5 h: still open
    ncmec_server.advance(3700)  # 24.5 h after open and > 1 h since the last change
    assert client.finish(fresh).code == 5001
