"""PDQ reproduces the reference hashes exactly, and rotated copies match through dihedral hashing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firstlight.media import load_image
from firstlight.signals import (
    PDQ,
    hash_bytes,
    pdq_dihedral_from_image,
    pdq_from_bytes,
    pdq_from_image,
)
from firstlight.signals._pdq import pdq_from_image_fast

TX = "data/threatexchange"


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _reference_rows(shared_dir: Path) -> list[tuple[Path, str, int]]:
    rows = []
    for line in (shared_dir / TX / "EXPECTED/pdq_reference_computed.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            path, pdq_hex, quality, _ = line.split("\t")
            rows.append((shared_dir / TX / path, pdq_hex, int(quality)))
    return rows


def test_full_decode_reproduces_every_reference_hash_exactly(shared_dir: Path) -> None:
    rows = _reference_rows(shared_dir)
    assert len(rows) >= 40
    for path, expected_hex, expected_quality in rows:
        # The reference hashes the pixels as stored; EXIF orientation is covered separately below.
        image = load_image(path.read_bytes(), exif_transpose=False)
        assert pdq_from_image(image) == (expected_hex, expected_quality), path.name


def test_pytx_and_java_assertions_hold(shared_dir: Path) -> None:
    bridge = (shared_dir / TX / "pdq/data/reg-test-input/dih/bridge-1-original.jpg").read_bytes()
    assert pdq_from_bytes(bridge) == (
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        100,
    )


def test_exif_rotated_photo_hashes_as_its_upright_pixels(shared_dir: Path) -> None:
    """With orientation honoured, the hash is the raw hash's matching dihedral variant (within a few bits)."""
    folder = shared_dir / TX / "pdq/data/reg-test-input/exif-rotn"
    expected_variant = {3: "rotate180", 6: "rotate270", 8: "rotate90"}
    for orientation, variant in expected_variant.items():
        data = (folder / f"exif-rotn-{orientation}.jpg").read_bytes()
        variants, _ = pdq_dihedral_from_image(load_image(data, exif_transpose=False))
        upright_hex, _ = pdq_from_bytes(data)
        assert _distance(upright_hex, variants[variant]) <= 8, orientation
        assert _distance(upright_hex, variants["original"]) > 60


def test_dihedral_variants_match_the_rotated_reference_files(shared_dir: Path) -> None:
    folder = shared_dir / TX / "pdq/data/reg-test-input/dih"
    signals = hash_bytes((folder / "bridge-1-original.jpg").read_bytes(), dihedral=True)
    pdq = {s.extra.get("dihedral", "original"): s.value for s in signals if s.signal_type == PDQ}
    assert len(pdq) == 8
    files = {
        "rotate90": "bridge-2-rotate-90.jpg",
        "rotate180": "bridge-3-rotate-180.jpg",
        "rotate270": "bridge-4-rotate-270.jpg",
        "flipx": "bridge-5-flipx.jpg",
        "flipy": "bridge-6-flipy.jpg",
        "flip_plus1": "bridge-7-flip-plus-1.jpg",
        "flip_minus1": "bridge-8-flip-minus-1.jpg",
    }
    for variant, name in files.items():
        rotated_hex, _ = pdq_from_bytes((folder / name).read_bytes())
        assert _distance(pdq[variant], rotated_hex) <= 16, variant
        assert _distance(pdq["original"], rotated_hex) > 31, variant


def test_fast_hasher_reproduces_every_reference_hash_from_rgb(shared_dir: Path) -> None:
    for path, expected_hex, expected_quality in _reference_rows(shared_dir):
        image = load_image(path.read_bytes(), exif_transpose=False)
        assert pdq_from_image_fast(image) == (expected_hex, expected_quality), path.name


def test_fast_path_with_luma_decode_stays_within_a_few_bits(shared_dir: Path) -> None:
    folders = ["labelme-subset", "dih", "exif-rotn"]
    drift = []
    for folder in folders:
        for path in sorted((shared_dir / TX / "pdq/data/reg-test-input" / folder).glob("*.jpg")):
            exact, quality = pdq_from_bytes(path.read_bytes())
            fast, _ = pdq_from_bytes(path.read_bytes(), fast=True)
            if quality >= 50:
                drift.append(_distance(exact, fast))
    assert len(drift) >= 15
    assert sum(drift) / len(drift) <= 3
    assert max(drift) <= 31


def test_low_quality_hash_is_marked_unmatchable() -> None:
    flat = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(flat, format="PNG")
    (pdq, *_rest) = hash_bytes(flat.getvalue())
    assert pdq.signal_type == PDQ
    assert pdq.quality is not None and pdq.quality < 50
    assert not pdq.matchable


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16"])
def test_every_pillow_mode_hashes(mode: str) -> None:
    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).convert(mode)
    pdq_hex, quality = pdq_from_image(image)
    assert len(pdq_hex) == 64 and 0 <= quality <= 100
