"""Webhook signatures: HMAC-SHA256 over ``timestamp + "." + body``.

Why this shape: signing the timestamp together with the body lets a platform reject replays (a captured
request re-sent later carries an old timestamp, and the timestamp cannot be changed without breaking the
signature). It is the scheme Stripe and Slack use, so platform engineers recognise it.

A platform can copy :func:`verify` as it is: it needs only the standard library.

Headers sent with every action (see ``docs/pipeline.md``)::

    Firstlight-Timestamp: 1764081234
    Firstlight-Signature: v1=<hex hmac-sha256 of b"1764081234." + body>
    Idempotency-Key: <stable key of the action>
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "IDEMPOTENCY_HEADER",
    "DEFAULT_TOLERANCE_S",
    "sign",
    "signature_headers",
    "verify",
]

SIGNATURE_HEADER = "Firstlight-Signature"
TIMESTAMP_HEADER = "Firstlight-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TOLERANCE_S = 300


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """Return the signature header value ``v1=<hex>`` for ``body`` sent at ``timestamp`` (Unix seconds)."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    digest = hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signature_headers(
    secret: str | bytes, body: bytes, *, idempotency_key: str, timestamp: int | None = None
) -> dict[str, str]:
    """The three headers an action request carries."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, body),
        IDEMPOTENCY_HEADER: idempotency_key,
    }


def verify(
    secret: str | bytes,
    timestamp: int | str | None,
    body: bytes,
    signature: str | None,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is valid for ``body`` and ``timestamp`` is within ``tolerance_s`` of now.

    Constant-time comparison; accepts a header holding several comma-separated ``v1=`` values (sent while
    a secret is being rotated). Never raises on malformed input: a malformed header is simply invalid.
    """
    if timestamp is None or signature is None:
        return False
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body)
    candidates = [part.strip() for part in str(signature).split(",")]
    return any(hmac.compare_digest(expected, c) for c in candidates if c.startswith("v1="))
