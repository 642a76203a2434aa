"""``gather_activity`` from real rows of the other rooms, and "no evidence" when a room is missing."""

from __future__ import annotations

import sys
from datetime import timedelta

from firstlight.compliance import gather_activity, parse_profile, run_check, save_profile
from firstlight.events import EventEnvelope, accept
from firstlight.store import Database
from firstlight.store.db import utcnow

BENIGN_PDQ = "f" * 64  # a stand-in hash; no media is involved


def _confirmed_case_with_open_report_task(db: Database) -> int:
    """The pipeline's path: a block-bank match opens a case; a reviewer confirms it (zero threshold)."""
    from firstlight.banks import add_to_bank, create_bank
    from firstlight.cases import NewCaseItem, claim, decide_case, open_or_update_case

    with db.begin() as session:
        create_bank(session, "iwf-csam", "block")
        add_to_bank(session, "iwf-csam", ("pdq", BENIGN_PDQ), source="IWF", category_iwf="A")
        case = open_or_update_case(
            session,
            subject_account="viewer-uk-1",
            item=NewCaseItem(
                outcome="act",
                content_id="clip-1",
                event_id="evt-1",
                source="upload",
                surface="public",
                explanation={
                    "rule": "block_bank_strong",
                    "fired_on": [
                        {
                            "kind": "bank_match",
                            "signal_type": "pdq",
                            "bank_name": "iwf-csam",
                            "entry_id": 1,
                            "distance": 0,
                        }
                    ],
                },
                context={"victim_country": "PH"},
            ),
        )
        claim(session, case.id, reviewer="rev-1")
        decide_case(session, case.id, reviewer="rev-1", decision="confirm", category="A")
        return case.id


def _events(db: Database) -> None:
    for envelope in (
        {
            "id": "acct-1",
            "type": "account",
            "payload": {"account_id": "viewer-uk-1", "country": "GB", "age_band": "18+"},
        },
        {
            "id": "rep-1",
            "type": "user.report",
            "payload": {
                "report_id": "r1",
                "subject_account": "other-9",
                "reason": "child sexual abuse in a stream",
            },
        },
        {"id": "rep-2", "type": "user.report", "payload": {"report_id": "r2", "reason": "spam"}},
    ):
        accept(db, EventEnvelope.model_validate(envelope))


def _delivered_takedown(db: Database, case_id: int) -> None:
    from firstlight.decide import enqueue_action

    with db.begin() as session:
        action = enqueue_action(
            session,
            kind="block_content",
            target={"content_id": "clip-1"},
            explanation={"rule": "block_bank_strong"},
            event_id="evt-1",
            idempotency_key="evt-1:block_content",
            case_id=case_id,
            accepted_at=utcnow() - timedelta(seconds=3),
        )
        action.status, action.delivered_at, action.time_to_action_ms = "delivered", utcnow(), 2500


def test_a_snapshot_from_real_rows_and_the_check_flags_the_unreported_case(db, settings, kite_live) -> None:
    case_id = _confirmed_case_with_open_report_task(db)
    _events(db)
    _delivered_takedown(db, case_id)
    with db.session() as session:
        snap = gather_activity(session, settings)
    assert snap.available == {"actions": True, "banks": True, "cases": True, "events": True, "reports": True}
    (case,) = snap.confirmed_cases
    assert (case.case_id, case.harm, case.detected_by) == (case_id, "csea.image_csam", "hash_match")
    assert (case.account_country, case.victim_countries) == ("GB", ["PH"])
    assert (case.reported, case.report_task_status) == (False, "open")
    assert snap.detections_for("csea.image_csam", proactive=True) == 1
    assert snap.user_reports == {"csea.image_csam": 1, "other": 1}
    assert snap.pending_review == {"csea.image_csam": 1}  # the reported account has no case yet
    assert snap.config.hash_matching_on is True
    (bank,) = snap.config.banks
    assert (bank.kind, bank.entries, bank.sources, bank.signal_types) == ("block", 1, ["IWF"], ["pdq"])
    (takedown,) = snap.actions
    assert (takedown.kind, takedown.delivered, takedown.seconds) == ("block_content", 1, [2.5])
    assert snap.accounts_by_country == {"GB": 1} and snap.age_signals == 1

    with db.begin() as session:
        save_profile(session, parse_profile(kite_live()), author="dpo")
    with db.session() as session:
        pending = run_check(session, settings)
    # Just confirmed: the report task is open and within its timeframe, so the check warns …
    assert [f.subject for f in pending.findings if f.code == "csea_report_pending"] == [f"case {case_id}"]
    # … and once the timeframe has passed with nothing delivered, it fails.
    from firstlight.reports.models import ReportTask

    with db.begin() as session:
        session.query(ReportTask).update({ReportTask.due_at: utcnow() - timedelta(minutes=1)})
    with db.session() as session:
        result = run_check(session, settings)
    unreported = [f for f in result.failures if f.code == "csea_unreported"]
    assert [f.subject for f in unreported] == [f"case {case_id}"]
    assert "report_overdue" in {f.code for f in result.failures}


def test_a_finished_ncmec_report_counts_as_reported(db, settings) -> None:
    from firstlight.reports import list_report_tasks
    from firstlight.reports.models import Submission

    case_id = _confirmed_case_with_open_report_task(db)
    with db.begin() as session:
        (task,) = list_report_tasks(session)
        session.add(
            Submission(
                task_id=task.id,
                destination="ncmec",
                state="finished",
                created_at=utcnow(),
                finished_at=utcnow(),
            )
        )
    with db.session() as session:
        snap = gather_activity(session, settings)
    (case,) = snap.confirmed_cases
    assert (case.case_id, case.reported_to) == (case_id, ["NCMEC"])
    (row,) = snap.reports
    assert (row.destination, row.priority, row.count, row.delivered) == ("NCMEC", "P2", 1, 1)


def test_a_missing_room_is_no_evidence_not_a_crash(tmp_path, settings, monkeypatch) -> None:
    from firstlight.store.models import metadata

    bare = Database(f"sqlite:///{tmp_path / 'bare.db'}")
    metadata.create_all(bare.engine, tables=[metadata.tables["events"], metadata.tables["audit_log"]])
    monkeypatch.setitem(sys.modules, "firstlight.banks.models", None)  # the banks room not installed
    with bare.session() as session:
        snap = gather_activity(session, settings)
    assert snap.available == {
        "actions": False,
        "banks": False,
        "cases": False,
        "events": True,
        "reports": False,
    }
    assert snap.config.hash_matching_on is None and snap.confirmed_cases == []
    bare.dispose()


def test_an_import_error_in_a_room_marks_it_unavailable(db, settings, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "firstlight.banks.models", None)
    with db.session() as session:
        snap = gather_activity(session, settings)
    assert snap.available["banks"] is False and snap.available["cases"] is True
