"""A local server speaking NCMEC's hash-sharing XML API v2, so pytx's real NCMEC client runs against it.

Implements what python-threatexchange's ``NCMECHashAPI`` calls (``/v2/status``, ``/v2/members``,
``/v2/entries`` with ``from``/``to`` and ``start``/``size``/``max`` paging, ``/v2/feedback/<type>/reasons``
and ``PUT /v2/entries/<esp>/<id>/<type>/feedback``) with HTTP Basic authentication, the XML namespace, the
``maxTimestamp`` attributes and relative ``paging/next`` links described in NCMEC's v2 documentation and
pytx's test data. Entries are returned in id order, not time order, like the real service. Times in
``from``/``to`` are read the way pytx writes them (``%Y-%m-%dT%H:%M:%SZ`` from the local clock).
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

NS = "https://hashsharing.ncmec.org/hashsharing/v2"
FMT = "%Y-%m-%dT%H:%M:%SZ"
PREFIX = "/hashsharing"


def _fmt(ts: int) -> str:
    return time.strftime(FMT, time.gmtime(ts))


def _parse(s: str) -> int:
    # pytx formats with datetime.fromtimestamp (local time), so read it back as local time
    return int(time.mktime(time.strptime(s, FMT)))


@dataclass
class FakeEntry:
    id: str
    member_id: int
    timestamp: int
    kind: str = "image"  # image | video
    classification: str | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    def xml(self, members: dict[int, str]) -> str:
        member = f'<member id="{self.member_id}">{escape(members.get(self.member_id, "?"))}</member>'
        if self.deleted:
            tag = "deletedImage" if self.kind == "image" else "deletedVideo"
            stamp = f"<timestamp>{_fmt(self.timestamp)}</timestamp>"
            return f"<{tag}>{member}<id>{escape(self.id)}</id>{stamp}</{tag}>"
        fps = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.fingerprints.items())
        cls = f"<classification>{escape(self.classification)}</classification>" if self.classification else ""
        return (
            f"<{self.kind}>{member}<timestamp>{_fmt(self.timestamp)}</timestamp><id>{escape(self.id)}</id>"
            f"{cls}<fingerprints>{fps}</fingerprints></{self.kind}>"
        )


class FakeNCMEC:
    """Start with ``with FakeNCMEC(...) as server:``; ``server.base_url`` goes in the exchange config."""

    def __init__(self, *, user: str = "esp-user", password: str = "s3cret", page_size: int = 1000) -> None:
        self.user = user
        self.password = password
        self.page_size = page_size
        self.members = {1: "Test ESP", 42: "Example Member"}
        self.entries: list[FakeEntry] = []
        self.requests: list[str] = []
        self.feedback: list[tuple[str, bytes]] = []
        self.fail_next: int = 0  # answer this many requests with HTTP 500
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def add(self, entry: FakeEntry) -> FakeEntry:
        with self._lock:
            self.entries = [e for e in self.entries if (e.member_id, e.id) != (entry.member_id, entry.id)]
            self.entries.append(entry)
            self.entries.sort(key=lambda e: (e.member_id, e.id))
        return entry

    def delete(self, member_id: int, entry_id: str, timestamp: int) -> None:
        with self._lock:
            for e in self.entries:
                if (e.member_id, e.id) == (member_id, entry_id):
                    e.deleted = True
                    e.fingerprints = {}
                    e.timestamp = timestamp

    # --- HTTP ------------------------------------------------------------------------------------------

    def __enter__(self) -> FakeNCMEC:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _auth_ok(self) -> bool:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return False
                try:
                    user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
                except Exception:
                    return False
                return (user, pw) == (fake.user, fake.password)

            def _send(self, status: int, body: str, ctype: str = "application/xml") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="hashsharing"')
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                fake.requests.append(f"{method} {self.path}")
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    return self._send(500, "<error>temporary</error>")
                if not self._auth_ok():
                    return self._send(401, "<error>Unauthorized</error>")
                parts = urlsplit(self.path)
                path = parts.path
                if not path.startswith(PREFIX + "/v2/"):
                    return self._send(404, "<error>not found</error>")
                path = path[len(PREFIX) :]
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if method == "GET" and path == "/v2/status":
                    return self._send(200, fake._status())
                if method == "GET" and path == "/v2/members":
                    return self._send(200, fake._members())
                if method == "GET" and path == "/v2/entries":
                    try:
                        return self._send(200, fake._entries(query))
                    except (KeyError, ValueError):
                        return self._send(400, "<error>bad from/to</error>")
                if method == "GET" and path.startswith("/v2/feedback/") and path.endswith("/reasons"):
                    kind = path.split("/")[3]
                    return self._send(
                        200,
                        f'<availableFeedbackReasons xmlns="{NS}"><reason guid="g-1" name="Not CSAM" '
                        f'type="{escape(kind)}"/></availableFeedbackReasons>',
                    )
                if method == "PUT" and path.startswith("/v2/entries/") and path.endswith("/feedback"):
                    length = int(self.headers.get("Content-Length", "0"))
                    fake.feedback.append((path, self.rfile.read(length)))
                    return self._send(200, "")
                return self._send(404, "<error>not found</error>")

            def do_GET(self) -> None:  # noqa: N802
                self._route("GET")

            def do_PUT(self) -> None:  # noqa: N802
                self._route("PUT")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- bodies ----------------------------------------------------------------------------------------

    def _status(self) -> str:
        return (
            f'<status xmlns="{NS}"><ipAddress>127.0.0.1</ipAddress><username>{escape(self.user)}</username>'
            f'<member id="1">{escape(self.members[1])}</member></status>'
        )

    def _members(self) -> str:
        inner = "".join(f'<member id="{i}">{escape(n)}</member>' for i, n in self.members.items())
        return f'<members xmlns="{NS}">{inner}</members>'

    def _entries(self, q: dict[str, str]) -> str:
        start_ts, end_ts = _parse(q["from"]), _parse(q["to"])
        with self._lock:
            in_range = [e for e in self.entries if start_ts <= e.timestamp <= end_ts]
        start = int(q.get("start", 0))
        size = int(q.get("size", self.page_size))
        total = int(q.get("max", len(in_range)))
        page = in_range[start : start + size]
        parts = [f'<queryResult xmlns="{NS}">']
        for kind in ("image", "video"):
            items = [e for e in page if e.kind == kind]
            if not items:
                continue
            max_ts = max(e.timestamp for e in items)
            inner = "".join(e.xml(self.members) for e in items)
            parts.append(f'<{kind}s count="{len(items)}" maxTimestamp="{_fmt(max_ts)}">{inner}</{kind}s>')
        if start + size < total:
            nxt = f"/v2/entries?from={q['from']}&to={q['to']}&start={start + size}&size={size}&max={total}"
            parts.append(f"<paging><next>{escape(nxt)}</next></paging>")
        parts.append("</queryResult>")
        return "".join(parts)
