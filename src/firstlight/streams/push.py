"""Push ingest: decode what the platform posts for a session — sampled frames or media segments.

Accepted bodies (the format is sniffed from the bytes, never taken from a header):

- a still frame: JPEG, PNG or WebP, decoded through ``firstlight.media.load_image`` (bomb limits, EXIF);
- a media segment: MPEG-TS, or fragmented MP4 *with its init segment prepended* (a bare ``moof`` fragment
  cannot be decoded alone), decoded with PyAV under the same tier-driven sampling as pull ingest —
  keyframes only at T0, ``fps`` frames per second from T1.

Segment timestamps: when the platform gives ``offset_seconds`` (where the segment starts in the stream),
frame times are ``offset + (pts − first pts of the segment)``; otherwise the first segment's first pts is
the stream's origin and later segments keep counting from it (MPEG-TS timestamps are continuous).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import av
import av.error
import numpy as np

from firstlight.errors import Invalid, TooLarge, Unsupported
from firstlight.media import MediaKind, load_image, sniff
from firstlight.streams.sampling import FrameSampler, SampledFrame, analysis_size

__all__ = ["PushDecoder", "PushLimits"]

_STILLS = {MediaKind.JPEG, MediaKind.PNG, MediaKind.WEBP}
_SEGMENTS = {MediaKind.MPEG_TS: "mpegts", MediaKind.MP4: "mp4", MediaKind.QUICKTIME: "mp4"}


@dataclass(frozen=True)
class PushLimits:
    max_frame_bytes: int = 8 * 1024 * 1024
    max_segment_bytes: int = 32 * 1024 * 1024
    max_segment_frames: int = 30 * 30
    """Frames decoded from one segment (30 s at 30 fps)."""
    max_sampled_frames: int = 32
    """Frames of one post kept for analysis: bounds the memory one post can hold."""
    max_pixels: int = 7680 * 4320


class PushDecoder:
    """Per-session state for pushed media: the sampler and the time origin carry across posts."""

    def __init__(self, *, limits: PushLimits | None = None) -> None:
        self.limits = limits or PushLimits()
        self.sampler = FrameSampler(None)
        self._origin: float | None = None
        self._last_still_time: float = -1.0

    def decode(
        self, data: bytes, *, offset_seconds: float | None, fps: float | None
    ) -> Iterator[SampledFrame]:
        """The frames of one post that the current tier wants analysed."""
        if not data:
            raise Invalid("empty body: expected a JPEG/PNG/WebP frame or an MPEG-TS/fMP4 segment")
        kind = sniff(data)
        if kind in _STILLS:
            yield self._still(data, offset_seconds, fps)
        elif kind in _SEGMENTS:
            yield from self._segment(data, _SEGMENTS[kind], offset_seconds, fps)
        else:
            raise Unsupported(
                f"cannot analyse {kind.value}: post a JPEG/PNG/WebP frame or an MPEG-TS/fMP4 segment",
                details={"sniffed": kind.value},
            )

    def _still(self, data: bytes, offset_seconds: float | None, fps: float | None) -> SampledFrame:
        if len(data) > self.limits.max_frame_bytes:
            raise TooLarge(f"frame of {len(data)} bytes is over {self.limits.max_frame_bytes}")
        image = load_image(data).convert("RGB")
        if offset_seconds is None:
            offset_seconds = self._last_still_time + 1.0 if self._last_still_time >= 0 else 0.0
        self._last_still_time = offset_seconds
        w, h = analysis_size(*image.size)
        small = image if image.size == (w, h) else image.resize((w, h))
        is_jpeg = sniff(data) is MediaKind.JPEG
        return SampledFrame(
            stream_time=float(offset_seconds),
            keyframe=True,
            rgb=np.asarray(small),
            width=image.width,
            height=image.height,
            ingest="push",
            source_jpeg=data if is_jpeg else None,
            _full=None if is_jpeg else _PilFrame(image),
        )

    def _segment(
        self, data: bytes, fmt: str, offset_seconds: float | None, fps: float | None
    ) -> Iterator[SampledFrame]:
        if len(data) > self.limits.max_segment_bytes:
            raise TooLarge(f"segment of {len(data)} bytes is over {self.limits.max_segment_bytes}")
        if fps != self.sampler.fps:
            self.sampler.set_fps(fps)
        try:
            container = av.open(io.BytesIO(data), format=fmt, mode="r")
        except (av.FFmpegError, ValueError, OSError) as exc:
            raise Invalid(f"segment could not be opened: {str(exc)[:200]}") from exc
        try:
            if not container.streams.video:
                raise Invalid("segment has no video stream")
            stream = container.streams.video[0]
            ctx = stream.codec_context
            ctx.skip_frame = "DEFAULT" if self.sampler.dense else "NONKEY"
            seg_origin: float | None = None
            decoded = sampled = 0
            try:
                for frame in container.decode(stream):
                    decoded += 1
                    if decoded > self.limits.max_segment_frames:
                        raise TooLarge(f"segment holds over {self.limits.max_segment_frames} frames")
                    if frame.width * frame.height > self.limits.max_pixels:
                        raise TooLarge(f"frame size {frame.width}x{frame.height} over the limit")
                    if frame.time is None:
                        continue
                    t = float(frame.time)
                    if offset_seconds is not None:
                        if seg_origin is None:
                            seg_origin = t
                        stream_time = offset_seconds + (t - seg_origin)
                    else:
                        if self._origin is None:
                            self._origin = t
                        stream_time = max(0.0, t - self._origin)
                    if not self.sampler.want(stream_time, bool(frame.key_frame)):
                        continue
                    self.sampler.taken(stream_time)
                    sampled += 1
                    if sampled > self.limits.max_sampled_frames:
                        raise TooLarge(
                            f"one post may carry at most {self.limits.max_sampled_frames} frames at this "
                            "tier's sampling rate: send shorter segments"
                        )
                    w, h = analysis_size(frame.width, frame.height)
                    yield SampledFrame(
                        stream_time=stream_time,
                        keyframe=bool(frame.key_frame),
                        rgb=frame.to_ndarray(format="rgb24", width=w, height=h),
                        width=frame.width,
                        height=frame.height,
                        ingest="push",
                        _full=frame,
                    )
            except av.error.EOFError:
                return
            except (av.FFmpegError, ValueError, MemoryError) as exc:
                if decoded == 0:
                    raise Invalid(f"segment could not be decoded: {str(exc)[:200]}") from exc
        finally:
            container.close()


class _PilFrame:
    """Adapter so a decoded still looks like a PyAV frame to ``SampledFrame.evidence_jpeg``."""

    def __init__(self, image: object) -> None:
        self._image = image

    def to_image(self) -> object:
        return self._image
