"""Per-frame analysis and the worker, with an in-memory matcher (the database path has its own tests)."""

from __future__ import annotations

import numpy as np
import pytest
from streams_media import jpeg_bytes, make_video, pattern_frame, standin_image

from firstlight.detect.frames import FrameClassifier, FrameScore
from firstlight.errors import NotFound, Unavailable
from firstlight.streams.analysis import FrameAnalyser, RollingVPDQ, pdq_dihedral
from firstlight.streams.matching import StaticFrameMatcher
from firstlight.streams.sampling import SampledFrame
from firstlight.streams.tiers import StreamContext, Tier
from firstlight.streams.worker import StreamWorker, WorkerConfig


def frame_of(rgb: np.ndarray, t: float = 0.0) -> SampledFrame:
    return SampledFrame(stream_time=t, keyframe=True, rgb=rgb, width=rgb.shape[1], height=rgb.shape[0],
                        ingest="push")


def known_hex(image=None) -> str:
    return pdq_dihedral(np.asarray((image or standin_image()).convert("RGB")))[0]["original"]


def flip_bits(hex_: str, n: int) -> str:
    value = int(hex_, 16)
    for i in range(n):
        value ^= 1 << (i * 7)
    return f"{value:064x}"


def test_known_picture_is_a_strong_match_even_rotated():
    matcher = StaticFrameMatcher([(known_hex(), "csam", "block", 1, 31)])
    analyser = FrameAnalyser(matcher=matcher)
    rotated = np.ascontiguousarray(np.rot90(np.asarray(standin_image())))
    for rgb in (np.asarray(standin_image()), rotated):
        findings = analyser.analyse(frame_of(rgb, 2.0))
        [o] = findings.observations
        assert o.kind == "match" and o.strength == "strong"
        assert o.details["entry_id"] == 1 and o.details["distance"] <= 31
        assert "bank 'csam' entry 1" in o.summary
    assert findings.matches[0].variant != "original"


def test_unrelated_frame_has_no_findings_and_flat_frames_are_not_matched():
    zero = "0" * 64
    matcher = StaticFrameMatcher([(known_hex(), "csam", "block", 1, 31), (zero, "csam", "block", 2, 31)])
    analyser = FrameAnalyser(matcher=matcher)
    assert analyser.analyse(frame_of(pattern_frame(3, (320, 180)))).observations == []
    flat = analyser.analyse(frame_of(np.full((90, 160, 3), 128, np.uint8)))
    assert flat.quality < 50 and flat.observations == []


def test_near_threshold_is_weak_and_allow_bank_suppresses():
    h = known_hex()
    near = FrameAnalyser(matcher=StaticFrameMatcher([(flip_bits(h, 40), "csam", "block", 1, 31)]))
    [o] = near.analyse(frame_of(np.asarray(standin_image()))).observations
    assert o.kind == "near_match" and o.strength == "weak"
    allowed = FrameAnalyser(
        matcher=StaticFrameMatcher([(h, "csam", "block", 1, 31), (h, "fp", "allow", 2, 31)])
    )
    [o] = allowed.analyse(frame_of(np.asarray(standin_image()))).observations
    assert o.kind == "suppressed" and o.strength == "none" and "allow bank 'fp'" in o.summary


def test_rolling_vpdq_matches_a_playing_video_not_a_held_still():
    video = [pattern_frame(i * 10, (320, 180)) for i in range(12)]
    hashes = [pdq_dihedral(f)[0]["original"] for f in video]
    matcher = StaticFrameMatcher(videos={9: ("csam-video", "block", hashes)})
    playing = FrameAnalyser(matcher=matcher, vpdq=RollingVPDQ(window=6, min_frames=5, min_distinct=3))
    kinds = [
        [o.kind for o in playing.analyse(frame_of(video[i], float(i))).observations] for i in range(6)
    ]
    assert kinds[0] == ["near_match"]  # one frame of a known video: sample more densely
    assert "segment_match" in kinds[4]
    held = FrameAnalyser(matcher=matcher, vpdq=RollingVPDQ(window=6, min_frames=5, min_distinct=3))
    for i in range(6):
        obs = held.analyse(frame_of(video[0], float(i))).observations
        assert all(o.kind != "segment_match" for o in obs)


class Scripted(FrameClassifier):
    NAME = "scripted"

    def __init__(self, score: float, **kw):
        super().__init__(**kw)
        self.score = score

    def _classify(self, rgb):
        return [FrameScore("thing", self.score)]


def test_classifier_scores_become_weak_or_review_signals():
    analyser = FrameAnalyser(classifiers=[Scripted(0.6), Scripted(0.95)])
    strengths = [o.strength for o in analyser.analyse(frame_of(pattern_frame(0, (64, 64)))).observations]
    assert strengths == ["weak", "review"]


class Recorder:
    def __init__(self):
        self.escalations, self.preserved, self.closes = [], [], []

    def escalated(self, live, escalation, frame, findings):
        self.escalations.append((live.stream_id, escalation))

    def preserve(self, live, frame, findings):
        self.preserved.append(frame.stream_time)

    def progress(self, live):
        pass

    def closed(self, live):
        self.closes.append((live.stream_id, live.close_reason, live.frames_analysed))


def test_worker_pulls_files_concurrently_and_alerts_only_on_the_right_one(tmp_path):
    image = standin_image(size=(320, 180))
    make_video(tmp_path / "bad.mp4", seconds=8, show_from=4, image=image)
    make_video(tmp_path / "good.mp4", seconds=8)
    sink = Recorder()
    worker = StreamWorker(sink, matcher=StaticFrameMatcher([(known_hex(image), "csam", "block", 1, 31)]))
    try:
        worker.open(StreamContext("bad", "alice"), ingest="pull", url=str(tmp_path / "bad.mp4"))
        worker.open(StreamContext("good", "bob"), ingest="pull", url=str(tmp_path / "good.mp4"))
        assert worker.wait_closed("bad", 20) and worker.wait_closed("good", 20)
    finally:
        worker.shutdown()
    [(sid, esc)] = sink.escalations
    assert sid == "bad" and esc.to_tier == Tier.T3 and esc.stream_time == pytest.approx(4.0)
    closed = {sid: (reason, n) for sid, reason, n in sink.closes}
    assert closed["bad"][0] == "actioned" and closed["good"] == ("ended", 4)


def test_worker_push_backpressure_and_limits():
    sink = Recorder()
    worker = StreamWorker(sink, config=WorkerConfig(max_streams=1, queue_size=1))
    try:
        worker.open(StreamContext("s1", "alice"), ingest="push")
        with pytest.raises(Unavailable):
            worker.open(StreamContext("s2", "bob"), ingest="push")
        with pytest.raises(NotFound):
            worker.push("nope", b"x")
        data = jpeg_bytes(pattern_frame(0, (64, 64)))
        refused = 0
        for i in range(50):
            try:
                worker.push("s1", data, offset_seconds=float(i))
            except Unavailable as exc:
                assert exc.code == "backpressure"
                refused += 1
        assert worker.wait_idle(10)
        live = worker.get("s1")
        assert live.frames_analysed + refused == 50 and live.frames_dropped == refused
        worker.end("s1")
        assert worker.wait_closed("s1", 5)
    finally:
        worker.shutdown()
    assert sink.closes[0][:2] == ("s1", "ended")


def test_worker_starts_dense_from_the_first_frame_at_t1(tmp_path):
    make_video(tmp_path / "v.mp4", seconds=3, fps=10)
    sink = Recorder()
    worker = StreamWorker(sink)
    try:
        live = worker.open(StreamContext("s", "a"), ingest="pull", url=str(tmp_path / "v.mp4"),
                           start_tier=Tier.T1)
        assert worker.wait_closed("s", 20)
    finally:
        worker.shutdown()
    assert live.frames_analysed == 6
