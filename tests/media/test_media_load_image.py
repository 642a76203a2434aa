"""Safe image intake: limits before decoding, clear errors for corrupt files, EXIF orientation honoured."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firstlight.errors import Invalid, TooLarge, Unsupported
from firstlight.media import MediaLimits, load_image


def _jpeg(array: np.ndarray, **save_args: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="JPEG", quality=90, **save_args)
    return out.getvalue()


def _gradient(height: int = 60, width: int = 90) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], axis=2).astype(np.uint8)


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge canvas: the classic decompression bomb shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def test_loads_a_jpeg_fully() -> None:
    image = load_image(_jpeg(_gradient()))
    assert image.size == (90, 60)
    assert image.mode == "RGB"


def test_bomb_is_refused_from_the_header_before_decoding() -> None:
    with pytest.raises(TooLarge, match="pixels"):
        load_image(_png_declaring(50_000, 50_000))


def test_pixel_and_byte_limits_are_configurable() -> None:
    data = _jpeg(_gradient(100, 100))
    with pytest.raises(TooLarge):
        load_image(data, limits=MediaLimits(max_image_pixels=5_000))
    with pytest.raises(TooLarge, match="bytes"):
        load_image(data, limits=MediaLimits(max_image_bytes=100))


def test_truncated_jpeg_is_rejected_with_a_clear_error() -> None:
    data = _jpeg(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8))
    with pytest.raises(Invalid, match="corrupt or truncated image/jpeg"):
        load_image(data[: len(data) // 2])


def test_garbage_after_a_valid_signature_is_invalid() -> None:
    with pytest.raises(Invalid):
        load_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)


def test_non_images_are_unsupported() -> None:
    with pytest.raises(Unsupported, match="not an image"):
        load_image(b"MZ\x90\x00 this is not a picture")
    with pytest.raises(Unsupported, match="a video"):
        load_image(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
    with pytest.raises(Unsupported, match="image/heif"):
        load_image(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")


def test_exif_orientation_is_honoured() -> None:
    upright = _gradient(60, 90)
    # Stored turned 90° anticlockwise, with Orientation=6 telling viewers to turn it clockwise.
    stored = np.rot90(upright, k=1).copy()
    exif = Image.Exif()
    exif[0x0112] = 6
    image = load_image(_jpeg(stored, exif=exif.tobytes()))
    assert image.size == (90, 60)
    restored = np.asarray(image).astype(int)
    assert np.abs(restored - upright.astype(int)).mean() < 6
    raw = load_image(_jpeg(stored, exif=exif.tobytes()), exif_transpose=False)
    assert raw.size == (60, 90)


def test_exif_rotated_sample_photo_is_upright(shared_dir: Path) -> None:
    path = shared_dir / "data/threatexchange/pdq/data/reg-test-input/exif-rotn/exif-rotn-6.jpg"
    assert load_image(path.read_bytes(), exif_transpose=False).size == (4032, 3024)
    assert load_image(path.read_bytes()).size == (3024, 4032)


def test_jpeg_draft_decodes_at_reduced_scale() -> None:
    data = _jpeg(_gradient(1080, 1920))
    image = load_image(data, draft_size=(256, 256))
    assert image.size == (480, 270)


def test_jpeg_luma_only_decode() -> None:
    image = load_image(_jpeg(_gradient()), jpeg_grayscale=True)
    assert (image.mode, image.size) == ("L", (90, 60))
