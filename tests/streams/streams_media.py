"""Benign generated media for the streams tests: a stand-in "known" picture and test-pattern videos."""

from __future__ import annotations

import io
import random
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw


def standin_image(seed: int = 7, size: tuple[int, int] = (640, 360)) -> Image.Image:
    """A benign picture of coloured discs: high PDQ quality, far from any test pattern."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, (30, 60, 120))
    draw = ImageDraw.Draw(img)
    w, h = size
    for _ in range(40):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(w // 64 + 5, w // 8)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    return img


def pattern_frame(index: int, size: tuple[int, int]) -> np.ndarray:
    """A moving benign test pattern (stripes and a gradient), different every frame."""
    w, h = size
    x = np.linspace(0, 6 * np.pi, w)[None, :]
    y = np.linspace(0, 3 * np.pi, h)[:, None]
    phase = index * 0.15
    r = 127 + 120 * np.sin(x + phase) * np.cos(y)
    g = 127 + 120 * np.sin(2 * y - phase)
    b = np.broadcast_to(np.linspace(0, 255, w)[None, :], (h, w))
    return np.stack([r + 0 * y, g + 0 * x, b], axis=2).clip(0, 255).astype(np.uint8)


def jpeg_bytes(image: Image.Image | np.ndarray, quality: int = 90) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def make_video(
    path: Path | None = None,
    *,
    seconds: float = 6.0,
    fps: int = 10,
    size: tuple[int, int] = (320, 180),
    gop_seconds: float = 2.0,
    show_from: float | None = None,
    image: Image.Image | None = None,
    fmt: str = "mp4",
    bframes: int = 0,
) -> bytes:
    """Encode a test-pattern H.264 video; from ``show_from`` seconds on, ``image`` fills the frame."""
    buf = io.BytesIO()
    target = str(path) if path is not None else buf
    container = av.open(target, mode="w", format=fmt)
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.codec_context.gop_size = int(gop_seconds * fps)
    stream.codec_context.options = {"sc_threshold": "0", "preset": "ultrafast", "bf": str(bframes)}
    shown = None
    if image is not None:
        shown = np.asarray(image.convert("RGB").resize(size))
    for i in range(int(seconds * fps)):
        t = i / fps
        pixels = shown if shown is not None and show_from is not None and t >= show_from else None
        if pixels is None:
            pixels = pattern_frame(i, size)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        frame.pts = i
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    if path is not None:
        return Path(path).read_bytes()
    return buf.getvalue()
