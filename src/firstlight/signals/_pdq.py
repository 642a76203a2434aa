"""PDQ through ``pdqhash`` (the C++ reference bindings), and a fast path that agrees with it.

Exact path (the default): decode at full size, convert to RGB with Pillow, hash with ``pdqhash``. This
reproduces the reference hashes bit for bit (``EXPECTED/pdq_reference_computed.tsv``).

Fast path (``fast=True``): JPEGs are decoded as luma only (libjpeg skips chroma upsampling and colour
conversion) and hashed by ``_pdq_fast``, which evaluates the reference PDQ as two small banded products
instead of filtering every pixel. Other formats go through the same fast hasher from RGB (bit-identical in
practice). The luma decode drifts from the reference by a bit or two on average (the JPEG's Y channel is
not exactly the luma of the decoded, rounded and clipped RGB); ``benchmarks/bench_hashing.py`` measures speed
and drift.
"""

from __future__ import annotations

import numpy as np
import pdqhash
from PIL import Image

from firstlight.media import DEFAULT_LIMITS, MediaKind, MediaLimits, load_image, sniff
from firstlight.signals._pdq_fast import pdq_from_luma, pdq_from_rgb_array

__all__ = [
    "DIHEDRAL_NAMES",
    "pdq_dihedral_from_image",
    "pdq_from_bytes",
    "pdq_from_image",
    "pdq_from_image_fast",
]

# pdqhash.compute_dihedral's output order (the C++ reference's ``dihedralHashes`` order).
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flip_plus1",
    "flip_minus1",
)

def bits_to_hex(bits: np.ndarray) -> str:
    """pdqhash's 256 0/1 values, most significant first, as pytx's 64-character lowercase hex."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def _rgb_array(image: Image.Image) -> np.ndarray:
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def pdq_from_image(image: Image.Image) -> tuple[str, int]:
    """PDQ hex and quality (0–100) of a decoded image, after converting it to RGB."""
    bits, quality = pdqhash.compute(_rgb_array(image))
    return bits_to_hex(bits), int(quality)


def pdq_dihedral_from_image(image: Image.Image) -> tuple[dict[str, str], int]:
    """The PDQ hashes of all 8 rotations/flips of ``image`` (one DCT, so ~the cost of one hash)."""
    hashes, quality = pdqhash.compute_dihedral(_rgb_array(image))
    return {name: bits_to_hex(bits) for name, bits in zip(DIHEDRAL_NAMES, hashes, strict=True)}, int(
        quality
    )


def pdq_from_image_fast(image: Image.Image) -> tuple[str, int]:
    """PDQ by ``_pdq_fast``: from luma directly for an ``L`` image, else from RGB."""
    if image.mode == "L":
        return pdq_from_luma(np.asarray(image, dtype=np.float32))
    return pdq_from_rgb_array(_rgb_array(image))


def load_for_pdq(data: bytes, *, fast: bool, limits: MediaLimits = DEFAULT_LIMITS) -> Image.Image:
    """Safe intake for hashing; on the fast path a JPEG is decoded as luma only."""
    return load_image(data, limits=limits, jpeg_grayscale=fast and sniff(data) is MediaKind.JPEG)


def pdq_from_bytes(
    data: bytes, *, fast: bool = False, limits: MediaLimits = DEFAULT_LIMITS
) -> tuple[str, int]:
    """PDQ of encoded image bytes via safe intake (EXIF orientation honoured).

    ``fast=True`` uses the fast path described in the module docstring.
    """
    image = load_for_pdq(data, fast=fast, limits=limits)
    return pdq_from_image_fast(image) if fast else pdq_from_image(image)
