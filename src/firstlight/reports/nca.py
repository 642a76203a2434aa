"""The NCA report: Schedule 1 of SI 2026/268 as a structured bundle (JSON) and a readable document.

The NCA publishes no API specification (``shared/research/formats.md`` §2.2): reports go through its CSEA
Industry Reporting Portal, typed in by an authorised person, who then records the portal's reference here
(``record_nca_reference``). So the bundle is keyed by Schedule 1 paragraph, carries every field the case
holds ("where that information is available", reg 6(4)(a)), and renders as a document laid out in the
same order for entry, ending with the para 7 declaration. ``NcaTransport`` is the seam for the API the NCA
gives registered providers: an implementation returns the reference, and nothing else changes.
"""

from __future__ import annotations

import abc
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment

from firstlight.reports.report import Account, IpEvent, Report

__all__ = [
    "DECLARATION",
    "BUNDLE_FORMAT",
    "ManualPortalTransport",
    "NcaReceipt",
    "NcaTransport",
    "render_bundle",
    "render_document",
]

BUNDLE_FORMAT = "firstlight.nca-schedule1/1"
LOGIN_IP_WINDOW = timedelta(days=92)  # "login IP addresses from the prior three months"
DECLARATION = (
    "I declare that, to the best of my knowledge and belief, all information reasonably available to "
    "the provider that is required by Schedule 1 to the Online Safety (CSEA Content Reporting by "
    "Regulated User-to-User Service Providers) Regulations 2026 has been included in this report, and "
    "that it is true. (Knowingly or recklessly giving false information is an offence: OSA s.69.)"
)
PRIORITY_MEANING = {
    "P1": "Priority 1: imminent risk to a child's life or of serious harm - report immediately",
    "P2": "Priority 2: report as soon as reasonably practicable",
    "P3": "Priority 3: report without undue delay",
}


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _ip(event: IpEvent) -> dict[str, Any]:
    return {"ip_address": event.ip, "port": event.port, "timestamp": _ts(event.at),
            "event": event.event, "possible_proxy": event.possible_proxy}


def _user(account: Account, incident_at: datetime) -> dict[str, Any]:
    person = account.person
    emails = person.emails if person else ()
    since = incident_at - LOGIN_IP_WINDOW
    return {
        "account_id": account.esp_identifier,
        "username": account.screen_name,
        "display_names": list(account.display_names),
        "profile_urls": list(account.profile_urls),
        "name": " ".join(p for p in ((person.first_name, person.last_name) if person else ())
                         if p) or None,
        "date_of_birth": person.date_of_birth.isoformat() if person and person.date_of_birth else None,
        "emails": [{"address": e.address, "verified": e.verified, "verified_at": _ts(e.verified_at)}
                   for e in emails if e.type != "Recovery"],
        "recovery_emails": [e.address for e in emails if e.type == "Recovery"],
        "telephones": [{"number": (p.country_code or "") + p.number, "verified": p.verified,
                        "verified_at": _ts(p.verified_at)} for p in (person.phones if person else ())],
        "billing_details": account.billing_details,
        "addresses": [a.model_dump(exclude_none=True) for a in (person.addresses if person else ())],
        "login_ips_prior_three_months": [
            _ip(e) for e in account.ip_events if e.at is None or e.at >= since
        ],
        "device_ids": [d.model_dump(mode="json", exclude_none=True) for d in account.device_ids],
        "connections_with_other_accounts": [
            a.model_dump(mode="json", exclude_none=True) for a in account.associated_accounts
        ],
        "account_disabled_at": _ts(account.disabled_at),
        "country": account.country_code,
        "additional_info": account.additional_info,
    }


def render_bundle(report: Report) -> dict[str, Any]:
    """The Schedule 1 bundle, keyed by paragraph; absent facts are ``null`` or empty, never invented."""
    reporter = report.reporter
    methods = report.detection_methods
    return {
        "format": BUNDLE_FORMAT,
        "reference": report.reference,
        "case_id": report.case_id,
        "priority": report.priority,
        "priority_meaning": PRIORITY_MEANING[report.priority],
        "escalation_reason": report.escalation_reason,
        "para1_reporter": {
            "organisation": reporter.company, "name": reporter.name or None,
            "email": reporter.email,
            "telephone": ((reporter.phone_country_code or "") + reporter.phone) if reporter.phone
            else None,
        },
        "para2_content": {
            "incident_type": report.incident_type.value,
            "incident_datetime": _ts(report.incident_at),
            "platform": report.platform,
            "detection_methods": methods,
            "detections": [d.describe() for d in report.detections],
            "previously_reported": bool(report.prior_nca_references or report.prior_ncmec_report_ids),
            "previous_nca_references": list(report.prior_nca_references),
            "previous_ncmec_reports": list(report.prior_ncmec_report_ids),
            "files": [
                {
                    "evidence_id": f.evidence_id,
                    "description": " ".join(x for x in (f.media_type, f"{f.size} bytes" if f.size
                                                        else None) if x) or None,
                    "original_filename": f.original_filename,
                    "content_url": f.url,
                    "original_file_hash": {"sha256": f.sha256, "md5": f.md5, "sha1": f.sha1,
                                           "pdq": f.pdq},
                    "upload_datetime": _ts(f.uploaded_at),
                    "upload_ip": f.upload_ip.ip if f.upload_ip else None,
                    "upload_port": f.upload_ip.port if f.upload_ip else None,
                    "upload_ip_timestamp": _ts(f.upload_ip.at) if f.upload_ip else None,
                    "exif": dict(f.exif),
                    "detection": [d.describe() for d in f.detections],
                    "uk_category": f.uk_category,
                    "industry_classification": f.industry_classification,
                    "annotations": sorted(f.annotations),
                    "publicly_available": f.publicly_available,
                }
                for f in report.files
            ],
        },
        "para3_assessment": {
            "assessment": report.assessment,
            "annotations": sorted(report.annotations),
            "locations": [d.model_dump(mode="json", exclude_none=True)
                          for d in report.internet_details],
        },
        "para4_users": [_user(a, report.incident_at) for a in report.reported],
        "para5_identity_documents": [doc for a in report.reported for doc in a.identity_documents],
        "para6_other": {
            "uk_linked": report.uk_linked,
            "uk_link_basis": report.uk_link_basis,
            "victims": [v.model_dump(mode="json", exclude_none=True) for v in report.victims],
            "intended_recipients": [r.model_dump(mode="json", exclude_none=True)
                                    for r in report.intended_recipients],
            "additional_info": report.additional_info,
        },
        "para7_declaration": {"text": DECLARATION, "declared_by": None, "declared_at": None},
    }


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>NCA CSEA report {{ b.reference }}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}th{text-align:left;
vertical-align:top;width:16rem}td,th{border-bottom:1px solid #ddd;padding:.3rem}
.p1{color:#b00;font-weight:bold}</style></head><body>
<h1>CSEA report for the NCA Industry Reporting Portal</h1>
<p>Reference {{ b.reference }} &middot; <span class="{{ b.priority|lower }}">{{ b.priority_meaning }}</span>
{% if b.escalation_reason %}<br>Escalation: {{ b.escalation_reason }}{% endif %}</p>
{% macro table(d) %}<table>{% for k, v in d.items() %}{% if v not in (None, [], {}, "") %}
<tr><th>{{ k|replace("_", " ") }}</th><td>{% if v is mapping %}{{ table(v) }}
{% elif v is iterable and v is not string %}<ul>{% for i in v %}<li>{% if i is mapping %}{{ table(i) }}
{% else %}{{ i }}{% endif %}</li>{% endfor %}</ul>{% else %}{{ v }}{% endif %}</td></tr>
{% endif %}{% endfor %}</table>{% endmacro %}
<h2>1. Authorised person submitting the report</h2>{{ table(b.para1_reporter) }}
<h2>2. The detected CSEA content</h2>{{ table(b.para2_content) }}
<h2>3. Information available to the authorised person</h2>{{ table(b.para3_assessment) }}
<h2>4. The user(s) identified</h2>{% for u in b.para4_users %}{{ table(u) }}{% endfor %}
<h2>5. Identity documents held</h2>{% if b.para5_identity_documents %}<ul>
{% for d in b.para5_identity_documents %}<li>{{ d }}</li>{% endfor %}</ul>
{% else %}<p>None held.</p>{% endif %}
<h2>6. Other information</h2>{{ table(b.para6_other) }}
<h2>7. Declaration</h2><p>{{ b.para7_declaration.text }}</p>
<p>Declared by: {{ b.para7_declaration.declared_by or "________________" }}
&middot; Date: {{ b.para7_declaration.declared_at or "________________" }}</p>
<p>NCA reference (enter after submission): {{ nca_reference or "________________" }}</p>
</body></html>
"""
_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_document(bundle: dict[str, Any], *, nca_reference: str | None = None) -> str:
    """The readable document (HTML, autoescaped) for typing the report into the portal."""
    return _ENV.from_string(_TEMPLATE).render(b=bundle, nca_reference=nca_reference)


class NcaReceipt:
    def __init__(self, reference: str) -> None:
        self.reference = reference


class NcaTransport(abc.ABC):
    """How a bundle reaches the NCA. ``send`` returns a receipt, or None when a person must file it."""

    name: str = "abstract"

    @abc.abstractmethod
    def send(self, bundle: dict[str, Any]) -> NcaReceipt | None: ...


class ManualPortalTransport(NcaTransport):
    """Today's route: the authorised person enters the document in the portal and records the reference."""

    name = "portal"

    def send(self, bundle: dict[str, Any]) -> NcaReceipt | None:
        return None
