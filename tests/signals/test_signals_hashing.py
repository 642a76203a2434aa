"""hash_bytes / hash_file choose signals by what the bytes are and refuse bad media clearly."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firstlight.errors import Invalid, TooLarge
from firstlight.media import MediaLimits
from firstlight.signals import (
    MD5,
    PDQ,
    SHA256,
    VIDEO_MD5,
    VIDEO_SHA256,
    VPDQ,
    Signal,
    hash_bytes,
    hash_file,
    vpdq_from_signal_str,
)

TX = "data/threatexchange"


def _png(seed: int = 0) -> bytes:
    out = io.BytesIO()
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def test_photo_gets_pdq_md5_and_sha256(shared_dir: Path) -> None:
    path = shared_dir / TX / "python-threatexchange/data/sample-b.jpg"
    signals = hash_file(path)
    assert [s.signal_type for s in signals] == [PDQ, MD5, SHA256]
    by_type = {s.signal_type: s.value for s in signals}
    assert by_type[MD5] == "d35c785545392755e7e4164457657269"
    assert by_type[SHA256] == "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"
    assert by_type[PDQ] == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_video_gets_video_md5_sha256_and_vpdq(shared_dir: Path) -> None:
    path = shared_dir / TX / "tmk/sample-videos/chair-19-sd-bar.mp4"
    signals = hash_file(path)
    assert [s.signal_type for s in signals] == [VIDEO_MD5, VIDEO_SHA256, VPDQ]
    assert signals[0].value == "0a21c8f85a55a9e276ffc2c53f6887c4"
    frames = vpdq_from_signal_str(signals[2].value)
    assert 18 <= len(frames) <= 20  # a ~19 s clip, one frame per second
    assert signals[2].extra["frames"] == len(frames)


def test_the_same_bytes_hash_the_same_from_memory_and_disk(tmp_path: Path) -> None:
    data = _png()
    (tmp_path / "upload.bin").write_bytes(data)
    assert hash_bytes(data) == hash_file(tmp_path / "upload.bin")


def test_unknown_file_gets_cryptographic_hashes_only() -> None:
    data = b"plain text, not media"
    assert hash_bytes(data) == [
        Signal(MD5, hashlib.md5(data).hexdigest()),
        Signal(SHA256, hashlib.sha256(data).hexdigest()),
    ]


def test_name_does_not_matter_only_bytes(tmp_path: Path) -> None:
    (tmp_path / "holiday.mp4").write_bytes(_png())
    assert hash_file(tmp_path / "holiday.mp4")[0].signal_type == PDQ


def test_corrupt_image_is_rejected() -> None:
    with pytest.raises(Invalid):
        hash_bytes(_png()[:60])


def test_oversize_image_is_rejected() -> None:
    with pytest.raises(TooLarge):
        hash_bytes(_png(), limits=MediaLimits(max_image_pixels=100))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="cannot read"):
        hash_file(tmp_path / "absent.jpg")


def test_dihedral_adds_distinct_variants_after_the_original() -> None:
    signals = hash_bytes(_png(), dihedral=True)
    pdq = [s for s in signals if s.signal_type == PDQ]
    assert pdq[0].extra == {}
    assert {s.extra["dihedral"] for s in pdq[1:]} == {
        "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flip_plus1", "flip_minus1",
    }
    assert len({s.value for s in pdq}) == 8
