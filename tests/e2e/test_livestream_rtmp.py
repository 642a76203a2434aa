"""Livestreams end to end on real parts: nginx with Debian's libnginx-mod-rtmp on loopback, three ffmpeg
publishers of a generated benign video, Firstlight pulling RTMP (and HLS from the same server) with the
real banks matcher, and a local webhook receiver behind the real outbox.

- stream ``from-start`` shows a stand-in picture (in a ``block`` bank) from its first frame,
- stream ``from-10s`` shows it from second 10 (read twice: over RTMP and over HLS),
- stream ``never`` never shows it.

Firstlight must alert on the first two at the right stream time, end them through the webhook (signed
``end_stream`` actions), and leave the third alone. Skips cleanly where nginx's RTMP module or ffmpeg is
missing; CI installs them (``.ci/run``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from firstlight import banks, events
from firstlight.decide.receiver import WebhookReceiver
from firstlight.events.schema import EventEnvelope
from firstlight.streams import StreamSessionRow, get_stream
from firstlight.streams.analysis import pdq_dihedral
from firstlight.streams.engine import get_worker, shutdown_workers

rtmp_rig = pytest.importorskip("rtmp_rig")

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
SECRET = "e2e-stream-secret"
SECONDS = 18
SHOW_AT = 10.0


@pytest.fixture
def rig(tmp_path, sqlite_db, settings):
    reason = rtmp_rig.unavailable_reason()
    if reason:
        pytest.skip(reason)
    picture = rtmp_rig.standin_picture(tmp_path / "standin.png")
    rgb = np.asarray(Image.open(picture).convert("RGB"))
    with sqlite_db.begin() as s:
        banks.create_bank(s, "standins", "block")
        entry = banks.add_to_bank(s, "standins", ("pdq", pdq_dihedral(rgb)[0]["original"]), source="e2e")
    settings.stream_read_timeout_s = 4.0
    settings.stream_open_timeout_s = 30.0
    publishers = []
    with rtmp_rig.RtmpServer(tmp_path / "nginx") as server, WebhookReceiver(SECRET) as rx:
        settings.webhook_url, settings.webhook_secret = rx.url, SECRET
        shutdown_workers()
        worker = get_worker(sqlite_db, settings)
        try:
            yield {"db": sqlite_db, "server": server, "rx": rx, "worker": worker, "picture": picture,
                   "entry_id": entry.id, "publishers": publishers, "root": tmp_path}
        finally:
            for p in publishers:
                rtmp_rig.stop(p)
            shutdown_workers()


def start_event(db, stream_id: str, url: str, started: datetime) -> None:
    events.accept(db, EventEnvelope(
        id=f"start-{stream_id}", type="stream.start", occurred_at=started,
        payload={"stream_id": stream_id, "streamer_account": f"streamer-{stream_id}",
                 "viewer_accounts": ["viewer-1"], "visibility": "public", "stream_url": url},
    ))
    assert events.process_pending(db).processed == 1


def end_event(db, stream_id: str) -> None:
    events.accept(db, EventEnvelope(id=f"end-{stream_id}", type="stream.end",
                                    payload={"stream_id": stream_id, "reason": "publisher stopped"}))
    events.process_pending(db)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_rtmp_and_hls_streams_alert_at_the_right_time_and_end_through_the_webhook(rig):
    db, server, rx, worker = rig["db"], rig["server"], rig["rx"], rig["worker"]
    now = datetime.now(UTC)
    # Firstlight connects first (the platform sends stream.start as the stream goes live): nginx-rtmp
    # holds the players until each publisher arrives, then sends from its first keyframe.
    for name in ("from-start", "from-10s", "never"):
        start_event(db, name, server.rtmp_url(name), now)
    wait_for(lambda: all(n in worker for n in ("from-start", "from-10s", "never")), 10, "readers")
    if not server.wait_clients(3):  # /proc/net/tcp unreadable: give the readers a moment instead
        time.sleep(1.0)
    pubs = rig["publishers"]
    pubs.append(rtmp_rig.publish(server.rtmp_url("from-start"), seconds=SECONDS, picture=rig["picture"],
                                 show_from=0, log=rig["root"] / "a.log"))
    pubs.append(rtmp_rig.publish(server.rtmp_url("from-10s"), seconds=SECONDS, picture=rig["picture"],
                                 show_from=SHOW_AT, log=rig["root"] / "b.log"))
    pubs.append(rtmp_rig.publish(server.rtmp_url("never"), seconds=SECONDS, log=rig["root"] / "c.log"))
    # The same from-10s stream over HLS, from its first segment.
    assert server.wait_hls("from-10s", 20), server.log()
    start_event(db, "from-10s-hls", server.hls_url("from-10s"), now)

    wait_for(lambda: set(rx.unique) >= {"stream:from-start:end_stream", "stream:from-10s:end_stream",
                                        "stream:from-10s-hls:end_stream"}, 60, "three end_stream actions")
    for p in pubs:
        p.wait(SECONDS + 20)
    for name in ("from-start", "from-10s", "never", "from-10s-hls"):
        end_event(db, name)
    wait_for(lambda: len(worker) == 0, 30, "every session closed")

    with db.session() as s:
        state = {n: get_stream(s, n).as_dict()
                 for n in ("from-start", "from-10s", "from-10s-hls", "never")}
        rows = {r.stream_id: r for r in s.scalars(select(StreamSessionRow))}

    # from the first frame: alerted on the first keyframe or the next
    a = state["from-start"]
    assert a["status"] == "actioned" and a["tier"] == "T3", a
    assert a["first_alert_stream_time_s"] <= 2.0 + 0.1
    [esc] = a["escalations"]
    assert esc["rule"] == "confirmed_match"
    match = esc["explanation"]["signals"][0]["details"]
    assert match["bank"] == "standins" and match["entry_id"] == rig["entry_id"] and match["distance"] <= 31

    # from second 10: not before the picture appeared, and within one keyframe interval of it
    for name in ("from-10s", "from-10s-hls"):
        b = state[name]
        assert b["status"] == "actioned" and b["tier"] == "T3", b
        assert SHOW_AT - 0.1 <= b["first_alert_stream_time_s"] <= SHOW_AT + 2.0 + 0.1, b
        assert b["frames_analysed"] >= 5  # it watched the benign part first

    # never: watched to the end, left alone
    c = state["never"]
    assert c["tier"] == "T0" and c["escalations"] == [] and c["status"] != "actioned", c
    assert c["frames_analysed"] >= SECONDS // 2 - 2
    assert rows["never"].case_id is None

    # the platform's receiver: signed end_stream and restrict_account actions, nothing for "never"
    received = rx.unique
    assert rx.rejected_signatures == 0
    assert not any(":never:" in key for key in received)
    end_a = received["stream:from-start:end_stream"]
    assert end_a["target"]["stream_id"] == "from-start"
    assert end_a["explanation"]["rule"] == "confirmed_match"
    assert "stream:from-10s:restrict:streamer-from-10s" in received
    # time to first alert is measured from stream start and kept per session
    assert 0 < a["time_to_first_alert_s"] < state["from-10s"]["time_to_first_alert_s"]
