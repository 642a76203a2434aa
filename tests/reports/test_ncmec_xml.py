"""The rendered CyberTipline XML validates against NCMEC's XSD, in element order, with every field."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from firstlight.reports.ncmec_xml import clean_url, render_file_details, render_report
from firstlight.reports.report import Report


def _schema(xsd: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd)))


def test_full_report_validates_against_ncmec_xsd(full_report: Report, ncmec_xsd: Path) -> None:
    xml = render_report(full_report)
    schema = _schema(ncmec_xsd)
    doc = etree.fromstring(xml)
    assert schema.validate(doc), schema.error_log
    assert doc.findtext("incidentSummary/incidentType") == full_report.incident_type.value
    assert doc.findtext("incidentSummary/escalateToHighPriority").startswith("Ongoing contact")
    flags = [e.tag for e in doc.find("incidentSummary/reportAnnotations")]
    assert flags == ["sextortion", "csamSolicitation"]  # liveStreaming is a file annotation
    assert doc.findtext("internetDetails/webPageIncident/url") == "https://example.social/p/12345"
    reported = doc.find("personOrUserReported")
    assert reported.findtext("ipCaptureEvent/port") == "40000"
    assert reported.find("associatedAccount").get("type") == "Linked"
    assert "Billing details: Card ending 4242" in reported.findtext("additionalInfo")
    assert doc.findtext("victim/victimPerson/age") == "14"
    assert "hash match, source ncmec-industry" in doc.findtext("additionalInfo")


def test_file_details_validate_and_carry_hashes_exif_and_upload_ip(
    full_report: Report, ncmec_xsd: Path
) -> None:
    file = full_report.files[0]
    xml = render_file_details(full_report, file, report_id=4564654, file_id="abc123",
                              file_name="evidence-0001.jpg")
    schema = _schema(ncmec_xsd)
    doc = etree.fromstring(xml)
    assert schema.validate(doc), schema.error_log
    hashes = {e.get("hashType"): e.text for e in doc.iterfind("originalFileHash")}
    assert hashes == {"MD5": file.md5, "SHA1": file.sha1}
    assert doc.findtext("ipCaptureEvent/ipAddress") == "203.0.113.7"
    assert doc.findtext("ipCaptureEvent/port") == "51234"
    assert {p.findtext("name") for p in doc.iterfind("details[@type='EXIF']/nameValuePair")} == {
        "Model", "DateTimeOriginal"}
    annotations = [e.tag for e in doc.find("fileAnnotations")]
    assert annotations == ["possibleSelfProduction", "liveStreaming"]  # XSD order, report flag merged
    assert doc.findtext("fileViewedByEsp") == "true"


def test_minimal_report_has_only_the_two_required_facts(ncmec_xsd: Path, t0: datetime) -> None:
    report = Report(reference="r-min", incident_at=t0)
    doc = etree.fromstring(render_report(report))
    assert _schema(ncmec_xsd).validate(doc)
    assert [e.tag for e in doc] == ["incidentSummary", "reporter", "additionalInfo"]
    assert doc.find("incidentSummary/escalateToHighPriority") is None  # P3: no escalation


def test_false_annotations_are_left_out_not_written_false(t0: datetime) -> None:
    report = Report(reference="r", incident_at=t0, annotations=frozenset())
    xml = render_report(report)
    assert b"reportAnnotations" not in xml and b"false</sextortion" not in xml


def test_out_of_order_xml_fails_the_schema(full_report: Report, ncmec_xsd: Path) -> None:
    """The check that element order matters is real: swapping two children breaks validation."""
    doc = etree.fromstring(render_report(full_report))
    summary = doc.find("incidentSummary")
    platform = summary.find("platform")
    summary.remove(platform)
    summary.append(platform)
    assert not _schema(ncmec_xsd).validate(doc)


def test_urls_lose_whitespace_and_control_characters() -> None:
    assert clean_url(" https://x.test/a b\t\x01c\n") == "https://x.test/abc"


def test_unknown_annotation_is_refused(t0: datetime) -> None:
    with pytest.raises(ValueError, match="unknown annotations"):
        Report(reference="r", incident_at=t0, annotations=frozenset({"notAFlag"}))
