"""Limits on what intake will decode, so a hostile file costs bounded memory and time."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "MediaLimits"]


@dataclass(frozen=True)
class MediaLimits:
    """Bounds checked *before* decoding where the header allows it, and while decoding otherwise.

    Why each exists: a 40 KB PNG can declare 50,000 × 50,000 pixels (a decompression bomb) and a tiny MP4 can
    declare hours of 8K frames. We read the declared size from the header, refuse what is over the limit, and
    only then decode. Defaults fit phone photos (up to ~50 MP) and ordinary uploads of video.
    """

    max_image_bytes: int = 64 * 1024 * 1024
    max_image_pixels: int = 64_000_000
    max_image_side: int = 30_000
    max_video_bytes: int = 4 * 1024 * 1024 * 1024
    max_video_seconds: float = 4 * 3600.0
    max_frame_pixels: int = 7680 * 4320
    max_decoded_frames: int = 500_000


DEFAULT_LIMITS = MediaLimits()
