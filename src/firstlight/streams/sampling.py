"""Sampled frames and the sampler that picks them.

At T0 the decoder only ever sees keyframes (``skip_frame = NONKEY``): a 720p keyframe costs ~19 ms to decode
and non-key packets cost nothing, which is what makes ≥ 30 streams per core possible. From T1 the decoder
decodes every frame and :class:`FrameSampler` keeps ``fps`` of them per second of stream time.

Every frame handed on is a :class:`SampledFrame`: a small RGB picture for hashing and classifiers (longest
side ≤ ``ANALYSIS_MAX_SIDE``; PDQ reduces to 64×64 anyway) plus a way back to the full-resolution picture
for evidence, encoded only when a frame is actually preserved.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["ANALYSIS_MAX_SIDE", "FrameSampler", "SampledFrame", "analysis_size"]

ANALYSIS_MAX_SIDE = 512


def analysis_size(width: int, height: int, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[int, int]:
    """The (width, height) a frame is scaled to for analysis: aspect kept, even sizes, never upscaled."""
    scale = min(1.0, max_side / max(width, height, 1))
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h


@dataclass
class SampledFrame:
    """One frame chosen for analysis.

    ``stream_time`` is seconds since the stream began (the publisher's clock where the protocol carries it,
    as RTMP does); ``decoded_at`` is ``time.monotonic()`` when the picture became available here.
    """

    stream_time: float
    keyframe: bool
    rgb: np.ndarray
    width: int
    height: int
    ingest: Literal["pull", "push"]
    decoded_at: float = field(default_factory=time.monotonic)
    source_jpeg: bytes | None = None
    _full: Any = field(default=None, repr=False)

    def evidence_jpeg(self, quality: int = 92) -> bytes:
        """The frame as preserved: the bytes the platform sent, or the full decoded picture as JPEG."""
        if self.source_jpeg is not None:
            return self.source_jpeg
        from PIL import Image

        image = self._full.to_image() if self._full is not None else Image.fromarray(self.rgb)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=quality)
        return buffer.getvalue()

    def release(self) -> None:
        """Drop the full-resolution picture once the frame will not be preserved."""
        self._full = None


class FrameSampler:
    """Chooses frames by stream time: every keyframe (``fps=None``) or ``fps`` frames per second.

    In fps mode the first frame is always taken, then the next one due ``1/fps`` seconds later (with half a
    frame of tolerance so 2 fps of a 30 fps stream is exactly every 15th frame, not every 16th).
    """

    def __init__(self, fps: float | None = None) -> None:
        self.fps: float | None = None
        self._next_due: float | None = None
        self.last_taken: float | None = None
        self.set_fps(fps)

    @property
    def dense(self) -> bool:
        return self.fps is not None

    def set_fps(self, fps: float | None) -> None:
        if fps is not None and fps <= 0:
            raise ValueError("fps must be positive")
        self.fps = fps
        self._next_due = None if self.last_taken is None or fps is None else self.last_taken + 1 / fps

    def want(self, stream_time: float, keyframe: bool, frame_duration: float = 1 / 30) -> bool:
        if self.last_taken is not None and stream_time <= self.last_taken + 1e-6:
            return False  # already analysed (a replayed GOP starts with a frame we saw)
        if self.fps is None:
            return keyframe
        return self._next_due is None or stream_time + frame_duration / 2 >= self._next_due

    def taken(self, stream_time: float) -> None:
        self.last_taken = stream_time
        if self.fps is not None:
            self._next_due = stream_time + 1 / self.fps
