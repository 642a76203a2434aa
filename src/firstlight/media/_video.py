"""Safe video decoding with PyAV: sniffed container, size/duration/frame limits, clear errors.

PyAV bundles its own FFmpeg, so no system build is needed. Frames are sampled at a fixed interval of
presentation time (vPDQ hashes one frame per second), but every frame still has to be decoded because inter
frames depend on their predecessors; the limits bound that work.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from firstlight.errors import Invalid, TooLarge, Unsupported
from firstlight.media._limits import DEFAULT_LIMITS, MediaLimits
from firstlight.media._sniff import sniff

__all__ = ["VideoFrame", "VideoSource", "iter_video_frames"]

VideoSource = bytes | str | os.PathLike[str]


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: its index in decode order, its presentation time in seconds, RGB pixels."""

    index: int
    timestamp: float
    rgb: np.ndarray


def iter_video_frames(
    source: VideoSource,
    *,
    every_seconds: float = 0.0,
    limits: MediaLimits = DEFAULT_LIMITS,
) -> Iterator[VideoFrame]:
    """Yield RGB frames of the first video stream, one per ``every_seconds`` (0 = every frame).

    A frame is yielded when its timestamp reaches the next multiple of ``every_seconds``, which is vpdq's
    sampling rule. Raises ``Unsupported`` when the bytes are not a video, ``TooLarge`` over the limits and
    ``Invalid`` when the stream cannot be decoded.
    """
    data_len = _source_size(source)
    if data_len > limits.max_video_bytes:
        raise TooLarge(f"video is {data_len} bytes; the limit is {limits.max_video_bytes}")
    head = source[:4096] if isinstance(source, bytes) else _read_head(Path(source))
    kind = sniff(head)
    if not kind.is_video:
        raise Unsupported(f"expected a video, but the content is {kind.value}", details={"kind": kind.value})
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise Invalid(f"corrupt {kind.value} video: {exc}", code="corrupt_media") from exc
    with container:
        if not container.streams.video:
            raise Unsupported(f"{kind.value} container holds no video stream")
        stream = container.streams.video[0]
        _check_declared(stream, container, limits)
        yield from _decode(container, stream, every_seconds, limits)


def _decode(
    container: Any, stream: Any, every_seconds: float, limits: MediaLimits
) -> Iterator[VideoFrame]:
    time_base = float(stream.time_base) if stream.time_base else 0.0
    next_due = 0.0
    decoded = 0
    try:
        for frame in container.decode(stream):
            decoded += 1
            if decoded > limits.max_decoded_frames:
                raise TooLarge(f"video has more than {limits.max_decoded_frames} frames")
            if frame.width * frame.height > limits.max_frame_pixels:
                raise TooLarge(f"video frame is {frame.width}x{frame.height}; over the pixel limit")
            timestamp = float(frame.pts) * time_base if frame.pts is not None else frame.time or 0.0
            if timestamp > limits.max_video_seconds:
                raise TooLarge(f"video runs past {limits.max_video_seconds:.0f} s")
            if every_seconds > 0 and timestamp + 1e-9 < next_due:
                continue
            if every_seconds > 0:
                next_due = (int(timestamp / every_seconds) + 1) * every_seconds
            yield VideoFrame(decoded - 1, timestamp, frame.to_ndarray(format="rgb24"))
    except av.FFmpegError as exc:
        raise Invalid(f"corrupt video stream: {exc}", code="corrupt_media") from exc
    if decoded == 0:
        raise Invalid("video stream holds no decodable frames", code="corrupt_media")


def _check_declared(stream: Any, container: Any, limits: MediaLimits) -> None:
    width = stream.codec_context.width or 0
    height = stream.codec_context.height or 0
    if width * height > limits.max_frame_pixels:
        raise TooLarge(f"video declares {width}x{height} frames; over the pixel limit")
    if container.duration is not None and container.duration / 1_000_000 > limits.max_video_seconds:
        raise TooLarge(f"video declares {container.duration / 1e6:.0f} s; over the duration limit")


def _source_size(source: VideoSource) -> int:
    if isinstance(source, bytes):
        return len(source)
    try:
        return Path(source).stat().st_size
    except OSError as exc:
        raise Invalid(f"cannot read video file: {exc}") from exc


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096)
