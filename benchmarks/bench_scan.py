"""``firstlight scan`` throughput over a folder of benign generated JPEGs, against pytx's hash+match loop.

Firstlight's path is ``firstlight.banks.scan.scan_folder`` as ``firstlight scan DIR`` runs it: the folder is
walked, worker processes (one per core) hash each file (PDQ + MD5 + SHA-256), the parent looks every file up
in the banks matcher (a block bank of ``--bank`` random PDQ hashes plus the hashes of ``--planted`` of the
images), writes matches as JSON Lines with an fsync per chunk, and records progress for resuming.

The anchor, in the same run over the same folder, is python-threatexchange's own loop (what
``threatexchange match`` does): for each file ``PdqSignal.hash_from_file`` then a query of pytx's
``PDQIndex`` (HMA's default index) built over the same bank, in one process. Both must find exactly the
planted images. Reported: files per second (wall) and per CPU-second, and the ratios.

    python benchmarks/bench_scan.py               # 1,200 images of 1024×768, bank of 100,000
    python benchmarks/bench_scan.py --quick       # 1,000 images of 640×480, bank of 10,000
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_image(seed: int, size: tuple[int, int]) -> bytes:
    """A benign picture: gradient background, shapes, a little blur (photo-like JPEG sizes)."""
    rnd = random.Random(seed)
    w, h = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    im = Image.blend(im, tint, 0.6)
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rnd.randrange(w), rnd.randrange(h)
        box = [x, y, x + rnd.randrange(10, w // 3), y + rnd.randrange(10, h // 3)]
        colour = tuple(rnd.randrange(256) for _ in range(3))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def make_folder(root: Path, count: int, size: tuple[int, int]) -> list[Path]:
    paths = []
    for i in range(count):
        sub = root / f"d{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"img{i:05d}.jpg"
        if not path.exists():
            path.write_bytes(make_image(i, size))
        paths.append(path)
    return paths


def pytx_loop(paths: list[Path], bank: list[tuple[str, int]]) -> tuple[float, float, set[str], float]:
    """python-threatexchange's hash+match loop over the folder: (wall s, CPU s, matched paths, build s)."""
    from threatexchange.signal_type.pdq.signal import PdqSignal

    t = time.perf_counter()
    index = PdqSignal.get_index_cls().build(bank)
    build = time.perf_counter() - t
    matched = set()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    for p in paths:
        signal = PdqSignal.hash_from_file(p)
        if index.query(signal):
            matched.add(str(p))
    return time.perf_counter() - wall0, cpu_seconds() - cpu0, matched, build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--images", type=int)
    ap.add_argument("--bank", type=int)
    ap.add_argument("--planted", type=int, default=25)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--folder", type=Path, help="reuse generated images here")
    args = ap.parse_args()
    count = args.images or (1000 if args.quick else 1200)
    bank_size = args.bank or (10_000 if args.quick else 100_000)
    size = (640, 480) if args.quick else (1024, 768)

    from firstlight import banks
    from firstlight.banks.scan import scan_folder
    from firstlight.signals import hash_file
    from firstlight.store import Database, upgrade

    work = Path(tempfile.mkdtemp(prefix="fl-bench-scan-"))
    folder = args.folder or work / "images"
    t = time.perf_counter()
    paths = make_folder(folder, count, size)
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(
        f"{count} JPEGs {size[0]}×{size[1]} ({mb:.0f} MB) in {folder}, made in {time.perf_counter() - t:.0f}s"
    )

    rnd = random.Random(1)
    planted = rnd.sample(paths, args.planted)
    planted_pdq = [next(s.value for s in hash_file(p) if s.signal_type == "pdq") for p in planted]
    noise = [f"{rnd.getrandbits(256):064x}" for _ in range(bank_size)]

    db = Database(f"sqlite:///{work / 'bench.db'}")
    upgrade(db)
    with db.begin() as s:
        banks.create_bank(s, "bench", "block")
        banks.import_into_bank(s, "bench", [f"pdq {h}" for h in noise + planted_pdq], "local")
    print(f"bank: {bank_size:,} random PDQ hashes + {len(planted)} planted")

    # Anchor first, so the OS file cache is equally warm for both.
    a_wall, a_cpu, a_matched, a_build = pytx_loop(paths, [(h, i) for i, h in enumerate(noise + planted_pdq)])
    want = {str(p) for p in planted}
    print(
        f"pytx loop (PdqSignal.hash_from_file + PDQIndex.query, 1 process): {count / a_wall:.1f} files/s, "
        f"{count / a_cpu:.1f} files/CPU-s (index build {a_build:.1f}s); found {len(a_matched & want)}/"
        f"{len(want)}, extra {len(a_matched - want)}"
    )

    results = {}
    for label, fast in (("exact decode", False), ("fast decode", True)):
        out = work / f"matches-{int(fast)}.jsonl"
        get = banks.get_matcher(db)
        get.ensure_loaded()
        cpu0 = cpu_seconds()
        summary = scan_folder(db, folder, out, workers=args.workers, fast=fast, restart=True)
        cpu = cpu_seconds() - cpu0
        found = {line.split('"path":"', 1)[1].split('"', 1)[0] for line in out.read_text().splitlines()}
        results[label] = (summary.files_per_second, summary.scanned / cpu)
        print(
            f"firstlight scan, {label}, {args.workers} workers: {summary.files_per_second:.1f} files/s, "
            f"{summary.scanned / cpu:.1f} files/CPU-s; found {len(found & want)}/{len(want)}, "
            f"extra {len(found - want)}, errors {summary.errors}"
        )
        if found != want:
            print("  MISMATCH: the scan did not find exactly the planted images", file=sys.stderr)

    for label, (fps, per_cpu) in results.items():
        print(
            f"ratio ({label}): {fps / (count / a_wall):.2f}× files/s, "
            f"{per_cpu / (count / a_cpu):.2f}× files/CPU-s vs pytx's loop"
        )
    print(f"(machine load {os.getloadavg()[0]:.1f}; files kept in {work})")


if __name__ == "__main__":
    main()
