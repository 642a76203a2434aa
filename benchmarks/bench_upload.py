"""Upload scan throughput per core: hash + match + decide + persist, against pytx hash-and-match alone.

Firstlight's path per upload is the whole upload pipeline as the event worker runs it: sniff and decode
check, PDQ + MD5 + SHA-256, lookup in every bank, the policy decision and, in one committed transaction, the
scan record — plus, for the quarter of uploads that match the block bank, the encrypted evidence file, the
case, two outbox actions and the report task. The anchor is what HMA's ``/m/lookup`` does in its
matcher: pytx ``PdqSignal.hash_from_bytes`` and a lookup in pytx's ``PDQIndex`` (HMA's default faiss
index) over the same bank, nothing persisted. Both run in this process, one thread, on the same images.

Per-core throughput is uploads per CPU-second of this process (``time.process_time``), so other load on
the shared machine does not count against either side; latencies are wall-clock p50/p99 per upload.
``--loopback`` adds the full HTTP path against a real ``firstlight serve`` on 127.0.0.1: POST
``/v1/uploads`` one at a time and wait until the scan is persisted (accept → scanned latency).

    python benchmarks/bench_upload.py            # 400 uploads, bank of 10,000 hashes, + loopback
    python benchmarks/bench_upload.py --quick    # 60 uploads, bank of 2,000, no loopback
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from threatexchange.signal_type.pdq.signal import PdqSignal

from firstlight import banks
from firstlight.config import Settings
from firstlight.events.schema import UploadPayload
from firstlight.intake import UploadPipeline, check_media, scan_upload
from firstlight.intake.samples import benign_image
from firstlight.store import Database, upgrade


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def setup(data_dir: Path, images: list[bytes], known_every: int, bank_size: int) -> Database:
    db = Database(f"sqlite:///{data_dir / 'firstlight.db'}")
    upgrade(db)
    rng = random.Random(7)
    with db.begin() as s:
        banks.create_bank(s, "bench", "block")
        for i in range(0, len(images), known_every):
            banks.add_media_to_bank(s, "bench", images[i], source="bench")
        fillers = [f"pdq {random_pdq(rng)}" for _ in range(bank_size)]
        banks.import_into_bank(s, "bench", fillers, "local", source="bench-filler")
    return db


def run_firstlight(db: Database, settings: Settings, images: list[bytes]) -> tuple[float, list[float], int]:
    pipeline = UploadPipeline.from_settings(settings)
    latencies, flagged = [], 0
    # warm the matcher (first use loads the index from the tables)
    with db.session() as s:
        banks.match_bytes(s, images[0])
    cpu0 = time.process_time()
    for i, data in enumerate(images):
        started = time.perf_counter()
        check_media(data, max_bytes=pipeline.max_bytes)
        payload = UploadPayload(content_id=f"c{i}", account_id=f"a{i % 17}", surface="public",
                                media_base64=None, media_type="image/jpeg")
        payload = payload.model_copy(update={"media_base64": base64.b64encode(data).decode()})
        with db.begin() as s:
            scan = scan_upload(s, pipeline, event_id=f"bench-{i}", payload=payload,
                               accepted_at=datetime.now(UTC))
            flagged += scan.status == "flagged"
        latencies.append(time.perf_counter() - started)
    return len(images) / (time.process_time() - cpu0), latencies, flagged


def run_pytx(db: Database, images: list[bytes]) -> tuple[float, list[float], int]:
    import hashlib

    from firstlight.banks.models import BankSignal

    with db.session() as s:
        pairs = [(v, i) for i, v in enumerate(s.scalars(
            BankSignal.__table__.select().with_only_columns(BankSignal.value)
            .where(BankSignal.signal_type == "pdq")))]
    index = PdqSignal.get_index_cls().build(pairs)
    latencies, hits = [], 0
    cpu0 = time.process_time()
    for data in images:
        started = time.perf_counter()
        pdq = PdqSignal.hash_from_bytes(data)
        hashlib.md5(data).hexdigest()
        hits += bool(index.query(pdq))
        latencies.append(time.perf_counter() - started)
    return len(images) / (time.process_time() - cpu0), latencies, hits


def run_loopback(data_dir: Path, images: list[bytes]) -> tuple[float, list[float]]:
    import socket

    import httpx

    from firstlight.auth import create_key

    db = Database(f"sqlite:///{data_dir / 'firstlight.db'}")
    with db.begin() as s:
        token = create_key(s, name="bench", scopes=["events:write"], actor="bench").token
    db.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FIRSTLIGHT_DATA_DIR": str(data_dir), "FIRSTLIGHT_WORKER_POLL_SECONDS": "0.01"}
    env.pop("FIRSTLIGHT_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-c", "from firstlight.cli import main; main()", "serve",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=data_dir)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            t0 = time.perf_counter()
            for i, data in enumerate(images):
                started = time.perf_counter()
                r = client.post("/v1/uploads", headers=headers,
                                files={"file": ("x.jpg", data, "image/jpeg")},
                                data={"id": f"loop-{i}", "content_id": f"l{i}", "account_id": "a"})
                r.raise_for_status()
                while client.get(f"/v1/uploads/loop-{i}", headers=headers).json()["status"] == "pending":
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - started)
            elapsed = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(15)
    return len(images) / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--uploads", type=int)
    parser.add_argument("--bank", type=int)
    parser.add_argument("--loopback", action="store_true", help="also time HTTP on loopback")
    args = parser.parse_args()
    n = args.uploads or (60 if args.quick else 400)
    bank_size = args.bank or (2_000 if args.quick else 10_000)
    loopback = args.loopback or not args.quick
    images = [benign_image(20_000 + i, size=768) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        settings = Settings(data_dir=data_dir)
        db = setup(data_dir, images, known_every=4, bank_size=bank_size)
        ours, our_lat, flagged = run_firstlight(db, settings, images)
        anchor, anchor_lat, hits = run_pytx(db, images)
        db.dispose()
        print(f"uploads: {n} (768x768 JPEG, {flagged} in the block bank); bank {bank_size:,} PDQ hashes")
        print(f"firstlight hash+match+decide+persist: {ours:7.1f} uploads/s per core  "
              f"p50 {pct(our_lat, .5) * 1000:6.1f} ms  p99 {pct(our_lat, .99) * 1000:6.1f} ms")
        print(f"pytx hash+match (HMA /m/lookup core): {anchor:7.1f} uploads/s per core  "
              f"p50 {pct(anchor_lat, .5) * 1000:6.1f} ms  p99 {pct(anchor_lat, .99) * 1000:6.1f} ms"
              f"  ({hits} hits)")
        print(f"ratio firstlight / pytx: {ours / anchor:.2f}x (firstlight also persists every scan and "
              f"preserves, queues and acts on matches)")
        if loopback:
            rate, lat = run_loopback(data_dir, images[: min(n, 150)])
            print(f"loopback HTTP, POST → scan persisted, one client: {rate:6.1f} uploads/s  "
                  f"p50 {statistics.median(lat) * 1000:6.1f} ms  p99 {pct(lat, .99) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
