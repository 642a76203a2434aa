"""vPDQ: a PDQ hash per sampled video frame, pytx's string format and its match rule, without a C++ build.

pytx's ``threatexchange.extensions.vpdq`` needs the ``vpdq`` package (a C++ extension built against system
FFmpeg headers). This module produces the same features with PyAV (FFmpeg bundled in the wheel) and
``pdqhash``: frames are decoded to RGB and hashed with the reference PDQ code. Against the upstream sample
hashes (``vpdq/sample-hashes``) the frames agree to about one bit on average (FFmpeg's YUV→RGB conversion
differs slightly between builds); the match rule treats anything within 31 bits as the same frame, and
``tests/signals/test_vpdq.py`` checks every sample against the upstream files.

The match rule (pytx ``match_VPDQ_hash_brute``): drop frames below quality 50, dedupe identical hashes, count
query frames that have some compared frame within 31 bits and vice versa; a video matches when at least 80%
of the query's frames match and at least ``compared_match_percent`` (80% here, the vpdq README's rule; pytx's
``VPDQSignal.compare_hash`` defaults it to 0%) of the compared video's frames match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pdqhash

from firstlight.errors import Invalid
from firstlight.media import DEFAULT_LIMITS, MediaLimits, VideoSource, iter_video_frames
from firstlight.signals._pdq import bits_to_hex
from firstlight.signals._types import PDQ_MIN_QUALITY, VPDQFrame

__all__ = [
    "VPDQ_DISTANCE_THRESHOLD",
    "VPDQ_INDEX_MATCH_PERCENT",
    "VPDQ_QUERY_MATCH_PERCENT",
    "VPDQMatch",
    "vpdq_from_signal_str",
    "vpdq_from_video",
    "vpdq_match",
    "vpdq_to_signal_str",
]

VPDQ_DISTANCE_THRESHOLD = 31
VPDQ_QUERY_MATCH_PERCENT = 80.0
VPDQ_INDEX_MATCH_PERCENT = 80.0


@dataclass(frozen=True)
class VPDQMatch:
    """How much of each video matched the other, and whether that passes the rule's thresholds."""

    query_match_percent: float
    compared_match_percent: float
    is_match: bool

    def pretty_str(self) -> str:
        """pytx's ``VPDQSimilarityInfo.pretty_str`` form: ``95%[88%]``."""
        return f"{self.query_match_percent:.0f}%[{self.compared_match_percent:.0f}%]"


def vpdq_from_video(
    source: VideoSource,
    *,
    seconds_per_hash: float = 1.0,
    limits: MediaLimits = DEFAULT_LIMITS,
) -> list[VPDQFrame]:
    """Hash one frame per ``seconds_per_hash`` of presentation time (0 = every frame), like ``vpdq``.

    ``source`` is a path or the file's bytes. Raises ``Invalid``/``TooLarge``/``Unsupported`` from intake.
    """
    frames = []
    for frame in iter_video_frames(source, every_seconds=seconds_per_hash, limits=limits):
        bits, quality = pdqhash.compute(frame.rgb)
        frames.append(VPDQFrame(bits_to_hex(bits), int(quality), frame.timestamp, frame.index))
    return frames


def vpdq_to_signal_str(frames: Iterable[VPDQFrame]) -> str:
    """pytx's vPDQ signal string: a JSON list of ``"hex,quality,timestamp"``.

    The timestamp uses pytx's own ``f"{ts:.3}"`` formatting (3 significant digits), so strings are
    byte-identical to ``VPDQSignal.hash_from_file``'s.
    """
    return json.dumps([f"{f.pdq_hex},{f.quality},{f.timestamp:.3}" for f in frames])


def vpdq_from_signal_str(signal_str: str) -> list[VPDQFrame]:
    """Parse pytx's vPDQ signal string (the inverse of ``vpdq_to_signal_str``); ``Invalid`` if malformed."""
    try:
        items = json.loads(signal_str or "[]")
        if not isinstance(items, list):
            raise ValueError("not a JSON list")
        frames = []
        for number, item in enumerate(items):
            pdq_hex, quality, timestamp = str(item).split(",")
            frame = VPDQFrame(pdq_hex.lower(), int(quality), float(timestamp), number)
            if len(frame.pdq_hex) != 64 or not 0 <= frame.quality <= 100 or frame.timestamp < 0:
                raise ValueError(f"bad feature {item!r}")
            int(frame.pdq_hex, 16)
            frames.append(frame)
        return frames
    except ValueError as exc:
        raise Invalid(f"invalid vPDQ signal: {exc}") from exc


def _prepare(frames: Sequence[VPDQFrame], quality_threshold: int) -> np.ndarray:
    """Deduped, quality-filtered hashes as an (n, 4) uint64 array."""
    unique = dict.fromkeys(f.pdq_hex for f in frames if f.quality >= quality_threshold)
    if not unique:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(unique))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def _matched_rows(a: np.ndarray, b: np.ndarray, threshold: int) -> tuple[int, int]:
    """Count rows of ``a`` with some row of ``b`` within ``threshold`` bits, and the same for ``b``."""
    if len(a) == 0 or len(b) == 0:
        return 0, 0
    a_matched = np.zeros(len(a), dtype=bool)
    b_matched = np.zeros(len(b), dtype=bool)
    step = max(1, 4096 // max(1, len(b) // 64 + 1))
    for start in range(0, len(a), step):
        block = a[start : start + step]
        dist = np.bitwise_count(block[:, None, :] ^ b[None, :, :]).sum(axis=2)
        close = dist <= threshold
        a_matched[start : start + step] = close.any(axis=1)
        b_matched |= close.any(axis=0)
    return int(a_matched.sum()), int(b_matched.sum())


def vpdq_match(
    query: Sequence[VPDQFrame],
    compared: Sequence[VPDQFrame],
    *,
    quality_threshold: int = PDQ_MIN_QUALITY,
    distance_threshold: int = VPDQ_DISTANCE_THRESHOLD,
    query_match_percent: float = VPDQ_QUERY_MATCH_PERCENT,
    compared_match_percent: float = VPDQ_INDEX_MATCH_PERCENT,
) -> VPDQMatch:
    """pytx's vPDQ brute-force match rule (see the module docstring), vectorised with numpy."""
    q = _prepare(query, quality_threshold)
    c = _prepare(compared, quality_threshold)
    q_count, c_count = _matched_rows(q, c, distance_threshold)
    q_pct = q_count * 100.0 / len(q) if len(q) else 0.0
    c_pct = c_count * 100.0 / len(c) if len(c) else 0.0
    is_match = bool(len(q) and len(c)) and q_pct >= query_match_percent and c_pct >= compared_match_percent
    return VPDQMatch(q_pct, c_pct, is_match)
