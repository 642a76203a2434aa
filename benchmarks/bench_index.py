"""PDQ match index: Firstlight's PDQMatchIndex against pytx's PDQIndex (HMA's default) and PDQIndex2.

Prints, per size (100k and 1M random PDQ hashes, one core): query time single and batched, recall of planted
near-duplicates at every distance 1–31 (bits scattered, and bits concentrated in one run), bytes per hash
(in memory and on disk / pickled), build and load time, and ratios against the anchors measured in this run.
Also faiss ``IndexBinaryMultiHash`` 11 tables × 23 bits with 2 flips (exact by pigeonhole) as a third anchor.

    python benchmarks/bench_index.py            # 100k and 1M (a few minutes, ~3 GB RAM for PDQIndex2)
    python benchmarks/bench_index.py --quick    # 100k only, fewer queries
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
from threatexchange.signal_type.pdq.pdq_index import PDQIndex
from threatexchange.signal_type.pdq.pdq_index2 import PDQIndex2

from firstlight.banks.index import PDQMatchIndex

faiss.omp_set_num_threads(1)


def random_codes(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 32), dtype=np.uint8)


def to_hex(codes: np.ndarray) -> list[str]:
    return [row.tobytes().hex() for row in codes]


def planted_queries(codes: np.ndarray, concentrated: bool, seed: int) -> list[tuple[int, int, str]]:
    """(target row, distance, query hex) for each distance 1..31, 3 targets each."""
    rng = np.random.default_rng(seed)
    out = []
    for distance in range(1, 32):
        for _ in range(3):
            target = int(rng.integers(len(codes)))
            bits = np.zeros(256, dtype=np.uint8)
            if concentrated:
                start = int(rng.integers(0, 256 - distance + 1))
                bits[start : start + distance] = 1
            else:
                bits[rng.choice(256, distance, replace=False)] = 1
            query = codes[target] ^ np.packbits(bits)
            out.append((target, distance, query.tobytes().hex()))
    return out


def per_query_ms(fn: Callable[[str], object], queries: list[str]) -> float:
    start = time.perf_counter()
    for query in queries:
        fn(query)
    return (time.perf_counter() - start) * 1000 / len(queries)


def recall(found: Callable[[str], set[int]], planted: list[tuple[int, int, str]]) -> float:
    hits = sum(1 for target, _, query in planted if target in found(query))
    return 100.0 * hits / len(planted)


def metadata_found(index: PDQIndex) -> Callable[[str], set[int]]:
    return lambda query: {match.metadata for match in index.query(query)}


def faiss_mih_11x23(codes: np.ndarray) -> Callable[[str], set[int]]:
    index = faiss.IndexBinaryMultiHash(256, 11, 23)
    index.add(codes)
    index.nflip = 2

    def search(query_hex: str) -> set[int]:
        query = np.frombuffer(bytes.fromhex(query_hex), dtype=np.uint8)[None, :]
        _, _, labels = index.range_search(query, 32)
        return set(labels.tolist())

    return search


def run(size: int, n_queries: int, flat_size: int) -> dict[str, float]:
    print(f"\n=== {size:,} random PDQ hashes (one core) ===")
    codes = random_codes(size, seed=size)
    hexes = to_hex(codes)
    entries = [(h, i) for i, h in enumerate(hexes)]
    queries = to_hex(random_codes(n_queries, seed=1))
    scattered = planted_queries(codes, concentrated=False, seed=2)
    concentrated = planted_queries(codes, concentrated=True, seed=3)
    figures: dict[str, float] = {}

    start = time.perf_counter()
    ours = PDQMatchIndex[int]()
    ours.add_all(entries)
    ours.compact_tables()
    figures["ours_build_s"] = time.perf_counter() - start
    figures["ours_ms"] = per_query_ms(ours.query, queries)
    start = time.perf_counter()
    ours.query_batch(queries)
    figures["ours_batch_ms"] = (time.perf_counter() - start) * 1000 / len(queries)

    def ours_found(q: str) -> set[int]:
        return {p for p, _ in ours.query(q)}

    figures["ours_recall_scattered"] = recall(ours_found, scattered)
    figures["ours_recall_concentrated"] = recall(ours_found, concentrated)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pdq.idx"
        ours.save(path)
        figures["ours_disk_bytes_per_hash"] = os.path.getsize(path) / size
        start = time.perf_counter()
        PDQMatchIndex.load(path)
        figures["ours_load_s"] = time.perf_counter() - start
    snap = ours._snap
    figures["ours_ram_bytes_per_hash"] = (
        snap.codes[: snap.n].nbytes + snap.ids.nbytes + snap.offsets.nbytes
        + snap.alive[: snap.n].nbytes + snap.payloads.values[: snap.n].nbytes
    ) / size
    add_queries = to_hex(random_codes(2000, seed=5))
    start = time.perf_counter()
    for i, h in enumerate(add_queries):
        ours.add(h, size + i)
    figures["ours_add_us"] = (time.perf_counter() - start) * 1e6 / len(add_queries)

    start = time.perf_counter()
    hma = PDQIndex(entries)
    figures["pdqindex_build_s"] = time.perf_counter() - start
    figures["pdqindex_ms"] = per_query_ms(hma.query, queries)

    figures["pdqindex_recall_scattered"] = recall(metadata_found(hma), scattered)
    figures["pdqindex_recall_concentrated"] = recall(metadata_found(hma), concentrated)
    pickled = pickle.dumps(hma, protocol=pickle.HIGHEST_PROTOCOL)
    figures["pdqindex_pickled_bytes_per_hash"] = len(pickled) / size
    start = time.perf_counter()
    pickle.loads(pickled)
    figures["pdqindex_load_s"] = time.perf_counter() - start
    del hma, pickled

    mih = faiss_mih_11x23(codes)
    figures["faiss_mih_11x23_ms"] = per_query_ms(mih, queries[: max(50, n_queries // 4)])
    del mih

    flat_entries = entries[:flat_size]
    start = time.perf_counter()
    exact = PDQIndex2(entries=flat_entries)
    figures["pdqindex2_build_s"] = time.perf_counter() - start
    few = queries[:20]
    figures["pdqindex2_ms"] = per_query_ms(exact.query, few) * size / flat_size
    if flat_size <= 100_000:  # pickling 1M x 256 floats needs GBs of RAM; the per-hash size is the same
        figures["pdqindex2_pickled_bytes_per_hash"] = len(pickle.dumps(exact)) / flat_size
    del exact

    for key, value in figures.items():
        print(f"  {key:36s} {value:12.4f}")
    print(
        f"  ratio: {figures['pdqindex_ms'] / figures['ours_ms']:.1f}x faster than PDQIndex per single query "
        f"(goal >= 3x), {figures['pdqindex_ms'] / figures['ours_batch_ms']:.1f}x batched"
    )
    print(
        f"  ratio: {figures['pdqindex2_ms'] / figures['ours_ms']:.0f}x faster than PDQIndex2 "
        f"(goal >= 100x){' (PDQIndex2 scaled from ' + str(flat_size) + ')' if flat_size < size else ''}"
    )
    print(f"  ratio: {figures['faiss_mih_11x23_ms'] / figures['ours_ms']:.1f}x vs faiss MIH 11x23/2 flips")
    print(
        f"  recall ours {figures['ours_recall_scattered']:.0f}% / {figures['ours_recall_concentrated']:.0f}% "
        f"(scattered / concentrated; must be 100%), PDQIndex {figures['pdqindex_recall_scattered']:.0f}% / "
        f"{figures['pdqindex_recall_concentrated']:.0f}%"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k only, fewer queries")
    args = parser.parse_args()
    if args.quick:
        run(100_000, n_queries=200, flat_size=100_000)
    else:
        run(100_000, n_queries=1000, flat_size=100_000)
        run(1_000_000, n_queries=1000, flat_size=1_000_000)


if __name__ == "__main__":
    main()
