"""PDQ hashing of 1080p JPEG photos: Firstlight's exact and fast paths against pytx's ``pdq_from_bytes``.

Photos: the public test photos in ``../shared/data/threatexchange`` (when present) re-encoded at 1920×1080,
topped up with generated benign images (gradients, shapes, noise). Prints photos per second for each path,
the ratio against pytx measured in the same run, and how far the fast path's hashes drift from the exact
(reference) hash in bits.

    python benchmarks/bench_hashing.py           # 60 photos, 3 rounds
    python benchmarks/bench_hashing.py --quick   # 20 photos, 1 round
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes as pytx_pdq_from_bytes

from firstlight.signals import pdq_from_bytes

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "threatexchange"
SIZE = (1920, 1080)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").resize(SIZE, Image.Resampling.LANCZOS).save(out, format="JPEG", quality=90)
    return out.getvalue()


def public_photos() -> list[bytes]:
    if not SHARED.is_dir():
        return []
    folders = ["pdq/data/reg-test-input/exif-rotn", "pdq/data/reg-test-input/labelme-subset",
               "pdq/data/reg-test-input/dih"]
    photos = []
    for folder in folders:
        for path in sorted((SHARED / folder).glob("*.jpg")):
            photos.append(_jpeg(Image.open(path)))
    return photos


def generated_photos(count: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    photos = []
    for _ in range(count):
        y, x = np.mgrid[0 : SIZE[1] // 4, 0 : SIZE[0] // 4]
        base = np.stack(
            [(x * rng.uniform(0.2, 1.0)) % 256, (y * rng.uniform(0.2, 1.0)) % 256, (x + y) % 256], axis=2
        )
        base = (base + rng.normal(0, 12, base.shape)).clip(0, 255).astype(np.uint8)
        image = Image.fromarray(base)
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x0, y0 = int(rng.integers(0, 400)), int(rng.integers(0, 220))
            draw.ellipse(
                (x0, y0, x0 + int(rng.integers(10, 120)), y0 + int(rng.integers(10, 120))),
                fill=tuple(int(v) for v in rng.integers(0, 256, 3)),
            )
        photos.append(_jpeg(image))
    return photos


def throughput(fn: Callable[[bytes], object], photos: list[bytes], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for data in photos:
            fn(data)
        best = min(best, time.perf_counter() - start)
    return len(photos) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count, rounds = (20, 1) if args.quick else (60, 3)
    photos = public_photos()[:count]
    photos += generated_photos(count - len(photos))
    print(f"{len(photos)} JPEG photos at {SIZE[0]}x{SIZE[1]}, best of {rounds} round(s), one process")

    anchor = throughput(pytx_pdq_from_bytes, photos, rounds)
    exact = throughput(pdq_from_bytes, photos, rounds)
    fast = throughput(lambda data: pdq_from_bytes(data, fast=True), photos, rounds)

    drift = []
    mismatched_exact = 0
    for data in photos:
        reference, quality = pytx_pdq_from_bytes(data)
        ours, _ = pdq_from_bytes(data)
        mismatched_exact += ours != reference
        fast_hex, _ = pdq_from_bytes(data, fast=True)
        drift.append((int(reference, 16) ^ int(fast_hex, 16)).bit_count())

    print(f"  pytx pdq_from_bytes (anchor)   {anchor:8.1f} photos/s")
    print(f"  firstlight exact               {exact:8.1f} photos/s  ratio {exact / anchor:.2f}x")
    print(f"  firstlight fast (luma + sampled){fast:8.1f} photos/s  ratio {fast / anchor:.2f}x (goal >= 3x)")
    print(f"  exact path differs from pytx on {mismatched_exact} of {len(photos)} photos (expect 0)")
    print(
        f"  fast path drift from the reference hash: mean {np.mean(drift):.2f} bits "
        f"(goal <= 2), median {np.median(drift):.0f}, max {max(drift)}"
    )


if __name__ == "__main__":
    main()
