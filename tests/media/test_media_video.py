"""Video frames through PyAV with limits and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstlight.errors import Invalid, TooLarge, Unsupported
from firstlight.media import MediaLimits, iter_video_frames

VIDEOS = "data/threatexchange/tmk/sample-videos"


def test_one_frame_per_second_by_presentation_time(shared_dir: Path) -> None:
    frames = list(iter_video_frames(shared_dir / VIDEOS / "doorknob-hd-no-bar.mp4", every_seconds=1.0))
    assert [round(f.timestamp) for f in frames] == list(range(len(frames)))
    assert frames[0].rgb.ndim == 3 and frames[0].rgb.shape[2] == 3


def test_frames_decode_from_bytes(shared_dir: Path) -> None:
    data = (shared_dir / VIDEOS / "doorknob-hd-no-bar.mp4").read_bytes()
    assert len(list(iter_video_frames(data, every_seconds=1.0))) >= 3


def test_video_limits(shared_dir: Path) -> None:
    path = shared_dir / VIDEOS / "doorknob-hd-no-bar.mp4"
    with pytest.raises(TooLarge):
        list(iter_video_frames(path, limits=MediaLimits(max_frame_pixels=100 * 100)))
    with pytest.raises(TooLarge):
        list(iter_video_frames(path, limits=MediaLimits(max_video_seconds=1.0)))
    with pytest.raises(TooLarge):
        list(iter_video_frames(path, limits=MediaLimits(max_video_bytes=1000)))


def test_truncated_video_is_invalid(shared_dir: Path) -> None:
    data = (shared_dir / VIDEOS / "doorknob-hd-no-bar.mp4").read_bytes()
    with pytest.raises(Invalid):
        list(iter_video_frames(data[:3000]))


def test_non_video_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        list(iter_video_frames(b"\xff\xd8\xff\xe0 a jpeg, not a video"))
