"""The records signals travel in, and the stored names of signal types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MD5",
    "PDQ",
    "PDQ_MIN_QUALITY",
    "SHA256",
    "VIDEO_MD5",
    "VIDEO_SHA256",
    "VPDQ",
    "Signal",
    "VPDQFrame",
]

# Stored names (python-threatexchange ``SignalType.get_name()`` values). Written into bank rows and exports,
# so they are explicit constants, never derived from class names. ``interface_validation`` checks that
# the pytx classes report these same names.
PDQ = "pdq"
VPDQ = "vpdq"
VIDEO_MD5 = "video_md5"
VIDEO_SHA256 = "video_sha256"
MD5 = "md5"
SHA256 = "sha256"

# pytx's PdqSignal.QUALITY_THRESHOLD: below this, PDQ hashes of flat or tiny images collide too often.
PDQ_MIN_QUALITY = 50


@dataclass(frozen=True)
class Signal:
    """One signal derived from one piece of content.

    ``signal_type`` is a pytx signal type name (``pdq``, ``md5``…), ``value`` the pytx signal string
    (hex for PDQ/MD5/SHA-256, pytx's JSON list for vPDQ). ``quality`` is PDQ's 0–100 quality where the
    algorithm has one. ``extra`` says how it was made, e.g. ``{"dihedral": "rotate90"}`` for a rotated
    variant, so a match can explain itself.
    """

    signal_type: str
    value: str
    quality: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def matchable(self) -> bool:
        """False for PDQ hashes below ``PDQ_MIN_QUALITY``, which pytx and HMA never match on."""
        if self.signal_type == PDQ and self.quality is not None:
            return self.quality >= PDQ_MIN_QUALITY
        return True


@dataclass(frozen=True)
class VPDQFrame:
    """One vPDQ feature: a frame's PDQ hash, its quality and its time in seconds.

    ``str()`` gives pytx's ``VpdqCompactFeature`` form ``hex,quality,timestamp`` (timestamp to 3 places).
    """

    pdq_hex: str
    quality: int
    timestamp: float
    frame_number: int = 0

    def __str__(self) -> str:
        return f"{self.pdq_hex},{self.quality},{self.timestamp:.3f}"
