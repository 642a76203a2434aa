"""Firstlight's python-threatexchange ``SignalType`` classes.

We reuse pytx's types where they exist (``PdqSignal``, ``VideoMD5Signal``, ``VideoSHA256Signal``) and add:

- ``MD5Signal`` (``md5``) and ``SHA256Signal`` (``sha256``) for photos and other files: pytx only names
  MD5/SHA-256 for videos, but hash lists (NCMEC, IWF) carry them for images too;
- ``VPDQSignal`` (``vpdq``), pytx's vPDQ signal string without the C++ ``vpdq`` build;
- ``FirstlightPdqSignal``: pytx's ``PdqSignal`` whose index is our exact ``PDQMatchIndex``.

Names are explicit constants (``_types``) because they are stored in banks; ``SIGNAL_TYPES`` passes pytx's
``SignalTypeMapping`` validation, which checks they are unique.
"""

from __future__ import annotations

import hashlib
import pathlib
import random
import re
import typing as t

from threatexchange.content_type.content_base import ContentType
from threatexchange.content_type.file import FileContent
from threatexchange.content_type.photo import PhotoContent
from threatexchange.content_type.video import VideoContent
from threatexchange.signal_type import signal_base
from threatexchange.signal_type.index import SignalTypeIndex
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal

from firstlight.signals._types import MD5, PDQ, SHA256, VPDQ
from firstlight.signals._vpdq import vpdq_from_signal_str, vpdq_from_video, vpdq_match, vpdq_to_signal_str

__all__ = [
    "SIGNAL_TYPES",
    "FirstlightPdqSignal",
    "MD5Signal",
    "SHA256Signal",
    "VPDQSignal",
    "signal_type_by_name",
]


class _CryptoHashSignal(
    signal_base.SimpleSignalType, signal_base.BytesHasher, signal_base.CanGenerateRandomSignal
):
    """Shared code of file-level cryptographic hashes: exact match on the hex digest."""

    _ALGORITHM: t.ClassVar[str]
    _HEX_LEN: t.ClassVar[int]

    @classmethod
    def get_content_types(cls) -> t.List[t.Type[ContentType]]:  # noqa: UP006 (pytx signature)
        return [PhotoContent, FileContent]

    @classmethod
    def get_index_cls(cls) -> t.Type[SignalTypeIndex]:  # noqa: UP006
        from firstlight.banks.index import ExactMatchIndex

        return ExactMatchIndex

    @classmethod
    def validate_signal_str(cls, signal_str: str) -> str:
        normalized = signal_str.strip().lower()
        if not re.fullmatch(f"[0-9a-f]{{{cls._HEX_LEN}}}", normalized):
            raise ValueError(f"{signal_str!r} is not a valid {cls.get_name()} hash")
        return normalized

    @classmethod
    def hash_from_bytes(cls, bytes_: bytes) -> str:
        return hashlib.new(cls._ALGORITHM, bytes_).hexdigest()

    @classmethod
    def hash_from_file(cls, file: pathlib.Path) -> str:
        digest = hashlib.new(cls._ALGORITHM)
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    @classmethod
    def get_random_signal(cls) -> str:
        return f"{random.randrange(16**cls._HEX_LEN):0{cls._HEX_LEN}x}"


class MD5Signal(_CryptoHashSignal):
    """MD5 of a photo's or file's bytes. Any re-encode changes it; it catches exact copies only."""

    _ALGORITHM = "md5"
    _HEX_LEN = 32

    @classmethod
    def get_name(cls) -> str:
        return MD5

    @staticmethod
    def get_examples() -> t.List[str]:  # noqa: UP006
        return ["d35c785545392755e7e4164457657269", "d41d8cd98f00b204e9800998ecf8427e"]


class SHA256Signal(_CryptoHashSignal):
    """SHA-256 of a photo's or file's bytes: like MD5 without the practical collisions."""

    _ALGORITHM = "sha256"
    _HEX_LEN = 64

    @classmethod
    def get_name(cls) -> str:
        return SHA256

    @staticmethod
    def get_examples() -> t.List[str]:  # noqa: UP006
        return [
            "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ]


class FirstlightPdqSignal(PdqSignal):
    """pytx's PDQ signal, indexed by ``PDQMatchIndex`` (exact at 31 bits, compact, incremental)."""

    @classmethod
    def get_name(cls) -> str:
        return PDQ

    @classmethod
    def get_index_cls(cls) -> t.Type[SignalTypeIndex]:  # noqa: UP006
        from firstlight.banks.index import PDQMatchIndex

        return PDQMatchIndex


class VPDQSignal(signal_base.SimpleSignalType, signal_base.FileHasher):
    """vPDQ video signal in pytx's string format (a JSON list of ``"hex,quality,timestamp"``)."""

    @classmethod
    def get_name(cls) -> str:
        return VPDQ

    @classmethod
    def get_content_types(cls) -> t.List[t.Type[ContentType]]:  # noqa: UP006
        return [VideoContent]

    @classmethod
    def get_index_cls(cls) -> t.Type[SignalTypeIndex]:  # noqa: UP006
        from firstlight.banks.index import VPDQMatchIndex

        return VPDQMatchIndex

    @classmethod
    def validate_signal_str(cls, signal_str: str) -> str:
        try:
            vpdq_from_signal_str(signal_str)
        except Exception as exc:  # firstlight.errors.Invalid -> pytx's ValueError contract
            raise ValueError(str(exc)) from exc
        return signal_str

    @classmethod
    def hash_from_file(cls, file: pathlib.Path, seconds_per_hash: float = 1.0) -> str:
        return vpdq_to_signal_str(vpdq_from_video(file, seconds_per_hash=seconds_per_hash))

    @classmethod
    def compare_hash(cls, hash1: str, hash2: str) -> signal_base.SignalComparisonResult:
        result = vpdq_match(vpdq_from_signal_str(hash1), vpdq_from_signal_str(hash2))
        from firstlight.banks.index import VPDQSimilarity

        return signal_base.SignalComparisonResult(
            result.is_match,
            VPDQSimilarity(result.query_match_percent, result.compared_match_percent),
        )

    @staticmethod
    def get_examples() -> t.List[str]:  # noqa: UP006
        return [
            vpdq_to_signal_str(
                vpdq_from_signal_str(
                    '["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,0.0"]'
                )
            )
        ]


SIGNAL_TYPES: tuple[type[signal_base.SignalType], ...] = (
    FirstlightPdqSignal,
    VPDQSignal,
    MD5Signal,
    SHA256Signal,
    VideoMD5Signal,
    VideoSHA256Signal,
)

def signal_type_by_name(name: str) -> type[signal_base.SignalType]:
    """The pytx class for a stored signal type name; ``KeyError`` for an unknown name."""
    for signal_type in SIGNAL_TYPES:
        if signal_type.get_name() == name:
            return signal_type
    raise KeyError(name)
