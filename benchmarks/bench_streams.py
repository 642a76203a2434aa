"""Concurrent 720p30 streams per core: keyframe sampling + PDQ (8 dihedral variants) + matching.

Firstlight's path is the stream worker as ``serve`` runs it: one PyAV reader per stream (keyframes only,
``skip_frame=NONKEY``), frames scaled to 512 px, PDQ with its 8 rotations/flips, a lookup of every variant
in the banks matcher's in-memory index over a block bank of ``--bank-size`` hashes, the rolling vPDQ window
and the tier machine. The anchor, in the same run and on the same file, is *decode-only keyframe sampling*:
the same readers with nothing done to the frames (what ``../shared/research/detection.md`` §5 measured at
≈ 35 streams per core with its analysis costs; ~100× real time for decoding alone).

The process is pinned to one core. The video is 1280×720, 30 fps, noisy (hard to compress: ~6 Mb/s), with a
keyframe every 2 s. Streams per core = seconds of stream processed ÷ CPU seconds used, with every stream read
concurrently as fast as it decodes. A paced run then plays 80 % of that many streams in real time (like
ffmpeg's ``-re``) and reports how far analysis lags behind the stream clock: a worker that keeps up has a
lag of one decode, not a growing queue.

    python benchmarks/bench_streams.py            # 20 s video, 40 streams, bank of 100,000
    python benchmarks/bench_streams.py --quick    # 10 s video, 16 streams, bank of 10,000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from firstlight import banks
from firstlight.store import Database, upgrade
from firstlight.streams.matching import BankFrameMatcher
from firstlight.streams.pull import PullClosed, PullOptions, PullReader
from firstlight.streams.tiers import StreamContext
from firstlight.streams.worker import NullSink, StreamWorker, WorkerConfig


def make_video(path: Path, seconds: int) -> None:
    """1280×720 30 fps, testsrc2 + temporal noise, GOP 60 (2 s), ~6 Mb/s."""
    if shutil.which("ffmpeg"):
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", "testsrc2=size=1280x720:rate=30", "-vf", "noise=alls=25:allf=t+u", "-t", str(seconds),
             "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60",
             "-sc_threshold", "0", "-b:v", "6M", "-maxrate", "6M", "-bufsize", "12M",
             "-pix_fmt", "yuv420p", str(path)],
            check=True, timeout=600,
        )
        return
    import av
    import numpy as np

    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = 1280, 720, "yuv420p"
        st.codec_context.gop_size = 60
        st.codec_context.options = {"sc_threshold": "0", "preset": "veryfast", "b": "6M"}
        base = np.linspace(0, 255, 1280, dtype=np.float32)[None, :, None].repeat(720, 0).repeat(3, 2)
        for i in range(seconds * 30):
            noisy = (base + rng.normal(0, 25, base.shape) + i).clip(0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(noisy, format="rgb24")
            for packet in st.encode(frame):
                out.mux(packet)
        for packet in st.encode():
            out.mux(packet)


def setup_db(root: Path, bank_size: int) -> Database:
    db = Database(f"sqlite:///{root / 'firstlight.db'}")
    upgrade(db)
    rng = random.Random(7)
    with db.begin() as s:
        banks.create_bank(s, "bench", "block")
        lines = [f"pdq {rng.getrandbits(256):064x}" for _ in range(bank_size)]
        banks.import_into_bank(s, "bench", lines, "local", source="bench-filler")
    return db


def run_anchor(path: Path, streams: int) -> tuple[float, float, int]:
    """Decode-only keyframe sampling: the readers alone, concurrently."""
    counts = [0] * streams

    def read(i: int) -> None:
        try:
            for _ in PullReader(str(path)).frames():
                counts[i] += 1
        except PullClosed:
            pass

    threads = [threading.Thread(target=read, args=(i,)) for i in range(streams)]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.process_time() - cpu0, time.perf_counter() - wall0, sum(counts)


class LagSink(NullSink):
    """Records, for every analysed frame, how long after its stream time the analysis finished."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.closed_sessions: list = []

    def closed(self, live) -> None:  # type: ignore[no-untyped-def]
        self.closed_sessions.append(live)

    def progress(self, live) -> None:  # type: ignore[no-untyped-def]
        if live.last_findings is not None:
            self.lags.append(time.monotonic() - live.opened_mono - live.last_findings.stream_time)


def run_firstlight(
    db: Database, path: Path, streams: int, *, realtime: bool = False
) -> tuple[float, float, int, StreamWorker, LagSink]:
    sink = LagSink()
    config = WorkerConfig(max_streams=streams, queue_size=8, progress_every_s=0.0,
                          pull=PullOptions(realtime=realtime))
    worker = StreamWorker(sink, config=config, matcher=BankFrameMatcher(db))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(streams):
        worker.open(StreamContext(f"s{i}", f"a{i}"), ingest="pull", url=str(path))
    deadline = time.monotonic() + 900
    while len(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    worker.shutdown()
    return cpu, wall, len(sink.lags), worker, sink


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--streams", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--bank-size", type=int)
    parser.add_argument("--no-paced", action="store_true")
    parser.add_argument("--paced", type=int, help="streams in the paced run (default: 80 %% of capacity)")
    args = parser.parse_args()
    seconds = args.seconds or (10 if args.quick else 20)
    streams = args.streams or (16 if args.quick else 40)
    bank_size = args.bank_size or (10_000 if args.quick else 100_000)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        video = root / "720p30.mp4"
        t = time.perf_counter()
        make_video(video, seconds)
        size_mb = video.stat().st_size * 8 / seconds / 1e6
        print(f"video: 1280x720 30 fps, {seconds} s, GOP 2 s, {size_mb:.1f} Mb/s "
              f"(made in {time.perf_counter() - t:.0f} s)")
        db = setup_db(root, bank_size)
        with db.session() as s:  # warm the matcher: first use builds the index from the tables
            banks.match_signals(s, [])
        BankFrameMatcher(db).match_pdq({"original": f"{0:064x}"}, near_margin=16)
        print(f"bank: {bank_size:,} PDQ hashes; pinned to 1 core; {streams} concurrent streams")

        stream_seconds = streams * seconds
        a_cpu, a_wall, a_frames = run_anchor(video, streams)
        f_cpu, f_wall, f_frames, _, _ = run_firstlight(db, video, streams)
        anchor_spc = stream_seconds / a_cpu
        fl_spc = stream_seconds / f_cpu
        print(f"anchor  decode-only keyframe sampling: {a_frames} keyframes, cpu {a_cpu:.2f} s, "
              f"wall {a_wall:.2f} s → {anchor_spc:.1f} streams per core "
              f"({a_cpu / a_frames * 1000:.1f} ms per keyframe)")
        print(f"firstlight keyframes + PDQ×8 + match: {f_frames} frames, cpu {f_cpu:.2f} s, "
              f"wall {f_wall:.2f} s → {fl_spc:.1f} streams per core "
              f"({f_cpu / max(1, f_frames) * 1000:.1f} ms per keyframe)")
        print(f"ratio firstlight / anchor: {fl_spc / anchor_spc:.2f}  (goal: ≥ 30 streams per core)")

        if not args.no_paced:
            paced = args.paced or max(1, int(0.8 * fl_spc))
            p_cpu, p_wall, p_frames, worker, sink = run_firstlight(db, video, paced, realtime=True)
            print(f"paced: {paced} streams in real time for {seconds} s: cpu {p_cpu:.1f} s over wall "
                  f"{p_wall:.1f} s ({100 * p_cpu / p_wall:.0f} % of the core), {p_frames} frames, "
                  f"{sum(s.frames_dropped for s in sink.closed_sessions)} dropped, "
                  f"analysis lag behind the stream clock p50 {pct(sink.lags, 0.5):.3f} s, "
                  f"p95 {pct(sink.lags, 0.95):.3f} s, max {max(sink.lags, default=float('nan')):.3f} s")
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
