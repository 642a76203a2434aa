"""Time to first alert when known content is on screen from the first frame (2 s keyframe interval).

Real parts on loopback, as in ``tests/e2e/test_livestream_rtmp.py``: nginx with Debian's libnginx-mod-rtmp,
``ffmpeg`` publishing 1280×720 at 30 fps (x264, zerolatency, a keyframe every 2 s) with a stand-in picture
from a block bank filling the screen from the first frame, and Firstlight pulling the RTMP stream with the
real banks matcher, database sink (evidence, case, report task) and webhook outbox (a local receiver).

The anchor, in the same run and on the same stream, is a plain PyAV reader connected the same way that
only decodes keyframes: the moment it has the first keyframe decoded is "the first keyframe becomes
decodable". For each trial both connect before the publisher starts (as when the platform sends
``stream.start`` as the stream goes live). Reported, as p50 / p95 / max over the trials:

- first keyframe decodable − publisher start (what the stream and the network allow),
- first alert − publisher start, and first alert − first keyframe decodable (what Firstlight adds),
- ``end_stream`` delivered to the platform's webhook − publisher start.

A second section times the push path: the platform posts the first frame as a JPEG; time from the post to
the alert being durable.

    python benchmarks/bench_first_alert.py            # 10 rounds × 2 concurrent streams
    python benchmarks/bench_first_alert.py --quick    # 3 rounds × 2
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import rtmp_rig  # noqa: E402

from firstlight import banks, events  # noqa: E402
from firstlight.config import Settings  # noqa: E402
from firstlight.decide import Action  # noqa: E402
from firstlight.decide.receiver import WebhookReceiver  # noqa: E402
from firstlight.events.schema import EventEnvelope  # noqa: E402
from firstlight.store import Database, upgrade  # noqa: E402
from firstlight.streams import StreamSessionRow, push_media  # noqa: E402
from firstlight.streams.analysis import pdq_dihedral  # noqa: E402
from firstlight.streams.engine import get_worker, shutdown_workers  # noqa: E402
from firstlight.streams.pull import PullClosed, PullOptions, PullReader  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else float("nan")


def line(name: str, values: list[float]) -> str:
    return (f"{name:<46} p50 {pct(values, 0.5):6.3f} s   p95 {pct(values, 0.95):6.3f} s   "
            f"max {max(values, default=float('nan')):6.3f} s   (n={len(values)})")


def first_keyframe(url: str, out: dict[str, float], key: str) -> None:
    reader = PullReader(url, options=PullOptions(open_timeout_s=30, read_timeout_s=5))
    try:
        for _ in reader.frames():
            out[key] = time.monotonic()
            break
    except PullClosed:
        pass


def run_rtmp(db: Database, root: Path, picture: Path, rounds: int, concurrent: int) -> dict[str, list]:
    results: dict[str, list[float]] = {"kf": [], "alert": [], "added": [], "webhook": []}
    worker = get_worker(db)
    with rtmp_rig.RtmpServer(root / "nginx") as server:
        for r in range(rounds):
            names = [f"r{r}s{i}" for i in range(concurrent)]
            anchors: dict[str, float] = {}
            threads = [threading.Thread(target=first_keyframe, args=(server.rtmp_url(n), anchors, n))
                       for n in names]
            for t in threads:
                t.start()
            started_utc = datetime.now(UTC)
            for n in names:
                events.accept(db, EventEnvelope(
                    id=f"start-{n}", type="stream.start", occurred_at=started_utc,
                    payload={"stream_id": n, "streamer_account": f"acct-{n}",
                             "stream_url": server.rtmp_url(n)},
                ))
            events.process_pending(db)
            deadline = time.monotonic() + 10
            while not all(n in worker for n in names) and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)  # both readers are connected and waiting for the publisher
            t0_mono, t0_utc = time.monotonic(), datetime.now(UTC)
            pubs = [rtmp_rig.publish(server.rtmp_url(n), seconds=6, picture=picture, show_from=0,
                                     size="1280x720", fps=30) for n in names]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with db.session() as s:
                    done = s.scalar(select(Action).where(Action.kind == "end_stream",
                                                         Action.delivered_at.is_not(None),
                                                         Action.target["stream_id"].as_string() == names[-1]))
                    rows = {row.stream_id: row for row in s.scalars(
                        select(StreamSessionRow).where(StreamSessionRow.stream_id.in_(names)))}
                if done is not None and all(rows[n].first_alert_at for n in names):
                    break
                time.sleep(0.1)
            for p in pubs:
                rtmp_rig.stop(p)
            for t in threads:
                t.join(10)
            with db.session() as s:
                delivered = {a.target["stream_id"]: a.delivered_at for a in s.scalars(
                    select(Action).where(Action.kind == "end_stream"))}
            for n in names:
                row = rows[n]
                if row.first_alert_at is None or n not in anchors:
                    print(f"  trial {n}: no alert or no anchor keyframe", file=sys.stderr)
                    continue
                alert = (row.first_alert_at - t0_utc).total_seconds()
                kf = anchors[n] - t0_mono
                results["kf"].append(kf)
                results["alert"].append(alert)
                results["added"].append(alert - kf)
                if delivered.get(n) is not None:
                    results["webhook"].append((delivered[n] - t0_utc).total_seconds())
            for n in names:
                events.accept(db, EventEnvelope(id=f"end-{n}", type="stream.end", payload={"stream_id": n}))
            events.process_pending(db)
    return results


def run_push(db: Database, picture: Path, trials: int) -> list[float]:
    buf = io.BytesIO()
    Image.open(picture).convert("RGB").save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    worker = get_worker(db)
    out = []
    for i in range(trials):
        sid = f"push-{i}"
        events.accept(db, EventEnvelope(id=f"start-{sid}", type="stream.start",
                                        payload={"stream_id": sid, "streamer_account": f"p{i}"}))
        events.process_pending(db)
        t0 = datetime.now(UTC)
        push_media(db, sid, data, offset_seconds=0.0)
        worker.wait_closed(sid, 20)
        with db.session() as s:
            row = s.scalar(select(StreamSessionRow).where(StreamSessionRow.stream_id == sid))
        out.append((row.first_alert_at - t0).total_seconds())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--concurrent", type=int, default=2)
    args = parser.parse_args()
    reason = rtmp_rig.unavailable_reason()
    rounds = args.rounds or (3 if args.quick else 10)
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver("bench") as rx:
        root = Path(tmp)
        picture = rtmp_rig.standin_picture(root / "standin.png", size=(1280, 720))
        settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'fl.db'}",
                            webhook_url=rx.url, webhook_secret="bench")
        db = Database(settings.resolved_database_url)
        upgrade(db)
        with db.begin() as s:
            banks.create_bank(s, "standins", "block")
            rgb = np.asarray(Image.open(picture).convert("RGB"))
            banks.add_to_bank(s, "standins", ("pdq", pdq_dihedral(rgb)[0]["original"]), source="bench")
        shutdown_workers()
        get_worker(db, settings)
        try:
            if reason:
                print(f"RTMP section skipped: {reason}")
            else:
                res = run_rtmp(db, root, picture, rounds, args.concurrent)
                print(f"RTMP pull, 1280x720 30 fps, keyframe every 2 s, {args.concurrent} streams at a time:")
                print(line("first keyframe decodable − publisher start", res["kf"]))
                print(line("first alert − publisher start", res["alert"]))
                print(line("first alert − first keyframe decodable", res["added"]))
                print(line("end_stream delivered − publisher start", res["webhook"]))
                ratio = pct(res["alert"], 0.95) / pct(res["kf"], 0.95)
                print(f"goal: first alert ≤ 2 s p95 → p95 {pct(res['alert'], 0.95):.3f} s; "
                      f"ratio alert / first-keyframe p95 {ratio:.2f}")
            push = run_push(db, picture, 10 if args.quick else 30)
            print(line("push: first JPEG posted → alert durable", push))
        finally:
            shutdown_workers()
            db.dispose()


if __name__ == "__main__":
    sys.exit(main())
