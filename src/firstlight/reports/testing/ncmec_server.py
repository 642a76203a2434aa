"""A local NCMEC ISPWS server that implements the documented protocol, for tests and demos.

It is what ``shared/research/formats.md`` §1.2–1.10 describes, not a stub that says yes:

- HTTP Basic auth on every call: none → HTTP 401; wrong credentials → ``responseCode`` 2000;
- ``/submit`` and ``/fileinfo`` validate the body against NCMEC's XSD (read from a configured path) and
  answer 4100 with the validator's message when it does not validate (element order included);
- an unknown, expired or retracted report → 5001; any change to a finished report → 5102;
- an unfinished report expires 24 hours after it was opened or 1 hour after its last change, whichever
  is later (the clock is injectable: ``advance(seconds)``);
- ``/upload`` answers the MD5 of the bytes it received; ``/finish`` lists the report's file ids;
  ``/retract`` works only before ``/finish``.

It runs uvicorn in a background thread on a loopback port, so the real httpx client talks real HTTP.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["NcmecServer", "ServerFile", "ServerReport"]

IDLE_EXPIRY = timedelta(hours=1)
OPEN_EXPIRY = timedelta(hours=24)


@dataclass
class ServerFile:
    file_id: str
    name: str
    data: bytes
    md5: str
    details: bytes | None = None


@dataclass
class ServerReport:
    report_id: int
    xml: bytes
    opened_at: datetime
    changed_at: datetime
    status: str = "open"  # open | finished | retracted | expired
    files: list[ServerFile] = field(default_factory=list)
    finished_at: datetime | None = None


def _response(code: int, description: str, *, http: int = 200, **extra: Any) -> Response:
    root = etree.Element("reportResponse")
    etree.SubElement(root, "responseCode").text = str(code)
    etree.SubElement(root, "responseDescription").text = description
    for tag in ("reportId", "fileId", "hash"):
        if extra.get(tag) is not None:
            etree.SubElement(root, tag).text = str(extra[tag])
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, status_code=http, media_type="text/xml")


class NcmecServer:
    """The server's state and its ASGI app; ``start()``/``stop()`` run it on 127.0.0.1."""

    def __init__(
        self, *, xsd_path: Path | str, username: str, password: str, first_report_id: int = 4564654
    ) -> None:
        self.schema = etree.XMLSchema(etree.parse(str(xsd_path)))
        self.xsd_text = Path(xsd_path).read_bytes()
        self.username, self.password = username, password
        self.reports: dict[int, ServerReport] = {}
        self.calls: list[tuple[str, int]] = []  # (path, responseCode), for tests to read
        self._ids = itertools.count(first_report_id)
        self._offset = timedelta()
        self._lock = threading.RLock()
        self._fail_next: dict[str, int] = {}
        self.app = Starlette(routes=[
            Route("/status", self._status, methods=["GET"]),
            Route("/xsd", self._xsd, methods=["GET"]),
            Route("/submit", self._submit, methods=["POST"]),
            Route("/upload", self._upload, methods=["POST"]),
            Route("/fileinfo", self._fileinfo, methods=["POST"]),
            Route("/finish", self._finish, methods=["POST"]),
            Route("/retract", self._retract, methods=["POST"]),
        ])
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # --- test controls -----------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (to exercise the 1-hour / 24-hour expiry)."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def fail_next(self, path: str, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``path`` with 1000 (server error, retryable)."""
        with self._lock:
            self._fail_next[path] = self._fail_next.get(path, 0) + times

    def finished_reports(self) -> list[ServerReport]:
        with self._lock:
            return [r for r in self.reports.values() if r.status == "finished"]

    @property
    def base_url(self) -> str:
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self, port: int = 0) -> NcmecServer:
        """Serve on 127.0.0.1 (a free port unless ``port`` is given) in a background thread."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("local NCMEC server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    # --- protocol ----------------------------------------------------------------------------------
    def _auth(self, request: Request) -> Response | None:
        import base64

        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return Response("authentication required", status_code=401,
                            headers={"WWW-Authenticate": 'Basic realm="ispws"'})
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            user, password = "", ""
        if (user, password) != (self.username, self.password):
            return _response(2000, "Authentication required", http=401)
        return None

    def _guard(self, request: Request) -> Response | None:
        denied = self._auth(request)
        if denied is not None:
            return denied
        path = request.url.path
        if self._fail_next.get(path):
            self._fail_next[path] -= 1
            return _response(1000, "Server error, please retry", http=500)
        return None

    def _live(self, report_id: Any) -> ServerReport | Response:
        """The report if it can still be changed; else the 5001/5102 answer."""
        try:
            report = self.reports.get(int(report_id))
        except (TypeError, ValueError):
            report = None
        if report is not None and report.status == "open":
            now = self.now()
            if now > max(report.opened_at + OPEN_EXPIRY, report.changed_at + IDLE_EXPIRY):
                report.status = "expired"
        if report is None or report.status in ("retracted", "expired"):
            return _response(5001, "Report does not exist")
        if report.status == "finished":
            return _response(5102, "Report already finished")
        return report

    def _validate(self, body: bytes, root_tag: str) -> etree._Element | Response:
        try:
            doc = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            return _response(4100, f"Validation failed: {exc}", http=400)
        if doc.tag != root_tag or not self.schema.validate(doc):
            error = ("; ".join(f"line {e.line}: {e.message}" for e in list(self.schema.error_log)[:3])
                     if doc.tag == root_tag else f"root element is not {root_tag}")
            return _response(4100, f"Validation failed: {error}", http=400)
        return doc

    def _done(self, path: str, response: Response) -> Response:
        code = -1
        with contextlib.suppress(etree.XMLSyntaxError, TypeError, ValueError):
            code = int(etree.fromstring(response.body).findtext("responseCode"))
        self.calls.append((path, code))
        return response

    async def _status(self, request: Request) -> Response:
        with self._lock:
            denied = self._guard(request)
            client = request.client.host if request.client else "?"
            return self._done("/status", denied or _response(
                0, f"Remote User : {self.username}, Remote Ip : {client}"))

    async def _xsd(self, request: Request) -> Response:
        denied = self._auth(request)
        return denied or Response(self.xsd_text, media_type="text/xml")

    async def _submit(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            denied = self._guard(request)
            if denied is not None:
                return self._done("/submit", denied)
            if not request.headers.get("content-type", "").startswith("text/xml"):
                return self._done("/submit", _response(4000, "Content-Type must be text/xml", http=400))
            doc = self._validate(body, "report")
            if isinstance(doc, Response):
                return self._done("/submit", doc)
            now = self.now()
            report = ServerReport(report_id=next(self._ids), xml=body, opened_at=now, changed_at=now)
            self.reports[report.report_id] = report
            return self._done("/submit", _response(0, "Success", reportId=report.report_id))

    async def _upload(self, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if hasattr(upload, "read") else None
        with self._lock:
            denied = self._guard(request)
            if denied is not None:
                return self._done("/upload", denied)
            report = self._live(form.get("id"))
            if isinstance(report, Response):
                return self._done("/upload", report)
            if data is None:
                return self._done("/upload", _response(4000, "Missing file", http=400))
            md5 = hashlib.md5(data).hexdigest()
            name = getattr(upload, "filename", None) or "file"
            stored = ServerFile(file_id=uuid.uuid4().hex[:16], name=name, data=data, md5=md5)
            report.files.append(stored)
            report.changed_at = self.now()
            return self._done("/upload", _response(
                0, "Success", reportId=report.report_id, fileId=stored.file_id, hash=md5))

    async def _fileinfo(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            denied = self._guard(request)
            if denied is not None:
                return self._done("/fileinfo", denied)
            doc = self._validate(body, "fileDetails")
            if isinstance(doc, Response):
                return self._done("/fileinfo", doc)
            report = self._live(doc.findtext("reportId"))
            if isinstance(report, Response):
                return self._done("/fileinfo", report)
            file_id = (doc.findtext("fileId") or "").strip()
            stored = next((f for f in report.files if f.file_id == file_id), None)
            if stored is None:
                return self._done("/fileinfo", _response(4000, f"Unknown fileId {file_id}", http=400))
            if stored.details is not None:
                return self._done("/fileinfo", _response(
                    4000, "File details already submitted for this file", http=400))
            stored.details = body
            report.changed_at = self.now()
            return self._done("/fileinfo", _response(0, "Success", reportId=report.report_id))

    async def _finish(self, request: Request) -> Response:
        form = await request.form()
        with self._lock:
            denied = self._guard(request)
            if denied is not None:
                return self._done("/finish", denied)
            report = self._live(form.get("id"))
            if isinstance(report, Response):
                return self._done("/finish", report)
            report.status = "finished"
            report.finished_at = self.now()
            root = etree.Element("reportDoneResponse")
            etree.SubElement(root, "responseCode").text = "0"
            etree.SubElement(root, "reportId").text = str(report.report_id)
            files = etree.SubElement(root, "files")
            for stored in report.files:
                etree.SubElement(files, "fileId").text = stored.file_id
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            return self._done("/finish", Response(body, media_type="text/xml"))

    async def _retract(self, request: Request) -> Response:
        form = await request.form()
        with self._lock:
            denied = self._guard(request)
            if denied is not None:
                return self._done("/retract", denied)
            report = self._live(form.get("id"))
            if isinstance(report, Response):
                return self._done("/retract", report)
            report.status = "retracted"
            return self._done("/retract", _response(0, "Success", reportId=report.report_id))
