import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from firstlight.errors import Invalid, TooLarge
from firstlight.intake import FetchLimits, check_url, fetch_url, is_address_allowed

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


class _Server:
    """A loopback HTTP server with a few routes: /img (bytes), /big, /redirect-*, /slow."""

    def __init__(self, body: bytes = b"\x89PNG fake"):
        outer = self
        self.body = body
        self.hosts: list[str] = []

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hosts.append(self.headers.get("Host", ""))
                if self.path == "/img":
                    self._send(200, outer.body)
                elif self.path == "/big":
                    self._send(200, b"x" * 5000)
                elif self.path == "/chunked-big":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    try:
                        for _ in range(10):
                            self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                    except OSError:
                        pass  # the client hung up at its limit, as it should
                elif self.path == "/redirect-internal":
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/redirect-img":
                    self.send_response(302)
                    self.send_header("Location", "/img")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/missing":
                    self._send(404, b"no")
                else:
                    self._send(500, b"?")

            def _send(self, code, data):
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1", "240.0.0.1",
])
def test_internal_addresses_are_refused(address):
    assert not is_address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1"])
def test_public_addresses_are_allowed(address):
    assert is_address_allowed(ipaddress.ip_address(address))


def test_allow_list_opens_a_specific_internal_network():
    nets = (ipaddress.ip_network("10.20.0.0/16"),)
    assert is_address_allowed(ipaddress.ip_address("10.20.3.4"), nets)
    assert not is_address_allowed(ipaddress.ip_address("10.21.3.4"), nets)


def test_ssrf_url_to_loopback_is_refused_without_allow_list(server):
    with pytest.raises(Invalid) as info:
        fetch_url(server.url("/img"), FetchLimits())
    assert info.value.code == "url_not_allowed"
    assert server.hosts == []  # nothing was requested


def test_a_name_resolving_to_any_private_address_is_refused():
    def resolver(host, port):
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(Invalid, match="non-public") as info:
        check_url("http://media.example/x.jpg", FetchLimits(), resolver)
    assert info.value.details["addresses"] == ["10.0.0.5"]


@pytest.mark.parametrize("url,code", [
    ("file:///etc/passwd", "url_not_allowed"),
    ("gopher://x/", "url_not_allowed"),
    ("http://user:pw@example.org/", "url_not_allowed"),
    ("http:///nohost", "url_invalid"),
    ("http://example.org:99999/", "url_invalid"),
])
def test_bad_urls_are_refused_with_a_code(url, code):
    with pytest.raises(Invalid) as info:
        check_url(url, FetchLimits(), lambda h, p: ["93.184.216.34"])
    assert info.value.code == code


def test_allow_listed_fetch_pins_the_checked_address_and_sends_the_host_name(server):
    def resolver(host, port):
        assert host == "media.test"
        return ["127.0.0.1"]

    fetched = fetch_url(server.url("/img", host="media.test"), FetchLimits(allow_networks=LOOPBACK),
                        resolver=resolver)
    assert fetched.data == server.body and fetched.address == "127.0.0.1"
    assert server.hosts == [f"media.test:{server.port}"]


def test_redirects_are_followed_and_each_hop_is_checked(server):
    limits = FetchLimits(allow_networks=LOOPBACK)
    assert fetch_url(server.url("/redirect-img"), limits).data == server.body
    with pytest.raises(Invalid) as info:
        fetch_url(server.url("/redirect-internal"), limits)
    assert info.value.code == "url_not_allowed"


def test_size_limit_applies_to_declared_and_streamed_bodies(server):
    limits = FetchLimits(allow_networks=LOOPBACK, max_bytes=1000)
    with pytest.raises(TooLarge):
        fetch_url(server.url("/big"), limits)
    with pytest.raises(TooLarge):
        fetch_url(server.url("/chunked-big"), limits)


def test_http_errors_and_unreachable_hosts_are_fetch_failures(server):
    limits = FetchLimits(allow_networks=LOOPBACK, timeout_s=2)
    with pytest.raises(Invalid) as info:
        fetch_url(server.url("/missing"), limits)
    assert info.value.code == "fetch_failed"
    with pytest.raises(Invalid) as info:
        fetch_url("http://127.0.0.1:9/x", limits)
    assert info.value.code == "fetch_failed"
