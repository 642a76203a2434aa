"""Firstlight's pytx signal types: unique stored names, pytx's own tests' contracts."""

from __future__ import annotations

import pytest
from threatexchange.content_type.file import FileContent
from threatexchange.content_type.photo import PhotoContent
from threatexchange.content_type.video import VideoContent
from threatexchange.interface_validation import SignalTypeMapping
from threatexchange.signal_type.signal_base import BytesHasher

from firstlight.banks.index import ExactMatchIndex, PDQMatchIndex, VPDQMatchIndex
from firstlight.signals import (
    SIGNAL_TYPES,
    MD5Signal,
    SHA256Signal,
    VPDQSignal,
    signal_type_by_name,
)


def test_names_are_the_stored_constants_and_unique() -> None:
    mapping = SignalTypeMapping([PhotoContent, VideoContent, FileContent], list(SIGNAL_TYPES))
    assert set(mapping.signal_type_by_name) == {
        "pdq", "vpdq", "md5", "sha256", "video_md5", "video_sha256",
    }
    for name, cls in mapping.signal_type_by_name.items():
        assert signal_type_by_name(name) is cls
    with pytest.raises(KeyError):
        signal_type_by_name("photodna")


@pytest.mark.parametrize("signal_type", SIGNAL_TYPES, ids=lambda c: c.get_name())
def test_examples_validate_and_match_themselves(signal_type: type) -> None:
    for example in signal_type.get_examples():
        assert signal_type.validate_signal_str(example) == example
        assert signal_type.compare_hash(example, example).match


def test_index_classes_are_firstlights() -> None:
    assert signal_type_by_name("pdq").get_index_cls() is PDQMatchIndex
    assert MD5Signal.get_index_cls() is ExactMatchIndex
    assert VPDQSignal.get_index_cls() is VPDQMatchIndex


def test_crypto_hashes_validate_and_hash() -> None:
    assert issubclass(SHA256Signal, BytesHasher)
    assert SHA256Signal.hash_from_bytes(b"") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert MD5Signal.validate_signal_str(" D41D8CD98F00B204E9800998ECF8427E ") == (
        "d41d8cd98f00b204e9800998ecf8427e"
    )
    with pytest.raises(ValueError):
        MD5Signal.validate_signal_str("not-a-hash")
    with pytest.raises(ValueError):
        VPDQSignal.validate_signal_str('["nope"]')
