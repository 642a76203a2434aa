"""Pull ingest: open a stream URL (RTMP, HLS, RTSP, SRT, a file) with PyAV and sample it.

Latency choices, measured on the nginx-rtmp rig (``../shared/research/livestream-notes.md``):

- small probing (``analyzeduration`` 0.5 s, ``probesize`` 64 KiB) so ``av.open`` returns as soon as the first
  keyframe's parameters are known — but *not* ``fflags=nobuffer``: that flag discards the packets read
  while probing, which is how the first keyframes of a stream were lost;
- HLS starts from the first segment still in the playlist (``live_start_index=0``), not three from the end;
- a reader that connects to nginx-rtmp before the publisher waits for it and receives the stream from its
  first keyframe (``wait_key on``), so "from the first frame" really is from the first frame.

Every blocking step is bounded: ``open_timeout_s`` for the connection and the first data, ``read_timeout_s``
for each later read (a stalled stream is closed as ``stalled``), ``max_duration_s`` overall, and a stop
flag checked between packets. Garbage closes the session as ``invalid``, never crashes the worker.

When the tier asks for dense sampling mid-stream, the packets of the current GOP (kept since its keyframe)
are decoded again with the full decoder, so dense sampling starts from the keyframe before the weak
signal rather than from the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import av
import av.error

from firstlight.streams.sampling import FrameSampler, SampledFrame, analysis_size

__all__ = ["PullClosed", "PullOptions", "PullReader", "redact_url"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PullOptions:
    open_timeout_s: float = 30.0
    """How long to wait for the connection and the publisher's first data."""
    read_timeout_s: float = 10.0
    """A read blocked this long means the stream stalled: it is closed."""
    max_duration_s: float | None = None
    """Stop after this much wall time (None: until the stream ends)."""
    analyzeduration_us: int = 500_000
    probesize: int = 65_536
    max_pixels: int = 7680 * 4320
    max_gop_packets: int = 900
    """Packets kept for a GOP replay; longer GOPs are not replayed (dense sampling waits a keyframe)."""
    realtime: bool = False
    """Read no faster than the stream's own clock (like ffmpeg's ``-re``): for files played as live streams
    in demos and benchmarks. Live sources pace themselves."""
    time_origin: str = "auto"
    """``auto``: RTMP/FLV timestamps are the publisher's clock (0 = stream start); other formats count
    from the first packet read. ``zero`` or ``first`` force one or the other."""


class PullClosed(Exception):
    """The pull ended; ``reason`` is one of ended, stalled, invalid, open_failed, stopped, limit."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message


def redact_url(url: str) -> str:
    """A URL safe to log and store: no credentials, no query string, the stream key shortened."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.scheme or parts.scheme == "file" or len(parts.scheme) == 1:  # a path (or C:\...)
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    path = parts.path
    segments = path.split("/")
    if len(segments) > 2 and len(segments[-1]) > 12:
        segments[-1] = segments[-1][:4] + "…"
    return f"{parts.scheme}://{host}{'/'.join(segments)}"


def _format_options(url: str, options: PullOptions) -> dict[str, str]:
    opts = {
        "analyzeduration": str(options.analyzeduration_us),
        "probesize": str(options.probesize),
    }
    lowered = url.lower()
    if ".m3u8" in lowered or lowered.startswith(("hls+", "http")):
        opts["live_start_index"] = "0"
    if lowered.startswith("rtsp"):
        opts["rtsp_transport"] = "tcp"
    return opts


class PullReader:
    """Iterates the sampled frames of one stream URL.

    ``want_fps`` is read before every packet: ``None`` means keyframes only, a number means dense sampling
    (the worker points it at the session's tier). Iteration ends by raising :class:`PullClosed`.
    """

    def __init__(
        self,
        url: str,
        *,
        options: PullOptions | None = None,
        want_fps: Callable[[], float | None] = lambda: None,
        stop: threading.Event | None = None,
    ) -> None:
        self.url = url
        self.options = options or PullOptions()
        self.want_fps = want_fps
        self.stop = stop or threading.Event()
        self.opened_at: float | None = None
        self.first_packet_at: float | None = None
        self.packets = 0
        self.keyframes = 0
        self.decoded = 0

    def frames(self) -> Iterator[SampledFrame]:
        started = time.monotonic()
        try:
            container = av.open(
                self.url,
                options=_format_options(self.url, self.options),
                timeout=(self.options.open_timeout_s, self.options.read_timeout_s),
            )
        except av.error.ExitError as exc:
            raise PullClosed("open_failed", "timed out opening the stream") from exc
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise PullClosed("open_failed", str(exc)[:300]) from exc
        try:
            self.opened_at = time.monotonic()
            yield from self._read(container, started)
        finally:
            container.close()

    def _read(self, container: Any, started: float) -> Iterator[SampledFrame]:
        if not container.streams.video:
            raise PullClosed("invalid", "no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if (ctx.width or 0) * (ctx.height or 0) > self.options.max_pixels:
            raise PullClosed("invalid", f"frame size {ctx.width}x{ctx.height} over the limit")
        fmt = container.format.name or ""
        zero_origin = self.options.time_origin == "zero" or (
            self.options.time_origin == "auto" and "flv" in fmt
        )
        origin: float | None = 0.0 if zero_origin else None
        sampler = FrameSampler(self.want_fps())
        ctx.skip_frame = "DEFAULT" if sampler.dense else "NONKEY"
        gop: list[Any] = []
        deadline = None if self.options.max_duration_s is None else started + self.options.max_duration_s
        try:
            for packet in container.demux(stream):
                if self.stop.is_set():
                    raise PullClosed("stopped")
                if deadline is not None and time.monotonic() > deadline:
                    raise PullClosed("limit", "maximum duration reached")
                if packet.size == 0:  # the demuxer's final flush packet: drain the decoder
                    if sampler.dense:
                        yield from self._decode(ctx, None, sampler, origin or 0.0, stream.time_base)
                    continue
                self.packets += 1
                if self.first_packet_at is None:
                    self.first_packet_at = time.monotonic()
                if origin is None and packet.pts is not None and packet.time_base is not None:
                    origin = float(packet.pts * packet.time_base)
                if self.options.realtime and packet.pts is not None and packet.time_base is not None:
                    due = self.first_packet_at + float(packet.pts * packet.time_base) - (origin or 0.0)
                    while not self.stop.is_set() and time.monotonic() < due:
                        self.stop.wait(min(due - time.monotonic(), 0.5))
                if packet.is_keyframe:
                    self.keyframes += 1
                    gop = []
                if len(gop) < self.options.max_gop_packets:
                    gop.append(packet)
                to_decode = [packet]
                fps = self.want_fps()
                if fps != sampler.fps:
                    was_dense = sampler.dense
                    sampler.set_fps(fps)
                    ctx.skip_frame = "DEFAULT" if sampler.dense else "NONKEY"
                    if sampler.dense and not was_dense and gop and gop[0].is_keyframe:
                        ctx.flush_buffers()
                        to_decode = list(gop)  # replay the GOP with the full decoder
                for pkt in to_decode:
                    if sampler.dense:
                        yield from self._decode(ctx, pkt, sampler, origin or 0.0, stream.time_base)
                    elif pkt.is_keyframe:
                        # Keyframes only: drain the decoder after each one. A stream with B-frames makes
                        # the decoder hold frames back for reordering (has_b_frames), which with only
                        # keyframes decoded would delay each keyframe by two GOPs (4 s at a 2 s GOP).
                        # A keyframe depends on nothing before it, so draining and resetting is safe.
                        yield from self._decode(ctx, pkt, sampler, origin or 0.0, stream.time_base)
                        yield from self._decode(ctx, None, sampler, origin or 0.0, stream.time_base)
                        ctx.flush_buffers()
        except PullClosed:
            raise
        except av.error.ExitError as exc:
            raise PullClosed("stalled", f"no data for {self.options.read_timeout_s:g} s") from exc
        except av.error.EOFError as exc:
            raise PullClosed("ended") from exc
        except (av.FFmpegError, OSError, ValueError, MemoryError) as exc:
            raise PullClosed("invalid", str(exc)[:300]) from exc
        raise PullClosed("ended")

    def _decode(
        self, ctx: Any, packet: Any, sampler: FrameSampler, origin: float, time_base: Any
    ) -> Iterator[SampledFrame]:
        try:
            frames = ctx.decode(packet)
        except av.error.EOFError:
            return
        except av.error.InvalidDataError:
            return  # one corrupt packet: the decoder recovers at the next keyframe
        for frame in frames:
            self.decoded += 1
            if frame.pts is None:
                continue
            base = frame.time_base or time_base  # frames drained without a packet carry no time base
            stream_time = max(0.0, float(frame.pts * base) - origin)
            keyframe = bool(frame.key_frame)
            if not sampler.want(stream_time, keyframe):
                continue
            sampler.taken(stream_time)
            w, h = analysis_size(frame.width, frame.height)
            rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
            yield SampledFrame(
                stream_time=stream_time,
                keyframe=keyframe,
                rgb=rgb,
                width=frame.width,
                height=frame.height,
                ingest="pull",
                _full=frame,
            )
