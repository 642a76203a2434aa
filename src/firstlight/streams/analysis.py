"""Per-frame analysis: PDQ (with its 8 dihedral variants) against the banks, a rolling vPDQ window for known
video segments, and the enabled frame classifiers. Pure with respect to the database: matching goes through
a :class:`FrameMatcher`, so tests can give a fake one and the worker gives the banks room's matcher.

What comes out is a list of :class:`~firstlight.streams.tiers.Observation`, each with its strength:

==========================================  ===========  =========================================
finding                                     strength     what the tier machine does with it
==========================================  ===========  =========================================
block match within the bank's threshold     strong       T3 (end stream, restrict, report)
rolling vPDQ window matches a block video   strong       T3
block match just past the threshold         weak         T1; repeated → T2
classifier ≥ review threshold               review       T2 (a human looks)
classifier ≥ weak threshold                 weak         T1; repeated → T2
block match suppressed by an allow bank     none         recorded in the session's last signals
==========================================  ===========  =========================================

Frames whose PDQ quality is under ``min_quality`` (blank, dark or flat frames) are not matched: such hashes
are nearly all-zero and would match each other.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pdqhash

from firstlight.detect.frames import FrameClassifier
from firstlight.signals import DIHEDRAL_NAMES, bits_to_hex
from firstlight.streams.sampling import SampledFrame
from firstlight.streams.tiers import Observation

__all__ = [
    "DIHEDRAL_NAMES",
    "FrameAnalyser",
    "FrameFindings",
    "FrameMatch",
    "FrameMatcher",
    "NullMatcher",
    "KnownVideo",
    "RollingVPDQ",
    "pdq_dihedral",
    "pdq_words",
]

def pdq_dihedral(rgb: np.ndarray) -> tuple[dict[str, str], int]:
    """PDQ hex of the 8 rotations/flips of an RGB frame (one DCT, about the cost of one hash) and quality."""
    hashes, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
    return {name: bits_to_hex(bits) for name, bits in zip(DIHEDRAL_NAMES, hashes, strict=True)}, int(quality)


@dataclass(frozen=True)
class FrameMatch:
    """A bank entry whose PDQ is within reach of one variant of a frame's hash."""

    bank_name: str
    bank_kind: str
    entry_id: int
    distance: int
    threshold: int
    variant: str = "original"
    signal_type: str = "pdq"
    matched_signal: str = ""
    query_signal: str = ""
    category: str | None = None
    suppressed_by: str | None = None
    """Set when an ``allow`` bank also matches: names that bank and entry."""

    @property
    def within_threshold(self) -> bool:
        return self.distance <= self.threshold

    @property
    def confirmed(self) -> bool:
        return self.bank_kind == "block" and self.within_threshold and self.suppressed_by is None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "bank": self.bank_name,
            "bank_kind": self.bank_kind,
            "entry_id": self.entry_id,
            "signal_type": self.signal_type,
            "distance": self.distance,
            "threshold": self.threshold,
            "variant": self.variant,
            "matched_signal": self.matched_signal,
            "query_signal": self.query_signal,
        }
        if self.category:
            out["category"] = self.category
        if self.suppressed_by:
            out["suppressed_by"] = self.suppressed_by
        return out


@dataclass(frozen=True)
class KnownVideo:
    """A known video (a vPDQ bank entry): its bank and its frame hashes (quality ≥ 50) as (n, 4) uint64."""

    entry_id: int
    bank_name: str
    bank_kind: str
    frames: np.ndarray


def pdq_words(hexes: Sequence[str]) -> np.ndarray:
    """PDQ hex strings as an (n, 4) uint64 array, for vectorised Hamming distances."""
    if not hexes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(hexes))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


class FrameMatcher(Protocol):
    """What the analyser needs from the banks: cheap enough to call for every sampled frame."""

    def match_pdq(self, variants: dict[str, str], *, near_margin: int) -> list[FrameMatch]:
        """Entries within their bank's threshold of any variant, plus block entries within
        ``threshold + near_margin`` of the original (near matches); the best variant per entry."""
        ...

    def video_candidates(self, pdq_hex: str) -> list[int]:
        """Entry ids of known videos with a frame within 31 bits of ``pdq_hex``."""
        ...

    def known_video(self, entry_id: int) -> KnownVideo | None:
        """The frames of one known video (cached by the matcher)."""
        ...


class NullMatcher:
    """A matcher with no banks (``firstlight watch`` without banks, benchmarks of decoding alone)."""

    def match_pdq(self, variants: dict[str, str], *, near_margin: int) -> list[FrameMatch]:
        return []

    def video_candidates(self, pdq_hex: str) -> list[int]:
        return []

    def known_video(self, entry_id: int) -> KnownVideo | None:
        return None


class RollingVPDQ:
    """Known video segments in a live stream: pytx's vPDQ rule applied to a rolling window.

    pytx matches whole videos: ≥ 80 % of the query's frames are within 31 bits of some frame of the
    candidate, and ≥ 80 % of the candidate's frames are matched. A live stream has no end, so the rule runs
    over the last ``window`` sampled frames: a segment match needs at least ``min_frames`` frames in the
    window, ``query_match`` of them within ``frame_threshold`` bits of the same known video, covering at
    least ``min_distinct`` distinct frames of it — so a still image that happens to be one frame of a known
    video, held on screen, is not mistaken for the video playing. The "≥ 80 % of the candidate" half of
    pytx's rule cannot hold for a window shorter than the video; ``min_distinct`` stands in for it.
    """

    def __init__(
        self,
        *,
        window: int = 10,
        min_frames: int = 5,
        query_match: float = 0.8,
        min_distinct: int = 3,
        frame_threshold: int = 31,
    ) -> None:
        self.window = window
        self.min_frames = min_frames
        self.query_match = query_match
        self.min_distinct = min_distinct
        self.frame_threshold = frame_threshold
        self._frames: deque[tuple[float, str, frozenset[int]]] = deque(maxlen=window)

    def add(
        self, stream_time: float, pdq_hex: str, candidates: Sequence[int],
        lookup: Any,
    ) -> list[dict[str, Any]]:
        """Record one frame; returns the known videos the window now matches (``lookup(entry_id)`` gives
        a :class:`KnownVideo`)."""
        self._frames.append((stream_time, pdq_hex, frozenset(candidates)))
        total = len(self._frames)
        if total < self.min_frames:
            return []
        counts: dict[int, int] = {}
        for _t, _h, ids in self._frames:
            for entry_id in ids:
                counts[entry_id] = counts.get(entry_id, 0) + 1
        window_words = None
        out = []
        for entry_id, n in counts.items():
            if n / total < self.query_match:
                continue
            video: KnownVideo | None = lookup(entry_id)
            if video is None or len(video.frames) == 0:
                continue
            if window_words is None:
                window_words = pdq_words([h for _t, h, _ids in self._frames])
            dist = np.bitwise_count(window_words[:, None, :] ^ video.frames[None, :, :]).sum(axis=2)
            close = dist <= self.frame_threshold
            matched = int(close.any(axis=1).sum())
            distinct = int(close.any(axis=0).sum())
            if matched / total < self.query_match or distinct < self.min_distinct:
                continue
            out.append(
                {
                    "bank": video.bank_name,
                    "bank_kind": video.bank_kind,
                    "entry_id": entry_id,
                    "signal_type": "vpdq",
                    "window_frames": total,
                    "matching_frames": matched,
                    "query_match_percent": round(100 * matched / total, 1),
                    "distinct_video_frames": distinct,
                    "best_frame_distance": int(dist.min()),
                    "window_start_s": round(self._frames[0][0], 3),
                    "window_end_s": round(self._frames[-1][0], 3),
                }
            )
        allow = [d for d in out if d["bank_kind"] == "allow"]
        for d in out:
            if d["bank_kind"] == "block" and allow:
                d["suppressed_by"] = f"allow bank '{allow[0]['bank']}' entry {allow[0]['entry_id']}"
        out.sort(key=lambda d: (-d["query_match_percent"], d["best_frame_distance"]))
        return out


@dataclass
class FrameFindings:
    """Everything learned from one frame."""

    stream_time: float
    quality: int
    pdq: str | None
    observations: list[Observation] = field(default_factory=list)
    matches: list[FrameMatch] = field(default_factory=list)
    seconds: float = 0.0

    def signals(self) -> list[dict[str, Any]]:
        """The compact record kept as the session's ``last_signals``."""
        out: list[dict[str, Any]] = [
            {"type": "pdq", "value": self.pdq, "quality": self.quality, "stream_time_s": self.stream_time}
        ]
        out += [o.as_dict() for o in self.observations]
        return out


@dataclass
class FrameAnalyser:
    """Analyses frames of one session (holds that session's rolling vPDQ window)."""

    matcher: FrameMatcher = field(default_factory=NullMatcher)
    classifiers: Sequence[FrameClassifier] = ()
    min_quality: int = 50
    near_margin: int = 16
    """Bits past a block bank's threshold that still count as a weak signal (PDQ of unrelated images
    differ by ~128 bits; 32–47 bits is "similar, not the same": sample more densely, look again)."""
    vpdq: RollingVPDQ = field(default_factory=RollingVPDQ)

    def analyse(self, frame: SampledFrame) -> FrameFindings:
        started = time.perf_counter()
        variants, quality = pdq_dihedral(frame.rgb)
        findings = FrameFindings(
            stream_time=frame.stream_time, quality=quality, pdq=variants["original"]
        )
        t = frame.stream_time
        if quality >= self.min_quality:
            matches = self.matcher.match_pdq(variants, near_margin=self.near_margin)
            findings.matches = matches
            findings.observations += self._match_observations(matches, t)
            videos = self.matcher.video_candidates(variants["original"])
            segments = self.vpdq.add(t, variants["original"], videos, self.matcher.known_video)
            findings.observations += [self._segment_observation(seg, t) for seg in segments]
            block_videos = [
                e for e in videos
                if (v := self.matcher.known_video(e)) is not None and v.bank_kind == "block"
            ]
            if block_videos and not segments:
                videos = block_videos
                findings.observations.append(
                    Observation(
                        kind="near_match",
                        strength="weak",
                        summary=(
                            f"frame at {t:.1f} s is within 31 bits of a frame of known video entr"
                            f"{'y' if len(videos) == 1 else 'ies'} {', '.join(map(str, videos[:5]))}"
                        ),
                        details={"signal_type": "vpdq_frame", "entry_ids": list(videos[:20])},
                        stream_time=t,
                    )
                )
        for classifier in self.classifiers:
            for score in classifier.classify(frame.rgb):
                if score.strength == "none":
                    continue
                findings.observations.append(
                    Observation(
                        kind="classifier",
                        strength=score.strength,
                        summary=(
                            f"frame at {t:.1f} s: classifier {score.label} scored {score.score:.2f} "
                            f"(weak ≥ {score.weak_threshold}, review ≥ {score.review_threshold})"
                        ),
                        details=score.as_dict(),
                        stream_time=t,
                        imminent_risk=score.imminent_risk,
                    )
                )
        findings.seconds = time.perf_counter() - started
        return findings

    def _match_observations(self, matches: list[FrameMatch], t: float) -> list[Observation]:
        out = []
        for m in sorted(matches, key=lambda m: (not m.confirmed, m.distance)):
            if m.bank_kind != "block":
                continue  # allow banks only suppress; survivor banks are used elsewhere
            where = f"frame at {t:.1f} s"
            variant = "" if m.variant == "original" else f" ({m.variant})"
            if m.suppressed_by:
                out.append(
                    Observation(
                        kind="suppressed",
                        strength="none",
                        summary=(
                            f"{where} matched bank '{m.bank_name}' entry {m.entry_id} at distance "
                            f"{m.distance}{variant}, suppressed by {m.suppressed_by}"
                        ),
                        details=m.as_dict(),
                        stream_time=t,
                    )
                )
            elif m.within_threshold:
                out.append(
                    Observation(
                        kind="match",
                        strength="strong",
                        summary=(
                            f"{where} matched bank '{m.bank_name}' entry {m.entry_id}: PDQ distance "
                            f"{m.distance} ≤ threshold {m.threshold}{variant}"
                        ),
                        details=m.as_dict(),
                        stream_time=t,
                    )
                )
            else:
                out.append(
                    Observation(
                        kind="near_match",
                        strength="weak",
                        summary=(
                            f"{where} is near bank '{m.bank_name}' entry {m.entry_id}: PDQ distance "
                            f"{m.distance}, threshold {m.threshold}{variant}"
                        ),
                        details=m.as_dict(),
                        stream_time=t,
                    )
                )
        return out

    def _segment_observation(self, seg: dict[str, Any], t: float) -> Observation:
        blocking = seg["bank_kind"] == "block" and not seg.get("suppressed_by")
        return Observation(
            kind="segment_match",
            strength="strong" if blocking else "none",
            summary=(
                f"stream {seg['window_start_s']:.1f}–{seg['window_end_s']:.1f} s matched known video "
                f"in bank '{seg['bank']}' entry {seg['entry_id']}: {seg['matching_frames']} of "
                f"{seg['window_frames']} frames ({seg['query_match_percent']} %), "
                f"{seg['distinct_video_frames']} distinct video frames"
            ),
            details=seg,
            stream_time=t,
        )
