"""``/v1/streams`` and the ``firstlight watch`` / ``streams`` commands."""

from __future__ import annotations

import json

from streams_media import jpeg_bytes, make_video, pattern_frame, standin_image
from test_streams_service import block_bank
from typer.testing import CliRunner

from firstlight import events
from firstlight.events.schema import EventEnvelope


def test_push_endpoint_and_live_state(db, app_client, make_key, stream_env):
    platform = make_key("events:write")
    reviewer = make_key("cases:review")
    block_bank(db)
    events.accept(db, EventEnvelope(id="st", type="stream.start",
                                    payload={"stream_id": "api-1", "streamer_account": "eve"}))
    events.process_pending(db)
    benign = jpeg_bytes(pattern_frame(0, (320, 180)))
    r = app_client.post("/v1/streams/api-1/frames?offset_seconds=0", content=benign,
                        headers={**platform, "Content-Type": "image/jpeg"})
    assert r.status_code == 202, r.text
    assert r.json()["queued_frames"] == 1
    assert stream_env.wait_idle(10)
    state = app_client.get("/v1/streams/api-1", headers=reviewer).json()
    assert state["tier"] == "T0" and state["frames_analysed"] == 1 and state["status"] == "live"
    r = app_client.post("/v1/streams/api-1/frames?offset_seconds=2", content=jpeg_bytes(standin_image()),
                        headers=platform)
    assert r.status_code == 202
    assert stream_env.wait_closed("api-1", 20)
    state = app_client.get("/v1/streams/api-1", headers=platform).json()
    assert state["status"] == "actioned" and state["tier"] == "T3"
    assert state["escalations"][0]["rule"] == "confirmed_match"
    listed = app_client.get("/v1/streams?status=actioned", headers=reviewer).json()["streams"]
    assert [s["stream_id"] for s in listed] == ["api-1"]


def test_push_endpoint_errors(db, app_client, make_key, stream_env):
    platform = make_key("events:write")
    events.accept(db, EventEnvelope(id="st", type="stream.start",
                                    payload={"stream_id": "api-2", "streamer_account": "eve"}))
    events.process_pending(db)
    assert app_client.post("/v1/streams/nope/frames", content=b"x", headers=platform).status_code == 404
    r = app_client.post("/v1/streams/api-2/frames", content=b"%PDF-1.7 not a frame", headers=platform)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media"
    r = app_client.post("/v1/streams/api-2/frames", content=b"\xff\xd8\xff\xe0broken", headers=platform)
    assert r.status_code == 422
    assert app_client.post("/v1/streams/api-2/frames", content=b"x").status_code == 401
    assert app_client.get("/v1/streams/api-2", headers=make_key("banks:write")).status_code == 403
    assert app_client.get("/v1/streams/missing", headers=platform).status_code == 404


def test_push_endpoint_backpressure_answers_503_with_retry_after(db, app_client, make_key, stream_env):
    platform = make_key("events:write")
    events.accept(db, EventEnvelope(id="st", type="stream.start",
                                    payload={"stream_id": "api-3", "streamer_account": "eve"}))
    events.process_pending(db)
    segment = make_video(seconds=6, fps=5, gop_seconds=0.2, fmt="mpegts")  # 30 keyframes per post
    responses = [app_client.post("/v1/streams/api-3/frames", content=segment, headers=platform)
                 for _ in range(3)]
    assert responses[0].status_code == 202 and responses[0].json()["queued_frames"] == 30
    refused = [r for r in responses if r.status_code == 503]
    assert refused, "a second post of 30 frames cannot fit beside the first"
    assert refused[0].headers["retry-after"] == "1"
    assert refused[0].json()["error"]["code"] == "backpressure"
    too_many = make_video(seconds=8, fps=5, gop_seconds=0.2, fmt="mpegts")  # 40 > 32 per post
    assert stream_env.wait_idle(20)
    r = app_client.post("/v1/streams/api-3/frames?offset_seconds=100", content=too_many, headers=platform)
    assert r.status_code == 413


def test_watch_dry_run_with_a_hash_file(tmp_path):
    from firstlight.cli import app
    from firstlight.streams.analysis import pdq_dihedral

    image = standin_image(size=(320, 180))
    video = tmp_path / "v.mp4"
    make_video(video, seconds=6, show_from=2, image=image)
    import numpy as np

    hashes = tmp_path / "known.txt"
    hashes.write_text(f"# stand-ins\npdq {pdq_dihedral(np.asarray(image))[0]['original']}\n")
    result = CliRunner().invoke(app, ["watch", str(video), "--hashes", str(hashes), "--json"])
    assert result.exit_code == 0, result.output
    assert '"to_tier": "T3"' in result.output and '"event": "summary"' in result.output


def test_watch_with_the_database_and_streams_show(tmp_path, monkeypatch):
    from firstlight.cli import app

    monkeypatch.setenv("FIRSTLIGHT_DATA_DIR", str(tmp_path / "data"))
    from firstlight.config import _cached_settings

    _cached_settings.cache_clear()
    video = tmp_path / "v.mp4"
    make_video(video, seconds=4)
    try:
        result = CliRunner().invoke(app, ["watch", str(video), "--stream-id", "w1"])
        assert result.exit_code == 0, result.output
        assert "stream w1: ended, tier T0, 2 frames analysed" in result.output
        shown = CliRunner().invoke(app, ["streams", "show", "w1", "--json"])
        assert json.loads(shown.output)["frames_analysed"] == 2
        listed = CliRunner().invoke(app, ["streams", "list"])
        assert "w1" in listed.output
        bad = CliRunner().invoke(app, ["watch", str(video), "--hashes", str(tmp_path / "missing.txt")])
        assert bad.exit_code != 0
    finally:
        _cached_settings.cache_clear()
