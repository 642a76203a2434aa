"""The destination-neutral report: every fact about one confirmed case that any receiver may want.

Field names follow NCMEC where NCMEC has a term (its schema is the richest), with the UK Schedule 1 extras
(billing details, login IPs of the last three months, phone verification, identity documents, prior NCA
references) alongside. Renderers are pure functions of this model (``ncmec_xml``, ``nca``), so a report can
be built from a case (``build.build_report``) or written directly, as the tests do.

Immutable pydantic models: the report frozen into a task (``ReportTask.report``) is what is sent, and
``Report.model_validate(task.report)`` gives it back exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "FILE_ANNOTATIONS",
    "REPORT_ANNOTATIONS",
    "Account",
    "Address",
    "AssociatedAccount",
    "Detection",
    "DeviceId",
    "Email",
    "IncidentType",
    "InternetDetail",
    "IpEvent",
    "Person",
    "Phone",
    "Report",
    "ReportFile",
    "Reporter",
]

REPORT_ANNOTATIONS = (
    "sextortion", "csamSolicitation", "minorToMinorInteraction", "spam", "sadisticOnlineExploitation",
)
FILE_ANNOTATIONS = (
    "animeDrawingVirtualHentai", "potentialMeme", "viral", "possibleSelfProduction", "physicalHarm",
    "violenceGore", "bestiality", "liveStreaming", "infant", "generativeAi",
)
IpEventName = Literal["Login", "Registration", "Purchase", "Upload", "Other", "Unknown"]
DetectionMethod = Literal[
    "hash_match", "classifier", "user_report", "trusted_flagger", "moderator", "other"
]


class IncidentType(StrEnum):
    """NCMEC's ``incidentType`` values, verbatim (the XSD enumeration)."""

    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE_TO_CHILD = "Unsolicited Obscene Material Sent to a Child"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IpEvent(_Model):
    ip: str
    event: IpEventName | None = None
    at: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = Field(default=None, ge=0, le=65535)


class DeviceId(_Model):
    id_type: str
    value: str
    event: IpEventName | None = None
    at: datetime | None = None


class Email(_Model):
    address: str
    type: Literal["Home", "Work", "Business", "Recovery"] | None = None
    verified: bool | None = None
    verified_at: datetime | None = None


class Phone(_Model):
    number: str
    type: Literal["Mobile", "Home", "Business", "Work", "Fax", "Internet", "Recovery"] | None = None
    country_code: str | None = Field(default=None, pattern=r"^\+[0-9]{1,3}$")
    extension: str | None = Field(default=None, pattern=r"^[0-9]+$")
    verified: bool | None = None
    verified_at: datetime | None = None


class Address(_Model):
    type: Literal["Home", "Business", "Billing", "Shipping", "Technical"] | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    us_state: str | None = None
    region: str | None = None
    country: str | None = Field(default=None, description="ISO 3166 alpha-2 code")


class Person(_Model):
    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    addresses: tuple[Address, ...] = ()
    age: int | None = Field(default=None, ge=0, le=150)
    date_of_birth: date | None = None


class AssociatedAccount(_Model):
    """A linked account ("connections with other accounts", SI 2026/268 reg 2) or a billing account."""

    type: Literal["Billing", "Linked", "Business", "Creator", "Parent/Guardian", "Other"]
    platform: str | None = None
    third_party: bool | None = None
    esp_identifier: str | None = None
    screen_name: str | None = None
    profile_urls: tuple[str, ...] = ()
    emails: tuple[Email, ...] = ()
    additional_info: str | None = None


class Account(_Model):
    """An account on the service: the reported user, a victim or an intended recipient."""

    esp_identifier: str | None = None
    esp_service: str | None = None
    screen_name: str | None = None
    display_names: tuple[str, ...] = ()
    profile_urls: tuple[str, ...] = ()
    profile_bio: str | None = None
    person: Person | None = None
    ip_events: tuple[IpEvent, ...] = Field(default=(), description="incl. login IPs, last 3 months")
    device_ids: tuple[DeviceId, ...] = ()
    compromised: bool | None = None
    disabled_at: datetime | None = None
    permanently_disabled: bool | None = None
    user_notified: bool | None = None
    country_code: str | None = None
    all_emails_reported: bool | None = None
    associated_accounts: tuple[AssociatedAccount, ...] = ()
    billing_details: str | None = None
    identity_documents: tuple[str, ...] = Field(default=(), description="Schedule 1 para 5")
    school_name: str | None = None
    prior_ncmec_report_ids: tuple[int, ...] = ()
    additional_info: str | None = None


class Detection(_Model):
    """How the content was found, with its explanation (bank entry, distance; classifier score; …)."""

    method: DetectionMethod
    source: str | None = Field(default=None, description="bank, classifier or reporter name")
    entry_id: str | None = None
    signal_type: str | None = None
    distance: float | None = None
    threshold: float | None = None
    score: float | None = None
    detail: str | None = None

    def describe(self) -> str:
        parts = [self.method.replace("_", " ")]
        if self.source:
            parts.append(f"source {self.source}")
        if self.signal_type:
            parts.append(f"signal {self.signal_type}")
        if self.entry_id:
            parts.append(f"entry {self.entry_id}")
        if self.distance is not None:
            limit = f" (threshold {self.threshold:g})" if self.threshold is not None else ""
            parts.append(f"distance {self.distance:g}{limit}")
        if self.score is not None:
            parts.append(f"score {self.score:g}")
        if self.detail:
            parts.append(self.detail)
        return ", ".join(parts)


class ReportFile(_Model):
    """One preserved file: hashes computed at intake, where and when it was uploaded, and from where."""

    evidence_id: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")
    sha1: str | None = None
    pdq: str | None = None
    size: int | None = None
    media_type: str | None = None
    filename: str | None = None
    original_filename: str | None = None
    uploaded_at: datetime | None = None
    url: str | None = None
    upload_ip: IpEvent | None = None
    exif: dict[str, str] = Field(default_factory=dict)
    publicly_available: bool | None = None
    viewed_by_esp: bool = True
    exif_viewed: bool | None = None
    annotations: frozenset[str] = frozenset()
    industry_classification: Literal["A1", "A2", "B1", "B2"] | None = None
    uk_category: Literal["A", "B", "C"] | None = None
    relevance: Literal["Reported", "Supplemental Reported"] = "Reported"
    detections: tuple[Detection, ...] = ()
    additional_info: str | None = None

    @field_validator("annotations")
    @classmethod
    def _known_file_annotations(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = set(value) - set(FILE_ANNOTATIONS)
        if unknown:
            raise ValueError(f"unknown file annotations: {sorted(unknown)}")
        return value


class InternetDetail(_Model):
    """Where it happened (one NCMEC ``internetDetails``)."""

    kind: Literal["web", "chat", "email", "gaming"]
    urls: tuple[str, ...] = ()
    third_party_hosted: bool | None = None
    chat_client: str | None = None
    chat_room: str | None = None
    game: str | None = None
    emails: tuple[Email, ...] = ()
    content: str | None = None
    additional_info: str | None = None


class Reporter(_Model):
    """The organisation and the authorised person who submits (NCMEC ``reporter``; Schedule 1 para 1)."""

    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_country_code: str | None = Field(default=None, pattern=r"^\+[0-9]{1,3}$")
    country: str | None = None
    contact_email: str | None = None
    company_template: str | None = None
    terms_url: str | None = None
    legal_url: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.company or "")


class Report(_Model):
    """One report about one case, for any destination."""

    reference: str = Field(description="our id, e.g. firstlight-task-12")
    case_id: int | None = None
    incident_type: IncidentType = IncidentType.CHILD_PORNOGRAPHY
    incident_at: datetime
    incident_at_description: str | None = None
    platform: str | None = None
    priority: Literal["P1", "P2", "P3"] = "P3"
    escalation_reason: str | None = Field(default=None, description="why P1; NCMEC escalation")
    annotations: frozenset[str] = frozenset()
    detections: tuple[Detection, ...] = ()
    internet_details: tuple[InternetDetail, ...] = ()
    reported: tuple[Account, ...] = ()
    intended_recipients: tuple[Account, ...] = ()
    victims: tuple[Account, ...] = ()
    files: tuple[ReportFile, ...] = ()
    prior_ncmec_report_ids: tuple[int, ...] = ()
    prior_nca_references: tuple[str, ...] = ()
    uk_linked: bool | None = None
    uk_link_basis: str | None = None
    assessment: str | None = Field(default=None, description="reviewer's assessment (para 3)")
    additional_info: str | None = None
    reporter: Reporter = Field(default_factory=Reporter)

    @field_validator("annotations")
    @classmethod
    def _known_annotations(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = set(value) - set(REPORT_ANNOTATIONS) - set(FILE_ANNOTATIONS)
        if unknown:
            raise ValueError(f"unknown annotations: {sorted(unknown)}")
        return value

    @property
    def detection_methods(self) -> list[str]:
        """Every distinct detection method, report-level and per file, in first-seen order."""
        seen: dict[str, None] = {}
        for detection in (*self.detections, *(d for f in self.files for d in f.detections)):
            seen.setdefault(detection.method, None)
        return list(seen)
