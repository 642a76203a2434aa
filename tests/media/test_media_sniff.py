"""Content is recognised from its bytes, never from a name."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firstlight.media import MediaKind, sniff


def _encode(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("JPEG", MediaKind.JPEG),
        ("PNG", MediaKind.PNG),
        ("GIF", MediaKind.GIF),
        ("WEBP", MediaKind.WEBP),
        ("BMP", MediaKind.BMP),
        ("TIFF", MediaKind.TIFF),
    ],
)
def test_image_formats_are_sniffed_from_bytes(fmt: str, kind: MediaKind) -> None:
    assert sniff(_encode(fmt)) is kind
    assert kind.is_image and not kind.is_video


def test_container_signatures() -> None:
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2") is MediaKind.MP4
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ") is MediaKind.QUICKTIME
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") is MediaKind.HEIF
    assert sniff(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf") is MediaKind.AVIF
    assert sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm") is MediaKind.WEBM
    assert sniff(b"FLV\x01\x05\x00\x00\x00\x09") is MediaKind.FLV
    assert sniff((b"\x47" + b"\x00" * 187) * 4) is MediaKind.MPEG_TS
    assert sniff(b"%PDF-1.7\n") is MediaKind.PDF
    assert sniff(b"MZ\x90\x00 an executable renamed photo.jpg") is MediaKind.UNKNOWN
    assert sniff(b"") is MediaKind.UNKNOWN


def test_sample_video_is_sniffed_as_video(shared_dir: Path) -> None:
    data = (shared_dir / "data/threatexchange/tmk/sample-videos/chair-19-sd-bar.mp4").read_bytes()
    assert sniff(data).is_video
