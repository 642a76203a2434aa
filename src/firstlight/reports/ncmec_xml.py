"""Render a ``Report`` as NCMEC CyberTipline XML: the ``/submit`` ``<report>`` and each ``<fileDetails>``.

The XSD's children are ``xs:sequence``s, so element order matters (NCMEC answers 4100 otherwise); every
function below writes its children in the XSD's order, and an element is left out when we have nothing for
it. Annotations are presence flags: an empty element means true, and ``false`` is invalid, so a false
annotation is simply not written. The product does not need the XSD at run time; the tests validate the
output against NCMEC's schema from ``../shared/spec/ncmec/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from lxml import etree

from firstlight.reports.report import (
    FILE_ANNOTATIONS,
    REPORT_ANNOTATIONS,
    Account,
    Address,
    AssociatedAccount,
    DeviceId,
    Email,
    InternetDetail,
    IpEvent,
    Person,
    Phone,
    Report,
    ReportFile,
)

__all__ = ["clean_url", "render_file_details", "render_report"]

_URL_JUNK = re.compile(r"[\s\x00-\x1f\x7f]+")
_ESCALATION_MAX = 3000


def clean_url(url: str) -> str:
    """Drop whitespace and control characters, which NCMEC rejects in ``<url>`` with 4100."""
    return _URL_JUNK.sub("", url)


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _text(parent: etree._Element, tag: str, value: object | None) -> etree._Element | None:
    """Append ``<tag>value</tag>`` unless value is None or empty."""
    if value is None or value == "":
        return None
    child = etree.SubElement(parent, tag)
    if isinstance(value, bool):
        child.text = _bool(value)
    elif isinstance(value, datetime):
        child.text = _ts(value)
    elif isinstance(value, date):
        child.text = value.isoformat()
    else:
        child.text = _xml_safe(str(value))
    return child


def _xml_safe(value: str) -> str:
    """XML 1.0 cannot carry most control characters; drop them rather than fail the whole report."""
    return "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 0x20)


def _country(code: str | None) -> str | None:
    if code and len(code.strip()) == 2:
        return code.strip().upper()
    return None


def _email(parent: etree._Element, tag: str, email: Email) -> None:
    element = _text(parent, tag, email.address)
    if element is None:
        return
    if email.type:
        element.set("type", email.type)
    if email.verified is not None:
        element.set("verified", _bool(email.verified))
    if email.verified_at:
        element.set("verificationDate", _ts(email.verified_at))


def _phone(parent: etree._Element, tag: str, phone: Phone) -> None:
    element = _text(parent, tag, phone.number)
    if element is None:
        return
    if phone.type:
        element.set("type", phone.type)
    if phone.verified is not None:
        element.set("verified", _bool(phone.verified))
    if phone.verified_at:
        element.set("verificationDate", _ts(phone.verified_at))
    if phone.country_code:
        element.set("countryCallingCode", phone.country_code)
    if phone.extension:
        element.set("extension", phone.extension)


def _address(parent: etree._Element, address: Address) -> None:
    element = etree.SubElement(parent, "address")
    if address.type:
        element.set("type", address.type)
    _text(element, "address", address.street)
    _text(element, "city", address.city)
    _text(element, "zipCode", address.postcode)
    country = _country(address.country)
    if address.us_state and country in (None, "US"):
        _text(element, "state", address.us_state.strip().upper())
    else:
        _text(element, "nonUsaState", address.region or address.us_state)
    _text(element, "country", country)


def _person(parent: etree._Element, tag: str, person: Person | None, *, full: bool = True) -> None:
    element = etree.SubElement(parent, tag)
    if person is None:
        return
    _text(element, "firstName", person.first_name)
    _text(element, "lastName", person.last_name)
    for phone in person.phones:
        _phone(element, "phone", phone)
    for email in person.emails:
        _email(element, "email", email)
    for address in person.addresses:
        _address(element, address)
    if full:
        _text(element, "age", person.age)
        _text(element, "dateOfBirth", person.date_of_birth)


def _ip_event(parent: etree._Element, event: IpEvent) -> None:
    element = etree.SubElement(parent, "ipCaptureEvent")
    _text(element, "ipAddress", event.ip)
    _text(element, "eventName", event.event)
    _text(element, "dateTime", event.at)
    _text(element, "possibleProxy", event.possible_proxy)
    _text(element, "port", event.port)


def _device(parent: etree._Element, device: DeviceId) -> None:
    element = etree.SubElement(parent, "deviceId")
    _text(element, "idType", device.id_type)
    _text(element, "idValue", device.value)
    _text(element, "eventName", device.event)
    _text(element, "dateTime", device.at)


def _disabled(parent: etree._Element, account: Account) -> None:
    if account.disabled_at is None:
        return
    tag = "accountPermanentlyDisabled" if account.permanently_disabled else "accountTemporarilyDisabled"
    element = _text(parent, tag, True)
    assert element is not None
    element.set("disabledDate", _ts(account.disabled_at))
    if account.user_notified is not None:
        element.set("userNotified", _bool(account.user_notified))


def _associated(parent: etree._Element, linked: AssociatedAccount) -> None:
    element = etree.SubElement(parent, "associatedAccount", type=linked.type)
    if linked.platform:
        platform = _text(element, "platform", linked.platform)
        if platform is not None and linked.third_party is not None:
            platform.set("thirdPartyUser", _bool(linked.third_party))
    for email in linked.emails:
        _email(element, "email", email)
    _text(element, "espIdentifier", linked.esp_identifier)
    for url in linked.profile_urls:
        _text(element, "profileUrl", clean_url(url))
    _text(element, "screenName", linked.screen_name)
    _text(element, "additionalInfo", linked.additional_info)


def _account_head(element: etree._Element, account: Account) -> None:
    """The shared run espIdentifier … deviceId, in the order all three account types use."""
    _text(element, "espIdentifier", account.esp_identifier)
    _text(element, "espService", account.esp_service)
    _text(element, "compromisedAccount", account.compromised)
    _text(element, "screenName", account.screen_name)
    for name in account.display_names:
        _text(element, "displayName", name)
    for url in account.profile_urls:
        _text(element, "profileUrl", clean_url(url))
    _text(element, "profileBio", account.profile_bio)
    for event in account.ip_events:
        _ip_event(element, event)
    for device in account.device_ids:
        _device(element, device)


def _account_tail(element: etree._Element, account: Account) -> None:
    _disabled(element, account)
    country = _country(account.country_code)
    if country:
        location = etree.SubElement(element, "estimatedLocation")
        _text(location, "countryCode", country)
    _text(element, "allEmailsReported", account.all_emails_reported)


def _uk_extras(account: Account) -> str | None:
    """Schedule 1 facts NCMEC has no element for go into additionalInfo, labelled."""
    lines = [account.additional_info] if account.additional_info else []
    if account.billing_details:
        lines.append(f"Billing details: {account.billing_details}")
    if account.identity_documents:
        lines.append("Identity documents held: " + "; ".join(account.identity_documents))
    return "\n".join(lines) or None


def _reported(parent: etree._Element, account: Account) -> None:
    element = etree.SubElement(parent, "personOrUserReported")
    if account.person is not None:
        _person(element, "personOrUserReportedPerson", account.person)
    _account_head(element, account)
    for report_id in account.prior_ncmec_report_ids:
        _text(element, "priorCTReports", report_id)
    _account_tail(element, account)
    for linked in account.associated_accounts:
        _associated(element, linked)
    _text(element, "additionalInfo", _uk_extras(account))


def _recipient(parent: etree._Element, account: Account) -> None:
    element = etree.SubElement(parent, "intendedRecipient")
    if account.person is not None:
        _person(element, "intendedRecipientPerson", account.person)
    _account_head(element, account)
    for report_id in account.prior_ncmec_report_ids:
        _text(element, "priorCTReports", report_id)
    _account_tail(element, account)
    _text(element, "additionalInfo", account.additional_info)


def _victim(parent: etree._Element, account: Account) -> None:
    element = etree.SubElement(parent, "victim")
    _person(element, "victimPerson", account.person)
    _account_head(element, account)
    _text(element, "schoolName", account.school_name)
    for report_id in account.prior_ncmec_report_ids:
        _text(element, "priorCTReports", report_id)
    _account_tail(element, account)
    for linked in account.associated_accounts:
        _associated(element, linked)
    _text(element, "additionalInfo", account.additional_info)


def _internet(parent: etree._Element, detail: InternetDetail) -> None:
    wrapper = etree.SubElement(parent, "internetDetails")
    if detail.kind == "web":
        element = etree.SubElement(wrapper, "webPageIncident")
        if detail.third_party_hosted is not None:
            element.set("thirdPartyHostedContent", _bool(detail.third_party_hosted))
        for url in detail.urls:
            _text(element, "url", clean_url(url))
    elif detail.kind == "email":
        element = etree.SubElement(wrapper, "emailIncident")
        for email in detail.emails:
            _email(element, "emailAddress", email)
        _text(element, "content", detail.content)
    elif detail.kind == "chat":
        element = etree.SubElement(wrapper, "chatImIncident")
        _text(element, "chatClient", detail.chat_client)
        _text(element, "chatRoomName", detail.chat_room)
        _text(element, "content", detail.content)
    else:
        element = etree.SubElement(wrapper, "onlineGamingIncident")
        _text(element, "gameName", detail.game)
        _text(element, "content", detail.content)
    _text(element, "additionalInfo", detail.additional_info)


def _flags(parent: etree._Element, tag: str, names: Iterable[str], vocabulary: tuple[str, ...]) -> None:
    chosen = [name for name in vocabulary if name in set(names)]
    if chosen:
        element = etree.SubElement(parent, tag)
        for name in chosen:
            etree.SubElement(element, name)


def _report_additional_info(report: Report) -> str | None:
    lines = [f"Reference: {report.reference}"]
    if report.detections or any(f.detections for f in report.files):
        lines.append("Detection: " + "; ".join(
            d.describe() for d in (*report.detections, *(d for f in report.files for d in f.detections))
        ))
    if report.assessment:
        lines.append(f"Assessment: {report.assessment}")
    if report.additional_info:
        lines.append(report.additional_info)
    return "\n".join(lines)


def _to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_report(report: Report) -> bytes:
    """The ``<report>`` document posted to ``/submit``."""
    root = etree.Element("report")
    summary = etree.SubElement(root, "incidentSummary")
    _text(summary, "incidentType", report.incident_type.value)
    _text(summary, "platform", report.platform)
    if report.priority == "P1" or report.escalation_reason:
        reason = report.escalation_reason or "Priority 1: imminent risk to a child"
        _text(summary, "escalateToHighPriority", reason.strip()[:_ESCALATION_MAX])
    _flags(summary, "reportAnnotations", report.annotations, REPORT_ANNOTATIONS)
    _text(summary, "incidentDateTime", report.incident_at)
    _text(summary, "incidentDateTimeDescription", report.incident_at_description)
    for detail in report.internet_details:
        _internet(root, detail)

    reporter = etree.SubElement(root, "reporter")
    person = etree.SubElement(reporter, "reportingPerson")
    info = report.reporter
    _text(person, "firstName", info.first_name)
    _text(person, "lastName", info.last_name)
    if info.phone:
        _phone(person, "phone", Phone(number=info.phone, type="Business",
                                      country_code=info.phone_country_code))
    if info.email:
        _email(person, "email", Email(address=info.email, type="Business"))
    if info.country:
        _address(person, Address(type="Business", country=info.country))
    if info.contact_email:
        contact = etree.SubElement(reporter, "contactPerson")
        _email(contact, "email", Email(address=info.contact_email, type="Business"))
    _text(reporter, "companyTemplate", info.company_template)
    _text(reporter, "termsOfService", info.terms_url)
    _text(reporter, "legalURL", info.legal_url)

    for account in report.reported:
        _reported(root, account)
    for account in report.intended_recipients:
        _recipient(root, account)
    for account in report.victims:
        _victim(root, account)
    _text(root, "additionalInfo", _report_additional_info(report))
    return _to_bytes(root)


def render_file_details(
    report: Report, file: ReportFile, *, report_id: str | int, file_id: str, file_name: str | None
) -> bytes:
    """The ``<fileDetails>`` document posted to ``/fileinfo`` for one uploaded file."""
    root = etree.Element("fileDetails")
    _text(root, "reportId", report_id)
    _text(root, "fileId", file_id)
    _text(root, "fileName", file_name)
    _text(root, "originalFileName", file.original_filename)
    _text(root, "uploadedToEspTimestamp", file.uploaded_at)
    _text(root, "locationOfFile", clean_url(file.url) if file.url else None)
    exif_viewed = bool(file.exif_viewed)
    _text(root, "fileViewedByEsp", file.viewed_by_esp or exif_viewed)
    _text(root, "exifViewedByEsp", file.exif_viewed)
    _text(root, "publiclyAvailable", file.publicly_available)
    _text(root, "fileRelevance", file.relevance)
    _flags(root, "fileAnnotations", set(file.annotations) | set(report.annotations), FILE_ANNOTATIONS)
    _text(root, "industryClassification", file.industry_classification)
    for hash_type, value in (("MD5", file.md5), ("SHA1", file.sha1)):
        if value:
            element = _text(root, "originalFileHash", value)
            assert element is not None
            element.set("hashType", hash_type)
    if file.upload_ip is not None:
        _ip_event(root, file.upload_ip)
    if file.exif:
        details = etree.SubElement(root, "details", type="EXIF")
        for name, value in sorted(file.exif.items()):
            pair = etree.SubElement(details, "nameValuePair")
            _text(pair, "name", name)
            etree.SubElement(pair, "value").text = _xml_safe(str(value))
    hashes = {"SHA256": file.sha256, **({"PDQ": file.pdq} if file.pdq else {})}
    details = etree.SubElement(root, "details", type="HASH")
    for name, value in hashes.items():
        pair = etree.SubElement(details, "nameValuePair")
        _text(pair, "name", name)
        _text(pair, "value", value)
    notes = [file.additional_info] if file.additional_info else []
    notes += [d.describe() for d in file.detections]
    if file.uk_category:
        notes.append(f"UK category {file.uk_category}")
    for note in notes:
        _text(root, "additionalInfo", note)
    return _to_bytes(root)
