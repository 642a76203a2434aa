"""Fetch an upload's media from a URL without becoming a server-side request forgery (SSRF) tool.

Why each guard exists:

* Only ``http``/``https``; no credentials in the URL.
* The host name is resolved once, **every** address it resolves to must be public (not private, loopback,
  link-local, multicast, reserved, carrier-grade NAT, unspecified, or an IPv4-mapped form of those), unless
  it falls in an operator allow-list (``Settings.fetch_allow_networks``). Checking all addresses stops a
  host that resolves to one public and one private address.
* The connection goes to the address that was checked (the URL's host is replaced by the IP, with the
  ``Host`` header and TLS SNI set to the name), so a second DNS answer cannot swap in an internal address
  between the check and the connect (DNS rebinding).
* Redirects are followed by hand, at most ``max_redirects``, and each hop is checked the same way.
* The body is streamed and cut off at ``max_bytes``; the whole fetch has a deadline.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from firstlight.errors import Invalid, TooLarge

__all__ = ["FetchLimits", "FetchedMedia", "check_url", "fetch_url", "is_address_allowed"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 32 * 1024 * 1024
    timeout_s: float = 10.0
    max_redirects: int = 3
    allow_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings: object) -> FetchLimits:
        nets = tuple(
            ipaddress.ip_network(n, strict=False)
            for n in getattr(settings, "fetch_allow_networks", ()) or ()
        )
        return cls(
            max_bytes=int(getattr(settings, "fetch_max_bytes", cls.max_bytes)),
            timeout_s=float(getattr(settings, "fetch_timeout_seconds", cls.timeout_s)),
            max_redirects=int(getattr(settings, "fetch_max_redirects", cls.max_redirects)),
            allow_networks=nets,
        )


@dataclass(frozen=True)
class FetchedMedia:
    data: bytes
    content_type: str | None
    final_url: str
    address: str


def _system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Invalid(f"cannot resolve host {host!r}", code="fetch_failed") from exc
    return sorted({str(info[4][0]) for info in infos})


def is_address_allowed(ip: IPAddress, allow_networks: Iterable[IPNetwork] = ()) -> bool:
    """Public unicast addresses are allowed; anything internal only when explicitly allow-listed."""
    if any(ip in net for net in allow_networks if net.version == ip.version):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_address_allowed(ip.ipv4_mapped, allow_networks)
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return False
    return ip.is_global


@dataclass(frozen=True)
class _Target:
    url: str
    host: str
    port: int
    address: str


def check_url(url: str, limits: FetchLimits, resolver: Resolver | None = None) -> _Target:
    """Validate ``url`` and resolve it to one checked address, or raise :class:`Invalid` saying why."""
    if not isinstance(url, str) or len(url) > 4096:
        raise Invalid("url must be a string of at most 4096 characters", code="url_invalid")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Invalid("only http and https URLs can be fetched", code="url_not_allowed")
    if parts.username or parts.password:
        raise Invalid("URLs with credentials are refused", code="url_not_allowed")
    host = parts.hostname
    if not host:
        raise Invalid("the URL has no host", code="url_invalid")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Invalid("the URL's port is not valid", code="url_invalid") from exc
    try:
        addresses = [host] if _is_ip_literal(host) else (resolver or _system_resolver)(host, port)
    except Invalid:
        raise
    except Exception as exc:  # noqa: BLE001 - a custom resolver's failure is a fetch failure
        raise Invalid(f"cannot resolve host {host!r}", code="fetch_failed") from exc
    if not addresses:
        raise Invalid(f"host {host!r} has no address", code="fetch_failed")
    ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
    refused = [str(ip) for ip in ips if not is_address_allowed(ip, limits.allow_networks)]
    if refused:
        raise Invalid(
            f"refusing to fetch {host!r}: it resolves to a non-public address",
            code="url_not_allowed",
            details={"host": host, "addresses": refused},
        )
    return _Target(url=url, host=host, port=port, address=str(ips[0]))


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _pinned_url(target: _Target) -> str:
    parts = urlsplit(target.url)
    ip = ipaddress.ip_address(target.address)
    netloc = f"[{ip}]" if ip.version == 6 else str(ip)
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def fetch_url(
    url: str,
    limits: FetchLimits,
    *,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
) -> FetchedMedia:
    """GET ``url`` within ``limits``; raises :class:`Invalid` or :class:`TooLarge` with a clear reason."""
    deadline = time.monotonic() + limits.timeout_s
    timeout = httpx.Timeout(limits.timeout_s)
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        current = url
        for _hop in range(limits.max_redirects + 1):
            target = check_url(current, limits, resolver)
            headers = {"Host": _host_header(target), "Accept": "image/*, video/*, */*;q=0.5"}
            extensions = {"sni_hostname": target.host} if current.startswith("https") else {}
            request = client.build_request(
                "GET", _pinned_url(target), headers=headers, extensions=extensions
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise Invalid("fetching the URL timed out", code="fetch_timeout") from exc
            except httpx.HTTPError as exc:
                raise Invalid(f"fetching the URL failed: {type(exc).__name__}",
                              code="fetch_failed") from exc
            try:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise Invalid("redirect without a Location", code="fetch_failed")
                    current = urljoin(current, location)
                    continue
                if response.status_code != 200:
                    raise Invalid(
                        f"fetching the URL answered HTTP {response.status_code}",
                        code="fetch_failed",
                    )
                data = _read_limited(response, limits.max_bytes, deadline)
                return FetchedMedia(
                    data=data,
                    content_type=response.headers.get("content-type"),
                    final_url=current,
                    address=target.address,
                )
            finally:
                response.close()
        raise Invalid(f"more than {limits.max_redirects} redirects", code="fetch_failed")


def _host_header(target: _Target) -> str:
    default = 443 if target.url.startswith("https") else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _read_limited(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"the URL's content is larger than {max_bytes} bytes", code="too_large")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"the URL's content is larger than {max_bytes} bytes", code="too_large")
            if time.monotonic() > deadline:
                raise Invalid("fetching the URL timed out", code="fetch_timeout")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise Invalid("fetching the URL timed out", code="fetch_timeout") from exc
    except httpx.HTTPError as exc:
        raise Invalid(f"fetching the URL failed: {type(exc).__name__}", code="fetch_failed") from exc
    return b"".join(chunks)
