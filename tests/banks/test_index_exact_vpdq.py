"""ExactMatchIndex (MD5/SHA-256) and VPDQMatchIndex share the PDQ index's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstlight.banks.index import ExactMatchIndex, VPDQMatchIndex, VPDQSimilarity
from firstlight.errors import Invalid
from firstlight.signals import VPDQFrame, vpdq_to_signal_str

MD5_A = "d41d8cd98f00b204e9800998ecf8427e"
MD5_B = "d35c785545392755e7e4164457657269"


def test_exact_lookup_normalises_and_disables() -> None:
    index = ExactMatchIndex[int]()
    index.add_all([(MD5_A, 1), (MD5_A.upper(), 2), (MD5_B, 3)])
    assert index.query(f" {MD5_A} ") == [(1, 0), (2, 0)]
    assert len(index) == 3
    assert index.disable(2) == 1
    assert index.query(MD5_A) == [(1, 0)]
    assert len(index) == 2
    assert index.enable(2) == 1
    assert index.query_batch([MD5_B, "0" * 32]) == [[(3, 0)], []]


def test_exact_index_persists(tmp_path: Path) -> None:
    index = ExactMatchIndex[int]()
    index.add(MD5_A, 1)
    index.add(MD5_B, 2)
    index.disable(2)
    index.save(tmp_path / "md5.idx")
    loaded = ExactMatchIndex.load(tmp_path / "md5.idx")
    assert loaded.query(MD5_A) == [(1, 0)] and loaded.query(MD5_B) == []
    (tmp_path / "bad.idx").write_bytes(b"FLIDX001" + b"\xff" * 12)
    with pytest.raises(Invalid):
        ExactMatchIndex.load(tmp_path / "bad.idx")


def _reference(shared_dir: Path, name: str) -> str:
    frames = []
    folder = shared_dir / "data/threatexchange/vpdq/sample-hashes"
    for line in (folder / f"{name}.txt").read_text().splitlines():
        number, quality, pdq_hex, timestamp = line.split(",")
        frames.append(VPDQFrame(pdq_hex, int(quality), float(timestamp), int(number)))
    return vpdq_to_signal_str(frames)


def test_vpdq_index_finds_variants_and_not_other_videos(shared_dir: Path, tmp_path: Path) -> None:
    index = VPDQMatchIndex[str]()
    for name in ["chair-orig-22-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"]:
        index.add(_reference(shared_dir, name), name)
    hits = index.query(_reference(shared_dir, "chair-22-sd-sepia-bar"))
    assert [h.metadata for h in hits] == ["chair-orig-22-sd-bar"]
    assert isinstance(hits[0].similarity_info, VPDQSimilarity)
    assert hits[0].similarity_info.query_match_percent == 100.0
    assert index.query(_reference(shared_dir, "chair-22-with-large-logo-bar")) == []
    index.disable("chair-orig-22-sd-bar")
    assert index.query(_reference(shared_dir, "chair-22-sd-grey-bar")) == []
    assert len(index) == 2
    index.save(tmp_path / "vpdq.idx")
    loaded = VPDQMatchIndex.load(tmp_path / "vpdq.idx")
    assert [h.metadata for h in loaded.query(_reference(shared_dir, "pattern-sd-grey-bar"))] == []
    assert loaded.enable("chair-orig-22-sd-bar") == 1
    assert [h.metadata for h in loaded.query(_reference(shared_dir, "chair-22-sd-grey-bar"))] == [
        "chair-orig-22-sd-bar"
    ]
