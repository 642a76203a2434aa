"""Sessions in the database, with the real banks matcher, cases, evidence, webhook outbox and reports."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
from sqlalchemy import select
from streams_media import jpeg_bytes, make_video, pattern_frame, standin_image

from firstlight import banks, events
from firstlight.cases import Case, CaseItem
from firstlight.decide import Action, deliver_due
from firstlight.decide.receiver import WebhookReceiver
from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.events.schema import EventEnvelope
from firstlight.evidence import EvidenceItem
from firstlight.reports import ReportTask
from firstlight.streams import StreamEscalationRow, StreamSessionRow, get_stream, push_media, start_stream
from firstlight.streams.analysis import pdq_dihedral


def block_bank(db, image=None, name="csam-test") -> int:
    rgb = np.asarray((image or standin_image()).convert("RGB"))
    with db.begin() as s:
        banks.create_bank(s, name, "block")
        return banks.add_to_bank(s, name, ("pdq", pdq_dihedral(rgb)[0]["original"]), source="test",
                                 category_ncmec="A1").id


def send(db, event_id, type_, **payload):
    events.accept(db, EventEnvelope(id=event_id, type=type_, payload=payload))
    return events.process_pending(db)


def test_stream_start_is_recorded_once_and_prior_override_starts_at_t1(db, stream_env):
    with db.begin() as s:
        row = start_stream(s, {"stream_id": "s1", "streamer_account": "alice"}, prior_tier="T1")
        again = start_stream(s, {"stream_id": "s1", "streamer_account": "alice"})
        assert again.id == row.id
    with db.session() as s:
        state = get_stream(s, "s1").as_dict()
    assert state["tier"] == "T1" and state["status"] == "live" and state["ingest"] == "push"
    [esc] = state["escalations"]
    assert esc["rule"] == "session_prior" and esc["to_tier"] == "T1" and "prior_tier" in esc["summary"]
    assert "s1" in stream_env  # the worker took the session once the transaction committed
    with db.begin() as s, pytest.raises(Invalid):
        start_stream(s, {"stream_id": "s2", "streamer_account": "a"}, prior_tier="T3")


def test_unreadable_urls_are_recorded_invalid_and_file_urls_need_permission(db, stream_env):
    with db.begin() as s:
        bad = start_stream(s, {"stream_id": "u1", "streamer_account": "a", "stream_url": "gopher://x/y"})
        local = start_stream(s, {"stream_id": "u2", "streamer_account": "a", "stream_url": "/etc/passwd"},
                             allow_files=False)
        lenient = start_stream(s, {"stream_id": "u3", "streamer_account": "a", "prior_tier": "T3"})
    assert bad.status == "invalid" and "rtmp" in bad.end_reason
    assert local.status == "invalid" and "stream_allow_file_urls" in local.end_reason
    assert lenient.tier == "T2"  # a platform's prior_tier is capped at review
    assert "u1" not in stream_env and "u2" not in stream_env


def test_out_of_scope_visibility_is_recorded_but_not_analysed(db, stream_env):
    with db.begin() as s:
        row = start_stream(s, {"stream_id": "p1", "streamer_account": "a", "visibility": "one_to_one"},
                           scan_visibilities=["public"])
        assert row.status == "out_of_scope"
    assert "p1" not in stream_env


def test_pushed_known_frame_ends_the_stream_restricts_and_reports(db, settings, stream_env):
    entry_id = block_bank(db)
    send(db, "ev-start", "stream.start", stream_id="live-1", streamer_account="streamer-9",
         viewer_accounts=["viewer-3"], visibility="one_to_one", paid=True, countries={"viewer-3": "GB"})
    assert push_media(db, "live-1", jpeg_bytes(pattern_frame(0, (640, 360))), offset_seconds=0.0) == 1
    assert push_media(db, "live-1", jpeg_bytes(standin_image()), offset_seconds=2.0) == 1
    assert stream_env.wait_closed("live-1", 20)
    with db.session() as s:
        row = s.scalar(select(StreamSessionRow).where(StreamSessionRow.stream_id == "live-1"))
        assert row.status == "actioned" and row.tier == "T3" and row.frames_analysed == 2
        assert row.first_alert_stream_time_s == 2.0 and row.time_to_first_alert_s is not None
        [esc] = s.scalars(select(StreamEscalationRow)).all()
        assert esc.rule == "confirmed_match" and esc.to_tier == "T3" and esc.stream_time_s == 2.0
        match = esc.explanation["signals"][0]["details"]
        assert match["entry_id"] == entry_id and match["bank"] == "csam-test" and match["distance"] <= 31
        actions = {a.kind: a for a in s.scalars(select(Action))}
        assert set(actions) == {"end_stream", "restrict_account"}
        assert actions["end_stream"].target == {"stream_id": "live-1", "streamer_account": "streamer-9"}
        assert actions["end_stream"].explanation["rule"] == "confirmed_match"
        restricted = {a.target["account_id"] for a in s.scalars(select(Action).where(
            Action.kind == "restrict_account"))}
        assert restricted == {"streamer-9", "viewer-3"}  # paid one-to-one: the paying viewer too
        case = s.get(Case, row.case_id)
        assert case.subject_account == "streamer-9"
        [item] = s.scalars(select(CaseItem).where(CaseItem.case_id == case.id)).all()
        assert item.source == "livestream" and item.outcome == "act"
        evidence = s.get(EvidenceItem, item.evidence_id)
        assert evidence.media_type == "image/jpeg" and evidence.meta["stream_time_s"] == 2.0
        task = s.get(ReportTask, row.report_task_id)
        assert task.priority == "P1" and task.detected_by == "hash_match"
    vault_file = settings.data_dir / "vault" / evidence.blob_path
    assert jpeg_bytes(standin_image())[:64] not in vault_file.read_bytes()
    with pytest.raises(Conflict):
        push_media(db, "live-1", jpeg_bytes(standin_image()))


def test_public_stream_report_is_p2_and_webhook_is_delivered_signed(db, settings, stream_env):
    block_bank(db)
    with WebhookReceiver("s3cret") as rx:
        settings.webhook_url, settings.webhook_secret = rx.url, "s3cret"
        with db.begin() as s:
            start_stream(s, {"stream_id": "pub", "streamer_account": "bob"})
        push_media(db, "pub", jpeg_bytes(standin_image()), offset_seconds=0.0)
        assert stream_env.wait_closed("pub", 20)
        expected = {"stream:pub:end_stream", "stream:pub:restrict:bob"}
        deadline = time.monotonic() + 20
        while set(rx.unique) != expected and time.monotonic() < deadline:
            deliver_due(db, settings)  # the escalation may commit its actions just after the close
            time.sleep(0.2)
        received = rx.unique
    assert set(received) == expected
    assert rx.rejected_signatures == 0
    with db.session() as s:
        assert s.scalar(select(ReportTask)).priority == "P2"


def test_benign_frames_and_segments_leave_the_stream_alone(db, stream_env):
    block_bank(db)
    with db.begin() as s:
        start_stream(s, {"stream_id": "ok", "streamer_account": "carol"})
    push_media(db, "ok", make_video(seconds=4, fps=10, fmt="mpegts"))
    assert stream_env.wait_idle(10)
    with db.begin() as s:
        from firstlight.streams import end_stream

        end_stream(s, "ok", reason="streamer stopped")
    assert stream_env.wait_closed("ok", 10)
    with db.session() as s:
        state = get_stream(s, "ok").as_dict()
        assert s.scalars(select(Action)).all() == []
    assert state["status"] == "ended" and state["tier"] == "T0" and state["frames_analysed"] == 2
    assert state["escalations"] == [] and state["last_signals"][0]["type"] == "pdq"


def test_stream_frame_events_feed_the_worker_and_end_closes(db, stream_env):
    block_bank(db)
    send(db, "e1", "stream.start", stream_id="ev", streamer_account="dave")
    data = base64.b64encode(jpeg_bytes(standin_image())).decode()
    summary = send(db, "e2", "stream.frame", stream_id="ev", frame_base64=data, offset_seconds=5.0)
    assert summary.processed == 1
    assert stream_env.wait_closed("ev", 20)
    with db.session() as s:
        assert s.scalar(select(StreamSessionRow)).status == "actioned"
    assert send(db, "e3", "stream.end", stream_id="ev").processed == 1
    assert send(db, "e4", "stream.end", stream_id="never-started").processed == 1


def test_unknown_stream_push_is_not_found(db, stream_env):
    with pytest.raises(NotFound):
        push_media(db, "nope", jpeg_bytes(standin_image()))


def test_in_stream_session_risk_raises_the_tier_but_never_past_review(db, stream_env):
    from sqlalchemy import update

    from firstlight.detect.models import RiskSession
    from firstlight.streams import supervise

    with db.begin() as s:
        start_stream(s, {"stream_id": "risky", "streamer_account": "frank", "visibility": "private",
                         "paid": True, "viewer_accounts": ["gina"]})
    assert stream_env.get("risky").tier.label == "T0"
    for tier in ("T1", "T2"):
        with db.begin() as s:
            s.execute(update(RiskSession).where(RiskSession.stream_id == "risky").values(tier=tier))
        assert supervise(db)["raised"] == 1
        assert stream_env.get("risky").tier.label == tier
    assert supervise(db)["raised"] == 0
    with db.session() as s:
        state = get_stream(s, "risky").as_dict()
        assert [e["rule"] for e in state["escalations"]] == ["session_risk", "session_risk"]
        assert state["escalations"][1]["to_tier"] == "T2" and state["case_id"] is not None
        assert s.scalars(select(Action)).all() == []  # risk alone never acts


def test_a_worker_shutting_down_leaves_its_sessions_live_for_the_next_one(db, settings, stream_env):
    from firstlight.streams import get_worker, shutdown_workers, supervise

    with db.begin() as s:
        start_stream(s, {"stream_id": "keep", "streamer_account": "hank"}, prior_tier="T1")
    assert "keep" in stream_env
    shutdown_workers()
    with db.session() as s:
        row = s.scalar(select(StreamSessionRow))
        assert row.status == "live" and row.worker_id is None
    worker = get_worker(db, settings)
    push_media(db, "keep", jpeg_bytes(pattern_frame(0, (64, 64))), offset_seconds=1.0)  # adopted on push
    assert worker.get("keep").tier.label == "T1"  # resumed at its stored tier
    assert supervise(db)["adopted"] == 0  # push sessions are adopted by whoever receives their frames


def test_known_video_segment_is_found_by_the_rolling_vpdq_window(db, stream_env):
    from firstlight.signals import vpdq_from_video, vpdq_to_signal_str

    video = make_video(seconds=6, fps=10, gop_seconds=1, fmt="mpegts")
    frames = vpdq_from_video(video, seconds_per_hash=0)
    with db.begin() as s:
        banks.create_bank(s, "videos", "block")
        entry = banks.add_to_bank(s, "videos", ("vpdq", vpdq_to_signal_str(frames)), source="test")
        start_stream(s, {"stream_id": "vid", "streamer_account": "ivan"}, prior_tier="T1")
    push_media(db, "vid", video, offset_seconds=0.0)
    assert stream_env.wait_closed("vid", 30)
    with db.session() as s:
        row = s.scalar(select(StreamSessionRow).where(StreamSessionRow.stream_id == "vid"))
        esc = s.scalars(select(StreamEscalationRow).where(StreamEscalationRow.session_id == row.id)
                        .order_by(StreamEscalationRow.id)).all()[-1]
    assert row.status == "actioned" and esc.rule == "known_segment"
    seg = esc.explanation["signals"][0]["details"]
    assert seg["entry_id"] == entry.id and seg["signal_type"] == "vpdq"
    assert seg["query_match_percent"] >= 80 and seg["distinct_video_frames"] >= 3
