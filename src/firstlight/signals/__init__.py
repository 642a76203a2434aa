"""Signals: PDQ, vPDQ, MD5 and SHA-256 as python-threatexchange signal types, and the functions making them.

Public interface (other rooms call these):

- ``hash_bytes(data, *, dihedral=False, fast=False) -> list[Signal]`` and ``hash_file(path, ...)`` — every
  signal for a piece of content, chosen by sniffing the bytes (see ``_hashing.hash_bytes``).
- ``Signal(signal_type, value, quality, extra)`` — frozen; ``signal_type`` is a pytx name: ``pdq``, ``vpdq``,
  ``md5``/``sha256`` (photos and other files), ``video_md5``/``video_sha256`` (videos: pytx's own names).
  ``Signal.matchable`` is False for PDQ below quality 50 (pytx and HMA never match those).
- ``pdq_from_image(img) -> (hex, quality)``, ``pdq_from_bytes(data, fast=False)``,
  ``pdq_dihedral_from_image(img) -> ({transform: hex}, quality)``.
- ``vpdq_from_video(path_or_bytes, seconds_per_hash=1.0) -> list[VPDQFrame]``, ``vpdq_to_signal_str`` /
  ``vpdq_from_signal_str`` (pytx's string format) and ``vpdq_match(query, compared) -> VPDQMatch`` (the rule:
  frames within 31 bits, ≥ 80% of query and ≥ 80% of compared frames).
- ``SIGNAL_TYPES`` / ``signal_type_by_name(name)`` — the pytx ``SignalType`` classes Firstlight uses.

Departures from the interface first announced, and why:
- MD5/SHA-256 of photos and files are named ``md5`` / ``sha256`` (our ``SignalType``s); videos keep pytx's
  ``video_md5`` / ``video_sha256``. Both hash the file's bytes, so an exact-hash bank can index them together.
- Extra keyword arguments on ``hash_bytes``/``hash_file``: ``fast`` (the fast PDQ path, ~0.6 bit mean drift)
  and ``vpdq_seconds``.
- ``PDQMatchIndex.query`` returns ``IndexHit``s: pytx ``IndexMatch`` objects that also unpack as
  ``(payload, distance)`` and compare equal to that tuple.
"""

from firstlight.signals._hashing import hash_bytes, hash_file
from firstlight.signals._pdq import (
    DIHEDRAL_NAMES,
    bits_to_hex,
    pdq_dihedral_from_image,
    pdq_from_bytes,
    pdq_from_image,
)
from firstlight.signals._signal_types import (
    SIGNAL_TYPES,
    FirstlightPdqSignal,
    MD5Signal,
    SHA256Signal,
    VPDQSignal,
    signal_type_by_name,
)
from firstlight.signals._types import (
    MD5,
    PDQ,
    PDQ_MIN_QUALITY,
    SHA256,
    VIDEO_MD5,
    VIDEO_SHA256,
    VPDQ,
    Signal,
    VPDQFrame,
)
from firstlight.signals._vpdq import (
    VPDQ_DISTANCE_THRESHOLD,
    VPDQ_INDEX_MATCH_PERCENT,
    VPDQ_QUERY_MATCH_PERCENT,
    VPDQMatch,
    vpdq_from_signal_str,
    vpdq_from_video,
    vpdq_match,
    vpdq_to_signal_str,
)

__all__ = [
    "DIHEDRAL_NAMES",
    "bits_to_hex",
    "MD5",
    "PDQ",
    "PDQ_MIN_QUALITY",
    "SHA256",
    "SIGNAL_TYPES",
    "VIDEO_MD5",
    "VIDEO_SHA256",
    "VPDQ",
    "VPDQ_DISTANCE_THRESHOLD",
    "VPDQ_INDEX_MATCH_PERCENT",
    "VPDQ_QUERY_MATCH_PERCENT",
    "FirstlightPdqSignal",
    "MD5Signal",
    "SHA256Signal",
    "Signal",
    "VPDQFrame",
    "VPDQMatch",
    "VPDQSignal",
    "hash_bytes",
    "hash_file",
    "pdq_dihedral_from_image",
    "pdq_from_bytes",
    "pdq_from_image",
    "signal_type_by_name",
    "vpdq_from_signal_str",
    "vpdq_from_video",
    "vpdq_match",
    "vpdq_to_signal_str",
]
