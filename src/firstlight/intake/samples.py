"""Benign generated stand-in images for tests, demos and benchmarks (never real abuse material).

Each seed gives a different smooth colour-noise picture with plenty of texture, so PDQ hashes have full
quality and different seeds are far apart in Hamming distance.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

__all__ = ["benign_image"]


def benign_image(seed: int, *, size: int = 512, fmt: str = "JPEG", quality: int = 90) -> bytes:
    """A ``size``×``size`` picture of upscaled random colour blocks, encoded as ``fmt``."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    img = Image.fromarray(blocks, "RGB").resize((size, size), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": quality} if fmt.upper() == "JPEG" else {}))
    return out.getvalue()
