"""Pull (PyAV on a URL or file) and push (posted frames and segments) ingest, on generated media."""

from __future__ import annotations

import threading

import pytest
from streams_media import jpeg_bytes, make_video, pattern_frame, standin_image

from firstlight.errors import Invalid, TooLarge, Unsupported
from firstlight.streams.pull import PullClosed, PullOptions, PullReader, redact_url
from firstlight.streams.push import PushDecoder, PushLimits


def read_all(reader: PullReader) -> tuple[list, str]:
    frames = []
    with pytest.raises(PullClosed) as closed:
        for f in reader.frames():
            frames.append(f)
    return frames, closed.value.reason


def test_pull_keyframes_only_by_default(tmp_path):
    path = tmp_path / "v.mp4"
    make_video(path, seconds=6, fps=10, gop_seconds=2)
    frames, reason = read_all(PullReader(str(path)))
    assert reason == "ended"
    assert [round(f.stream_time, 2) for f in frames] == [0.0, 2.0, 4.0]
    assert all(f.keyframe and f.rgb.shape == (180, 320, 3) for f in frames)
    assert frames[0].evidence_jpeg()[:3] == b"\xff\xd8\xff"


def test_pull_keyframes_come_out_at_once_even_with_b_frames(tmp_path):
    # A decoder holds frames back to reorder B-frames; with only keyframes decoded that would delay each
    # keyframe by two GOPs. Each keyframe must come out before the next packet is read.
    path = tmp_path / "b.mp4"
    make_video(path, seconds=8, fps=10, gop_seconds=2, bframes=2)
    reader = PullReader(str(path))
    seen = []
    with pytest.raises(PullClosed):
        for f in reader.frames():
            seen.append((round(f.stream_time, 2), reader.packets))
    assert [t for t, _ in seen] == [0.0, 2.0, 4.0, 6.0]
    assert [n for _, n in seen] == [1, 21, 41, 61]


def test_pull_dense_from_the_first_frame_when_the_tier_asks(tmp_path):
    path = tmp_path / "v.mp4"
    make_video(path, seconds=3, fps=10)
    frames, _ = read_all(PullReader(str(path), want_fps=lambda: 2.0))
    assert [round(f.stream_time, 2) for f in frames] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_pull_switching_to_dense_replays_the_current_gop(tmp_path):
    path = tmp_path / "v.mp4"
    make_video(path, seconds=6, fps=10, gop_seconds=2)
    state = {"fps": None}
    reader = PullReader(str(path), want_fps=lambda: state["fps"])
    times = []
    with pytest.raises(PullClosed):
        for f in reader.frames():
            times.append(round(f.stream_time, 2))
            if f.stream_time >= 2.0:
                state["fps"] = 2.0
    # keyframes 0 and 2, then dense sampling continues from the GOP that began at 2.0 s
    assert times[:3] == [0.0, 2.0, 2.5] and times[-1] == 5.5


def test_pull_stop_flag_and_duration_limit(tmp_path):
    path = tmp_path / "v.mp4"
    make_video(path, seconds=4, fps=10)
    stop = threading.Event()
    stop.set()
    _, reason = read_all(PullReader(str(path), stop=stop))
    assert reason == "stopped"
    _, reason = read_all(PullReader(str(path), options=PullOptions(max_duration_s=0.0)))
    assert reason == "limit"


def test_pull_garbage_and_missing_sources_close_cleanly(tmp_path):
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"\x00garbage" * 5000)
    _, reason = read_all(PullReader(str(junk)))
    assert reason in ("open_failed", "invalid")
    _, reason = read_all(PullReader(str(tmp_path / "missing.mp4")))
    assert reason == "open_failed"


def test_pull_refused_connection_is_open_failed():
    reader = PullReader("rtmp://127.0.0.1:9/live/x", options=PullOptions(open_timeout_s=2, read_timeout_s=2))
    _, reason = read_all(reader)
    assert reason == "open_failed"


def test_redact_url_hides_credentials_query_and_stream_key():
    assert redact_url("rtmp://user:pw@host:1935/live/abcdef0123456789?token=x") == "rtmp://host:1935/live/abcd…"
    assert redact_url("/tmp/clip.mp4") == "/tmp/clip.mp4"


def test_push_jpeg_frames_keep_the_platform_bytes_as_evidence():
    dec = PushDecoder()
    data = jpeg_bytes(standin_image())
    [frame] = list(dec.decode(data, offset_seconds=3.0, fps=None))
    assert frame.stream_time == 3.0 and frame.ingest == "push" and frame.rgb.shape == (288, 512, 3)
    assert frame.evidence_jpeg() == data
    [second] = list(dec.decode(jpeg_bytes(pattern_frame(1, (64, 64))), offset_seconds=None, fps=None))
    assert second.stream_time == 4.0


def test_push_segments_follow_the_tier_and_keep_time_across_posts():
    dec = PushDecoder()
    seg = make_video(seconds=4, fps=10, gop_seconds=2, fmt="mpegts")
    frames = list(dec.decode(seg, offset_seconds=None, fps=None))
    assert [round(f.stream_time, 2) for f in frames] == [0.0, 2.0]
    frames = list(dec.decode(seg, offset_seconds=4.0, fps=2.0))
    assert [round(f.stream_time, 2) for f in frames][:3] == [4.0, 4.5, 5.0]


def test_push_rejects_garbage_wrong_types_and_oversize():
    dec = PushDecoder(limits=PushLimits(max_frame_bytes=100))
    with pytest.raises(Invalid):
        list(dec.decode(b"", offset_seconds=None, fps=None))
    with pytest.raises(Unsupported):
        list(dec.decode(b"%PDF-1.4 nothing to see", offset_seconds=None, fps=None))
    with pytest.raises(TooLarge):
        list(dec.decode(jpeg_bytes(standin_image()), offset_seconds=None, fps=None))
    with pytest.raises(Invalid):
        list(PushDecoder().decode(b"\xff\xd8\xff\xe0" + b"\x00" * 200, offset_seconds=None, fps=None))


def test_pull_a_stream_that_stalls_is_closed_as_stalled():
    """An HTTP server sends the first half of an MPEG-TS stream, then nothing (bounded: it gives up)."""
    import socket

    data = make_video(seconds=6, fps=10, gop_seconds=2, fmt="mpegts")
    half = data[: (len(data) // 2 // 188) * 188]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(10)
    port = server.getsockname()[1]
    done = threading.Event()

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\n\r\n" + half)
            done.wait(15)  # hold the connection open, silent

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        reader = PullReader(f"http://127.0.0.1:{port}/live.ts",
                            options=PullOptions(open_timeout_s=5, read_timeout_s=1.5))
        frames, reason = read_all(reader)
    finally:
        done.set()
        server.close()
        thread.join(5)
    assert reason == "stalled"
    assert [round(f.stream_time, 1) for f in frames][:1] == [0.0]
