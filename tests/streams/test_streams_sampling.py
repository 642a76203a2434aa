from __future__ import annotations

import numpy as np
import pytest

from firstlight.streams.runtime import FrameQueue, QueueFull
from firstlight.streams.sampling import FrameSampler, SampledFrame, analysis_size


def frame(t: float) -> SampledFrame:
    return SampledFrame(stream_time=t, keyframe=True, rgb=np.zeros((4, 4, 3), np.uint8), width=4,
                        height=4, ingest="pull")


def test_keyframe_mode_takes_every_keyframe_only():
    s = FrameSampler(None)
    taken = []
    for i in range(90):
        t, key = i / 30, i % 60 == 0
        if s.want(t, key):
            s.taken(t)
            taken.append(t)
    assert taken == [0.0, 2.0]


def test_fps_mode_takes_exactly_n_per_second_from_the_first_frame():
    s = FrameSampler(2.0)
    taken = []
    for i in range(90):
        t = i / 30
        if s.want(t, i % 60 == 0):
            s.taken(t)
            taken.append(round(t, 3))
    assert taken == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_switching_to_dense_does_not_retake_frames_already_analysed():
    s = FrameSampler(None)
    assert s.want(4.0, True)
    s.taken(4.0)
    s.set_fps(2.0)
    assert not s.want(4.0, True)  # the replayed keyframe
    assert not s.want(4.2, False)
    assert s.want(4.5, False)


def test_analysis_size_keeps_aspect_and_never_upscales():
    assert analysis_size(1280, 720) == (512, 288)
    assert analysis_size(320, 180) == (320, 180)
    assert analysis_size(721, 1281)[1] == 512


def test_queue_drop_oldest_counts_drops():
    q = FrameQueue(2)
    assert q.put(frame(0), when_full="drop_oldest") == 0
    assert q.put(frame(1), when_full="drop_oldest") == 0
    assert q.put(frame(2), when_full="drop_oldest") == 1
    assert [q.pop().stream_time, q.pop().stream_time] == [1, 2]
    assert q.pop() is None


def test_queue_refuse_raises_when_full():
    q = FrameQueue(1)
    q.put(frame(0), when_full="refuse")
    with pytest.raises(QueueFull):
        q.put(frame(1), when_full="refuse")
    assert len(q) == 1 and q.room() == 0
