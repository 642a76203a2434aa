"""Safe image decoding: sniffed format, bomb limits, EXIF orientation, clear errors for corrupt files."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from firstlight.errors import Invalid, TooLarge, Unsupported
from firstlight.media._limits import DEFAULT_LIMITS, MediaLimits
from firstlight.media._sniff import MediaKind, sniff

__all__ = ["load_image"]


def load_image(
    data: bytes,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    exif_transpose: bool = True,
    draft_size: tuple[int, int] | None = None,
    jpeg_grayscale: bool = False,
) -> Image.Image:
    """Decode ``data`` into a fully loaded Pillow image, or raise a clear domain error.

    - The format is sniffed from the bytes and Pillow is told to use only that plugin.
    - Declared width/height are checked against ``limits`` from the header, before pixels are decoded.
    - Truncated or corrupt data raises ``Invalid`` (Pillow's default refuses truncated images; we keep that).
    - EXIF orientation is applied (``exif_transpose``), so a phone photo stored sideways hashes upright.
    - ``draft_size`` lets the JPEG decoder downscale by 1/2, 1/4 or 1/8 while decoding (no larger than needed
      to stay at least this size): a fast path for perceptual hashing, which only looks at 64×64 anyway.
    - ``jpeg_grayscale`` asks libjpeg for the luma (Y) channel only, skipping chroma upsampling and colour
      conversion (about twice as fast); other formats are unaffected.

    Only the first frame of an animated GIF/WebP is decoded.
    """
    if len(data) > limits.max_image_bytes:
        raise TooLarge(
            f"image is {len(data)} bytes; the limit is {limits.max_image_bytes}",
            details={"bytes": len(data), "limit": limits.max_image_bytes},
        )
    kind = sniff(data)
    if not kind.is_image:
        what = "a video" if kind.is_video else f"not an image ({kind.value})"
        raise Unsupported(f"expected an image, but the content is {what}", details={"kind": kind.value})
    pillow_format = kind.pillow_format
    if pillow_format is None:
        raise Unsupported(f"{kind.value} images are not supported", details={"kind": kind.value})

    with warnings.catch_warnings():
        # Our own pixel limit is checked below; Pillow's global warning would only duplicate it.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = _open_checked(data, kind, pillow_format, limits)
        if kind is MediaKind.JPEG and (draft_size is not None or jpeg_grayscale):
            image.draft("L" if jpeg_grayscale else "RGB", draft_size or image.size)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise Invalid(f"corrupt or truncated {kind.value} image: {exc}", code="corrupt_media") from exc
    if exif_transpose:
        image = _apply_exif_orientation(image)
    return image


def _open_checked(
    data: bytes, kind: MediaKind, pillow_format: str, limits: MediaLimits
) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=[pillow_format])
    except Image.DecompressionBombError as exc:
        raise TooLarge(f"image declares too many pixels: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Invalid(f"corrupt {kind.value} image: {exc}", code="corrupt_media") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise Invalid(f"image declares an empty size {width}x{height}", code="corrupt_media")
    if max(width, height) > limits.max_image_side or width * height > limits.max_image_pixels:
        raise TooLarge(
            f"image declares {width}x{height} pixels; the limits are {limits.max_image_pixels} pixels "
            f"and {limits.max_image_side} per side",
            details={"width": width, "height": height, "max_pixels": limits.max_image_pixels},
        )
    return image


def _apply_exif_orientation(image: Image.Image) -> Image.Image:
    """Rotate/flip as the EXIF Orientation tag says; a broken EXIF block leaves the pixels as stored."""
    try:
        transposed = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return image
    return transposed if transposed is not None else image
