"""Which signal types a bank can hold, how their strings are checked, and which ones match by distance.

Names follow python-threatexchange (``SignalType.get_name()``): ``pdq``, ``video_md5``, ``vpdq`` and so on,
plus ``sha256`` and ``md5`` for files, which the signals room adds as pytx ``SignalType`` subclasses. A name
is checked with its pytx class's ``validate_signal_str`` where one is installed; the few types the banks
room must understand before any hasher is loaded (``pdq``, the MD5 and SHA-256 families) have a built-in
check so that importing a hash list never depends on optional extensions.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

from firstlight.errors import Invalid

__all__ = [
    "EXACT_TYPES",
    "MAX_THRESHOLDS",
    "PERCEPTUAL_TYPES",
    "is_exact",
    "normalise_signal",
    "value_key",
]

_HEX = {32: re.compile(r"^[0-9a-f]{32}$"), 64: re.compile(r"^[0-9a-f]{64}$")}
_BUILTIN_LENGTHS = {
    "pdq": 64,
    "md5": 32,
    "photo_md5": 32,
    "video_md5": 32,
    "sha256": 64,
    "photo_sha256": 64,
    "video_sha256": 64,
}
EXACT_TYPES = frozenset(t for t in _BUILTIN_LENGTHS if t != "pdq")
PERCEPTUAL_TYPES = frozenset({"pdq", "vpdq"})
# The index finds every entry within 31 bits (exact recall); beyond that a match could be missed.
MAX_THRESHOLDS: dict[str, int] = {"pdq": 31}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VALUE_KEY_MAX = 128


def is_exact(signal_type: str) -> bool:
    """True for types that match only when equal (cryptographic hashes)."""
    return signal_type not in PERCEPTUAL_TYPES


@lru_cache(maxsize=64)
def _pytx_class(name: str) -> Any:
    try:
        from firstlight import signals

        lookup = getattr(signals, "signal_type_by_name", None)
        if lookup is not None:
            cls = lookup(name)
            if cls is not None:
                return cls
    except Exception:  # the signals room is optional for pure bank operations
        pass
    if name == "vpdq":
        try:
            from threatexchange.extensions.vpdq.vpdq import VPDQSignal

            return VPDQSignal
        except Exception:
            return None
    return None


def normalise_signal(signal_type: str, value: str) -> tuple[str, str]:
    """``(type, value)`` in canonical form, or ``Invalid`` saying what is wrong with it."""
    st = (signal_type or "").strip().lower()
    if not _NAME.match(st):
        raise Invalid(f"unknown signal type {signal_type!r}", code="invalid_signal")
    raw = (value or "").strip()
    if not raw:
        raise Invalid(f"empty {st} signal", code="invalid_signal")
    length = _BUILTIN_LENGTHS.get(st)
    if length is not None:
        v = raw.lower()
        if not _HEX[length].match(v):
            raise Invalid(
                f"invalid {st} signal: expected {length} hexadecimal characters",
                code="invalid_signal",
                details={"signal_type": st, "value": raw[:100]},
            )
        return st, v
    cls = _pytx_class(st)
    if cls is None:
        raise Invalid(f"unknown signal type {signal_type!r}", code="invalid_signal")
    try:
        return st, cls.validate_signal_str(raw)
    except Exception as e:
        raise Invalid(
            f"invalid {st} signal: {e}", code="invalid_signal", details={"signal_type": st}
        ) from None


def value_key(value: str) -> str:
    """The value itself when short, else ``sha256:<hex>``; what the uniqueness index is built on."""
    if len(value) <= VALUE_KEY_MAX:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
