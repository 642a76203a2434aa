"""A client of NCMEC's CyberTipline Reporting API (ISPWS): ``/status /submit /upload /fileinfo /finish
/retract /xsd`` over HTTPS with HTTP Basic auth.

Every call returns the parsed ``reportResponse`` (or ``reportDoneResponse``) whatever the HTTP status,
because NCMEC puts the meaning in ``responseCode`` (4100 arrives with HTTP 400, and some servers answer 200
for everything). Codes are *not* turned into exceptions here: the delivery outbox decides what 5001 or 5102
mean for a report. Only a failure to get any answer (network, timeout, a body that is not XML) raises
``NcmecUnavailable``, which is always retryable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from lxml import etree

__all__ = [
    "CODE_AUTH",
    "CODE_FINISHED",
    "CODE_NOT_AUTHORISED",
    "CODE_OK",
    "CODE_SERVER_ERROR",
    "CODE_UNKNOWN_REPORT",
    "CODE_VALIDATION",
    "NcmecClient",
    "NcmecResponse",
    "NcmecUnavailable",
]

CODE_OK = 0
CODE_SERVER_ERROR = 1000
CODE_AUTH = 2000
CODE_NOT_AUTHORISED = 3000
CODE_VALIDATION = 4100
CODE_UNKNOWN_REPORT = 5001
CODE_FINISHED = 5102
RETRYABLE_CODES = frozenset({CODE_SERVER_ERROR})


class NcmecUnavailable(Exception):
    """No usable answer from ISPWS (network error, timeout, a body that is not XML). Retry later."""


@dataclass(frozen=True)
class NcmecResponse:
    code: int
    description: str
    http_status: int
    report_id: str | None = None
    file_id: str | None = None
    hash: str | None = None
    file_ids: list[str] = field(default_factory=list)
    body: str = ""

    @property
    def ok(self) -> bool:
        return self.code == CODE_OK

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES or self.http_status >= 500

    def summary(self) -> dict[str, object]:
        """What the outbox keeps of each answer (the audit of what NCMEC said)."""
        return {k: v for k, v in {
            "code": self.code, "description": self.description, "http": self.http_status,
            "reportId": self.report_id, "fileId": self.file_id, "hash": self.hash,
            "files": self.file_ids or None,
        }.items() if v is not None}


def _parse(response: httpx.Response) -> NcmecResponse:
    try:
        root = etree.fromstring(
            response.content, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
        code = int(root.findtext("responseCode") or "")
    except (etree.XMLSyntaxError, ValueError) as exc:
        if response.status_code == 401:
            return NcmecResponse(CODE_AUTH, "HTTP 401: authentication required", 401)
        raise NcmecUnavailable(
            f"ISPWS answered HTTP {response.status_code} without a report response"
        ) from exc
    return NcmecResponse(
        code=code,
        description=(root.findtext("responseDescription") or "").strip(),
        http_status=response.status_code,
        report_id=(root.findtext("reportId") or "").strip() or None,
        file_id=(root.findtext("fileId") or "").strip() or None,
        hash=(root.findtext("hash") or "").strip().lower() or None,
        file_ids=[(e.text or "").strip() for e in root.iterfind("files/fileId")],
        body=response.text,
    )


class NcmecClient:
    """One ISPWS endpoint (test ``https://exttest.cybertip.org/ispws`` or production) with credentials."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, auth=(username, password), timeout=timeout, transport=transport
        )

    @property
    def environment(self) -> str:
        return "prod" if "report.cybertip.org" in self.base_url else "test"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NcmecClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: object) -> NcmecResponse:
        try:
            response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise NcmecUnavailable(f"ISPWS {path}: {exc.__class__.__name__}: {exc}") from exc
        return _parse(response)

    def status(self) -> NcmecResponse:
        """Check that we can connect and authenticate."""
        return self._call("GET", "/status")

    def xsd(self) -> bytes:
        """The schema NCMEC currently validates against (for operators who want to pre-validate)."""
        try:
            response = self._http.get("/xsd")
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise NcmecUnavailable(f"ISPWS /xsd: {exc}") from exc
        return response.content

    def submit(self, report_xml: bytes) -> NcmecResponse:
        """Open a report; the answer carries its ``reportId``."""
        return self._call("POST", "/submit", content=report_xml,
                          headers={"Content-Type": "text/xml; charset=utf-8"})

    def upload(self, report_id: str, filename: str, data: bytes,
               media_type: str = "application/octet-stream") -> NcmecResponse:
        """Add one file; the answer carries its ``fileId`` and the MD5 NCMEC computed."""
        return self._call("POST", "/upload", data={"id": report_id},
                          files={"file": (filename, data, media_type)})

    def fileinfo(self, file_details_xml: bytes) -> NcmecResponse:
        return self._call("POST", "/fileinfo", content=file_details_xml,
                          headers={"Content-Type": "text/xml; charset=utf-8"})

    def finish(self, report_id: str) -> NcmecResponse:
        """Close the report: it becomes a CyberTip and can no longer be changed or retracted."""
        return self._call("POST", "/finish", data={"id": report_id})

    def retract(self, report_id: str) -> NcmecResponse:
        """Cancel an unfinished report."""
        return self._call("POST", "/retract", data={"id": report_id})
