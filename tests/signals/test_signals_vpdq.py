"""vPDQ via PyAV + pdqhash agrees with the upstream sample hashes; the match rule separates videos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firstlight.errors import Invalid
from firstlight.signals import (
    VPDQFrame,
    vpdq_from_signal_str,
    vpdq_from_video,
    vpdq_match,
    vpdq_to_signal_str,
)

TX = "data/threatexchange"
# Re-encodes, grey, sepia and a small logo of chair-orig-22-sd-bar. Measured, not assumed: the large-logo
# variant keeps only 11% of its frames within 31 bits (the logo covers much of the frame), and the no-bar
# versions differ by the letterbox bars, so neither is listed (see docs/matching.md).
CHAIR_VARIANTS = [
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-sd-sepia-bar",
    "chair-22-with-small-logo-bar",
]
OTHERS = ["pattern-hd-no-bar", "doorknob-hd-no-bar", "pattern-sd-grey-bar"]


def _reference(shared_dir: Path, name: str) -> list[VPDQFrame]:
    frames = []
    for line in (shared_dir / TX / "vpdq/sample-hashes" / f"{name}.txt").read_text().splitlines():
        number, quality, pdq_hex, timestamp = line.split(",")
        frames.append(VPDQFrame(pdq_hex, int(quality), float(timestamp), int(number)))
    return frames


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_every_frame_agrees_with_the_upstream_hashes(shared_dir: Path) -> None:
    video = shared_dir / TX / "tmk/sample-videos/pattern-sd-grey-bar.mp4"
    ours = vpdq_from_video(video, seconds_per_hash=0)
    reference = _reference(shared_dir, "pattern-sd-grey-bar")
    assert len(ours) == len(reference)
    distances = [_distance(a.pdq_hex, b.pdq_hex) for a, b in zip(ours, reference, strict=True)]
    assert sum(distances) / len(distances) <= 3
    assert max(distances) <= 16
    assert [round(f.timestamp, 3) for f in ours] == [f.timestamp for f in reference]
    assert vpdq_match(ours, reference).query_match_percent == 100.0


def test_per_second_hashes_match_the_upstream_file_and_not_others(shared_dir: Path) -> None:
    video = shared_dir / TX / "tmk/sample-videos/chair-orig-22-sd-bar.mp4"
    ours = vpdq_from_video(video)
    assert [round(f.timestamp) for f in ours] == list(range(len(ours)))
    assert vpdq_match(ours, _reference(shared_dir, "chair-orig-22-sd-bar"), compared_match_percent=0).is_match
    for other in OTHERS:
        assert not vpdq_match(ours, _reference(shared_dir, other)).is_match, other


@pytest.mark.parametrize("variant", CHAIR_VARIANTS)
def test_variants_of_the_original_match_it(shared_dir: Path, variant: str) -> None:
    original = _reference(shared_dir, "chair-orig-22-sd-bar")
    result = vpdq_match(_reference(shared_dir, variant), original)
    assert result.is_match, result


@pytest.mark.parametrize("other", OTHERS)
def test_other_originals_do_not_match(shared_dir: Path, other: str) -> None:
    result = vpdq_match(_reference(shared_dir, other), _reference(shared_dir, "chair-orig-22-sd-bar"))
    assert not result.is_match
    assert result.query_match_percent < 80


def test_no_bar_resolutions_match_each_other(shared_dir: Path) -> None:
    hd = _reference(shared_dir, "chair-orig-22-hd-no-bar")
    assert vpdq_match(_reference(shared_dir, "chair-orig-22-fhd-no-bar"), hd).is_match


def test_pattern_variants_match_pattern_not_chair(shared_dir: Path) -> None:
    grey = _reference(shared_dir, "pattern-sd-grey-bar")
    small_logo = _reference(shared_dir, "pattern-sd-with-small-logo-bar")
    assert vpdq_match(small_logo, grey).is_match
    longer = _reference(shared_dir, "pattern-longer-no-bar")
    assert vpdq_match(_reference(shared_dir, "pattern-hd-no-bar"), longer).is_match
    assert not vpdq_match(small_logo, _reference(shared_dir, "chair-19-sd-bar")).is_match


def test_signal_string_is_pytx_format_and_round_trips() -> None:
    frames = [
        VPDQFrame("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", 100, 0.0),
        VPDQFrame("30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af", 73, 12.345),
    ]
    text = vpdq_to_signal_str(frames)
    assert json.loads(text)[1] == "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af,73,12.3"
    parsed = vpdq_from_signal_str(text)
    assert [(f.pdq_hex, f.quality) for f in parsed] == [(f.pdq_hex, f.quality) for f in frames]


def test_low_quality_frames_are_ignored_by_the_rule() -> None:
    good = VPDQFrame("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", 100, 0.0)
    blank = VPDQFrame("0" * 64, 0, 1.0)
    assert vpdq_match([good, blank], [good]).is_match
    assert not vpdq_match([blank], [blank]).is_match


@pytest.mark.parametrize("bad", ["not json", '{"a": 1}', '["abc,100,0.0"]', '["' + "0" * 64 + ',101,0"]'])
def test_malformed_signal_strings_are_invalid(bad: str) -> None:
    with pytest.raises(Invalid):
        vpdq_from_signal_str(bad)
