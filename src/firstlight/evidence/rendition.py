"""Reviewer protection: a blurred, greyscale, downscaled rendition served by default.

Why: repeated exposure to abuse imagery harms moderators; research-led tools (and Ofcom's guidance on
moderator wellbeing) default to obscured previews that still let a reviewer judge context. The original is
only served to a reviewer who states a reason, and each reveal is recorded (see ``service.reveal``).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageDraw, ImageFilter, ImageOps

__all__ = ["MAX_PIXELS", "protected_rendition"]

MAX_PIXELS = 64_000_000
_MAX_SIDE = 480


def protected_rendition(data: bytes, *, blur_fraction: float = 0.06) -> bytes:
    """JPEG of ``data`` shrunk to at most 480 px, greyscale, with a Gaussian blur of ~6 % of its width.

    Anything that is not a decodable image (video, corrupt, too large) gets a neutral placeholder, never
    the original bytes.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise ValueError("too many pixels")
            img.draft("L", (_MAX_SIDE, _MAX_SIDE))
            img = ImageOps.exif_transpose(img)
            img = img.convert("L")
    except Exception:  # noqa: BLE001 - any undecodable input gets the placeholder
        return _placeholder()
    img.thumbnail((_MAX_SIDE, _MAX_SIDE))
    radius = max(4.0, blur_fraction * max(img.size))
    img = img.filter(ImageFilter.GaussianBlur(radius))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _placeholder() -> bytes:
    img = Image.new("L", (320, 180), 128)
    ImageDraw.Draw(img).text((90, 80), "no preview available", fill=230)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()
