"""PDQMatchIndex: exact at the threshold (scattered or concentrated bits), incremental, persistent, safe."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import faiss
import numpy as np
import pytest
from threatexchange.signal_type.index import IndexMatchUntyped

from firstlight.banks.index import IndexHit, PDQMatchIndex
from firstlight.errors import Invalid

faiss.omp_set_num_threads(1)


def _random_hashes(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [row.tobytes().hex() for row in rng.integers(0, 256, (count, 32), dtype=np.uint8)]


def _flip(pdq_hex: str, bits: list[int]) -> str:
    value = int(pdq_hex, 16)
    for bit in bits:
        value ^= 1 << bit
    return f"{value:064x}"


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _brute_force(haystack: list[str], query: str, threshold: int) -> dict[int, int]:
    return {i: d for i, h in enumerate(haystack) if (d := _distance(h, query)) <= threshold}


@pytest.fixture(scope="module")
def haystack() -> list[str]:
    return _random_hashes(20_000, seed=7)


@pytest.fixture(scope="module")
def built(haystack: list[str]) -> PDQMatchIndex[int]:
    index = PDQMatchIndex[int]()
    index.add_all((h, i) for i, h in enumerate(haystack))
    index.compact_tables()
    return index


@pytest.mark.parametrize("distance", range(0, 32))
def test_planted_neighbour_found_at_every_distance_scattered(
    built: PDQMatchIndex[int], haystack: list[str], distance: int
) -> None:
    rng = np.random.default_rng(distance)
    target = int(rng.integers(len(haystack)))
    query = _flip(haystack[target], rng.choice(256, distance, replace=False).tolist())
    assert (target, distance) in built.query(query)


@pytest.mark.parametrize("distance", range(1, 32))
@pytest.mark.parametrize("region_start", [0, 100, 225])
def test_planted_neighbour_found_when_bits_are_concentrated(
    built: PDQMatchIndex[int], haystack: list[str], distance: int, region_start: int
) -> None:
    """All differing bits in one run (e.g. a corner of the image changed): two chunks absorb them all."""
    target = (distance * 613 + region_start) % len(haystack)
    query = _flip(haystack[target], list(range(region_start, region_start + distance)))
    assert (target, distance) in built.query(query)


def test_distance_32_is_outside_the_default_threshold(built: PDQMatchIndex[int], haystack: list[str]) -> None:
    query = _flip(haystack[5], list(range(0, 256, 8)))
    assert 5 not in [p for p, _ in built.query(query)]
    assert (5, 32) in built.query(query, threshold=32)


@pytest.mark.parametrize("threshold", [0, 10, 31, 40, 47])
def test_results_equal_brute_force(built: PDQMatchIndex[int], haystack: list[str], threshold: int) -> None:
    rng = np.random.default_rng(threshold)
    queries = []
    for _ in range(20):
        base = haystack[int(rng.integers(len(haystack)))]
        queries.append(_flip(base, rng.choice(256, int(rng.integers(0, 60)), replace=False).tolist()))
    for query, hits in zip(queries, built.query_batch(queries, threshold), strict=True):
        assert {p: d for p, d in hits} == _brute_force(haystack, query, threshold)
        assert [d for _, d in hits] == sorted(d for _, d in hits)


def test_upstream_mih_needles_in_haystack(shared_dir: Path) -> None:
    folder = shared_dir / "data/threatexchange/pdq/data/reg-test-input"
    haystack = folder.joinpath("haystack.txt").read_text().split()
    needles = folder.joinpath("needles.txt").read_text().split()
    index = PDQMatchIndex[int](delta_limit=64)
    index.add_all((h, i) for i, h in enumerate(haystack))
    found = index.query_batch(needles)
    for needle, hits in zip(needles, found, strict=True):
        assert {p: d for p, d in hits} == _brute_force(haystack, needle, 31)
    assert sum(len(h) for h in found) > 0


def test_incremental_adds_are_found_before_and_after_merging(haystack: list[str]) -> None:
    index = PDQMatchIndex[int](delta_limit=100)
    index.add_all((h, i) for i, h in enumerate(haystack[:1000]))
    for i in range(1000, 1250):  # crosses the delta limit twice
        index.add(haystack[i], i)
        assert (i, 3) in index.query(_flip(haystack[i], [1, 90, 200]))
    assert len(index) == 1250
    assert (10, 0) in index.query(haystack[10])


def test_disable_enable_and_remove(haystack: list[str]) -> None:
    index = PDQMatchIndex[int](delta_limit=10)
    index.add_all((h, i) for i, h in enumerate(haystack[:50]))
    index.add(haystack[7], 999)  # the same hash under a second payload
    assert index.disable(7) == 1
    assert index.query(haystack[7]) == [(999, 0)]
    assert len(index) == 50
    assert index.disable(7) == 0
    assert index.enable(7) == 1
    assert {p for p, _ in index.query(haystack[7])} == {7, 999}
    assert index.remove(999) == 1
    assert index.disable(123456) == 0


def test_one_hit_per_payload_at_its_nearest_hash(haystack: list[str]) -> None:
    index = PDQMatchIndex[str]()
    index.add(haystack[0], "entry-a")
    index.add(_flip(haystack[0], [3, 4, 5]), "entry-a")
    index.add(_flip(haystack[0], [9]), "entry-b")
    assert index.query(haystack[0]) == [("entry-a", 0), ("entry-b", 1)]


def test_hits_are_pytx_index_matches_and_pairs(built: PDQMatchIndex[int], haystack: list[str]) -> None:
    (hit,) = built.query(haystack[42])
    assert isinstance(hit, IndexHit) and isinstance(hit, IndexMatchUntyped)
    assert hit.metadata == 42 and hit.similarity_info.distance == 0
    payload, distance = hit
    assert (payload, distance) == (42, 0) == tuple(hit)


def test_save_and_load_round_trip(tmp_path: Path, haystack: list[str]) -> None:
    index = PDQMatchIndex[int](delta_limit=100)
    index.add_all((h, i) for i, h in enumerate(haystack[:500]))
    index.add(haystack[600], 600)  # still in the delta when saved
    index.disable(3)
    index.save(tmp_path / "pdq.idx")
    loaded = PDQMatchIndex.load(tmp_path / "pdq.idx")
    assert len(loaded) == len(index) == 500
    assert loaded.query(haystack[600]) == [(600, 0)]
    assert loaded.query(haystack[3]) == []
    assert loaded.enable(3) == 1
    loaded.add(haystack[700], 700)
    assert loaded.query(haystack[700]) == [(700, 0)]


def test_non_int_payloads_persist_as_json(tmp_path: Path, haystack: list[str]) -> None:
    index = PDQMatchIndex[object]()
    index.add(haystack[0], 1)
    index.add(haystack[1], "bank:2")
    index.save(tmp_path / "pdq.idx")
    loaded = PDQMatchIndex.load(tmp_path / "pdq.idx")
    assert loaded.query(haystack[0]) == [(1, 0)]
    assert loaded.query(haystack[1]) == [("bank:2", 0)]


def test_pytx_serialize_and_pickle(tmp_path: Path, built: PDQMatchIndex[int], haystack: list[str]) -> None:
    with open(tmp_path / "pdq.idx", "wb") as out:
        built.serialize(out)
    with open(tmp_path / "pdq.idx", "rb") as fin:
        assert PDQMatchIndex.deserialize(fin).query(haystack[9]) == [(9, 0)]
    assert pickle.loads(pickle.dumps(built)).query(haystack[9]) == [(9, 0)]


def test_corrupt_or_foreign_files_are_refused(tmp_path: Path, built: PDQMatchIndex[int]) -> None:
    built.save(tmp_path / "pdq.idx")
    data = (tmp_path / "pdq.idx").read_bytes()
    (tmp_path / "cut.idx").write_bytes(data[: len(data) // 2])
    with pytest.raises(Invalid, match="truncated"):
        PDQMatchIndex.load(tmp_path / "cut.idx")
    (tmp_path / "pickle.idx").write_bytes(pickle.dumps(built))
    with pytest.raises(Invalid, match="not a Firstlight index"):
        PDQMatchIndex.load(tmp_path / "pickle.idx")


@pytest.mark.parametrize("bad", ["", "xyz", "f" * 63, "g" * 64, "ab " * 21 + "a"])
def test_bad_hashes_are_invalid(bad: str) -> None:
    index = PDQMatchIndex[int]()
    with pytest.raises(Invalid):
        index.add(bad, 1)
    with pytest.raises(Invalid):
        index.query(bad)


def test_uppercase_hex_is_accepted(haystack: list[str]) -> None:
    index = PDQMatchIndex[int]()
    index.add(haystack[0].upper(), 1)
    assert index.query(haystack[0]) == [(1, 0)]


def test_one_writer_many_readers(haystack: list[str]) -> None:
    index = PDQMatchIndex[int](delta_limit=64)
    index.add_all((h, i) for i, h in enumerate(haystack[:2000]))
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                for i in range(0, 2000, 97):
                    assert (i, 0) in index.query(haystack[i])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(2000, 2600):
        index.add(haystack[i], i)
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors
    assert all((i, 0) in index.query(haystack[i]) for i in range(2000, 2600, 37))
