"""Helpers shared by the banks tests: random PDQ hashes, bit flips and benign generated images."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def rand_pdq(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(256):064x}"


def flip(hex_hash: str, bits: int, *, start: int = 0) -> str:
    """The hash with ``bits`` bits flipped (bits ``start`` … ``start + bits - 1``)."""
    value = int(hex_hash, 16)
    for b in range(start, start + bits):
        value ^= 1 << b
    return f"{value:064x}"


def make_image(seed: int, size: tuple[int, int] = (320, 240), fmt: str = "JPEG") -> bytes:
    """A benign picture of coloured ellipses, different for every seed."""
    rnd = random.Random(seed)
    im = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(25):
        x, y = rnd.randrange(size[0] - 10), rnd.randrange(size[1] - 10)
        draw.ellipse(
            [x, y, x + rnd.randrange(8, 90), y + rnd.randrange(8, 90)],
            fill=tuple(rnd.randrange(256) for _ in range(3)),
        )
    buf = io.BytesIO()
    im.save(buf, fmt, quality=90)
    return buf.getvalue()
