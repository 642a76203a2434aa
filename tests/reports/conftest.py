"""Fixtures of the reports room: a report with every field, NCMEC's XSD, a local NCMEC server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from firstlight.reports.report import (
    Account,
    Address,
    AssociatedAccount,
    Detection,
    DeviceId,
    Email,
    IncidentType,
    InternetDetail,
    IpEvent,
    Person,
    Phone,
    Report,
    Reporter,
    ReportFile,
)
from firstlight.reports.testing import NcmecServer

T0 = datetime(2026, 5, 1, 12, 34, 56, tzinfo=UTC)
CONTENT = b"benign stand-in bytes: a generated test pattern, not abuse material\n"


def _hashes(data: bytes) -> dict[str, str]:
    import hashlib

    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
    }


def make_full_report(reference: str = "firstlight-task-1", data: bytes = CONTENT) -> Report:
    """A report with every field of the model filled (benign, synthetic values)."""
    upload_ip = IpEvent(ip="203.0.113.7", event="Upload", at=T0, possible_proxy=False, port=51234)
    return Report(
        reference=reference,
        case_id=42,
        incident_type=IncidentType.CHILD_PORNOGRAPHY,
        incident_at=T0,
        incident_at_description="Time of first upload of the reported file",
        platform="Example Social for Android",
        priority="P1",
        escalation_reason="Ongoing contact with an identified child",
        annotations=frozenset({"sextortion", "csamSolicitation", "liveStreaming"}),
        detections=(Detection(method="moderator", source="reviewer-7", detail="confirmed"),),
        internet_details=(
            InternetDetail(kind="web", urls=("https://example.social/p/12345 \n",),
                           third_party_hosted=False, additional_info="Public post"),
            InternetDetail(kind="chat", chat_client="Example DM", chat_room="dm:abc",
                           content="(synthetic transcript reference)"),
        ),
        reported=(
            Account(
                esp_identifier="user:8f3a9c",
                esp_service="Example Social",
                screen_name="suspect_handle",
                display_names=("Suspect Display",),
                profile_urls=("https://example.social/@suspect_handle",),
                profile_bio="bio as captured",
                person=Person(
                    first_name="Unknown",
                    phones=(Phone(number="7700900123", type="Mobile", country_code="+44",
                                  verified=True, verified_at=T0),),
                    emails=(Email(address="suspect@example.com", type="Home", verified=True,
                                  verified_at=T0),
                            Email(address="recovery@example.com", type="Recovery")),
                    addresses=(Address(type="Billing", street="1 Example Road", city="London",
                                       postcode="SW1A 1AA", country="GB"),),
                    date_of_birth=date(2000, 1, 1),
                ),
                ip_events=(IpEvent(ip="198.51.100.4", event="Login", at=T0, port=40000),),
                device_ids=(DeviceId(id_type="IDFV", value="0000-0000", event="Login", at=T0),),
                compromised=False,
                disabled_at=T0,
                permanently_disabled=False,
                user_notified=False,
                country_code="GB",
                all_emails_reported=True,
                associated_accounts=(
                    AssociatedAccount(type="Linked", platform="Example Social", third_party=False,
                                      esp_identifier="user:alt123", screen_name="suspect_alt"),
                ),
                billing_details="Card ending 4242, billing postcode SW1A 1AA",
                identity_documents=("Passport scan held (evidence ev-id-1)",),
                prior_ncmec_report_ids=(123456789,),
                additional_info="Account created 2026-04-20",
            ),
        ),
        intended_recipients=(Account(esp_identifier="user:recipient1", screen_name="recipient"),),
        victims=(Account(person=Person(age=14), esp_identifier="user:victim1",
                         screen_name="victim_handle", school_name="Unknown", country_code="GB"),),
        files=(
            ReportFile(
                evidence_id="ev-1",
                **_hashes(data),
                pdq="f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
                size=len(data),
                media_type="image/jpeg",
                filename="evidence-0001.jpg",
                original_filename="IMG_1234.jpg",
                uploaded_at=T0,
                url="https://cdn.example.social/m/abc.jpg",
                upload_ip=upload_ip,
                exif={"Model": "ExampleCam", "DateTimeOriginal": "2026:05:01 12:00:00"},
                publicly_available=True,
                exif_viewed=True,
                annotations=frozenset({"possibleSelfProduction"}),
                industry_classification="A1",
                uk_category="A",
                detections=(Detection(method="hash_match", source="ncmec-industry",
                                      entry_id="e-77", signal_type="pdq", distance=4,
                                      threshold=31),),
            ),
        ),
        prior_ncmec_report_ids=(123456789,),
        prior_nca_references=("NCA-2026-000001",),
        uk_linked=True,
        uk_link_basis="uploaded from the UK (IP geolocation)",
        assessment="Reviewer confirmed category A",
        additional_info="Synthetic test report",
        reporter=Reporter(company="Example Social Ltd", first_name="Trust", last_name="Safety",
                          email="trust-safety@example.social", phone="2079460000",
                          phone_country_code="+44", country="GB",
                          contact_email="legal@example.social",
                          company_template="Legal process: legal@example.social",
                          terms_url="https://example.social/terms",
                          legal_url="https://example.social/legal"),
    )


@pytest.fixture
def full_report() -> Report:
    return make_full_report()


@pytest.fixture
def report_factory() -> Callable[..., Report]:
    """``report_factory(reference, data)``: a full report about the given (benign) file bytes."""
    return make_full_report


@pytest.fixture
def t0() -> datetime:
    return T0


def _shared(request: pytest.FixtureRequest) -> Path:
    try:
        return Path(request.getfixturevalue("shared_dir"))
    except pytest.FixtureLookupError:
        path = Path(__file__).resolve().parents[3] / "shared"
        if not path.is_dir():
            pytest.skip("../shared is absent")
        return path


@pytest.fixture
def ncmec_xsd(request: pytest.FixtureRequest) -> Path:
    """NCMEC's schema, read from ../shared/spec/ncmec (never copied into the project)."""
    path = _shared(request) / "spec" / "ncmec" / "cyber_tipline.xsd"
    if not path.is_file():
        pytest.skip("NCMEC XSD not available in ../shared/spec/ncmec")
    return path


@pytest.fixture
def ncmec_server(ncmec_xsd: Path) -> Iterator[NcmecServer]:
    """A local ISPWS server on a free loopback port, validating against NCMEC's XSD."""
    server = NcmecServer(xsd_path=ncmec_xsd, username="esp-user", password="esp-pass")
    server.start()
    try:
        yield server
    finally:
        server.stop()
