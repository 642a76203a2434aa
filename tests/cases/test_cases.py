from datetime import timedelta

import pytest
from sqlalchemy import select

from firstlight import banks
from firstlight.audit import AuditEntry
from firstlight.cases import (
    NewCaseItem,
    case_items,
    claim,
    decide_case,
    get_case,
    open_or_update_case,
    priority_score,
    queue,
)
from firstlight.errors import Conflict, Invalid
from firstlight.reports import ReportTask
from firstlight.store import utcnow


def _item(event_id="e1", severity=3, likelihood=1.0, reach=1000, signals=None, **kw) -> NewCaseItem:
    return NewCaseItem(outcome="act", content_id=f"c-{event_id}", event_id=event_id, severity=severity,
                       likelihood=likelihood, reach=reach, rule="csam-block-bank-strong-match",
                       signals=signals or [], explanation={"reason": "test"}, **kw)


def _open(db, account="acct-1", **kw) -> int:
    with db.begin() as s:
        return open_or_update_case(s, subject_account=account, item=_item(**kw)).id


def test_one_case_per_subject_collects_all_items_idempotently(db):
    first = _open(db, event_id="e1")
    second = _open(db, event_id="e2", severity=2)
    again = _open(db, event_id="e2", severity=2)
    other = _open(db, account="acct-2", event_id="e3")
    assert first == second == again != other
    with db.session() as s:
        case = get_case(s, first)
        assert case.item_count == 2 and case.severity == 3
        assert [i.event_id for i in case_items(s, first)] == ["e1", "e2"]


def test_queue_orders_by_severity_then_likelihood_then_reach(db):
    low = _open(db, account="low", severity=1, likelihood=0.6, reach=1)
    wide = _open(db, account="wide", severity=2, likelihood=0.6, reach=1_000_000)
    narrow = _open(db, account="narrow", severity=2, likelihood=0.6, reach=1)
    sure = _open(db, account="sure", severity=2, likelihood=1.0, reach=1)
    severe = _open(db, account="severe", severity=3, likelihood=0.5, reach=1)
    with db.session() as s:
        assert [c.id for c in queue(s)] == [severe, wide, sure, narrow, low]


def test_priority_puts_harm_to_children_and_escalation_first():
    base = dict(severity=2, likelihood=0.5, reach=10)
    assert priority_score(harm_to_children=True, **base) > priority_score(harm_to_children=False, **base)
    assert (priority_score(harm_to_children=False, escalated=True, **base)
            > priority_score(harm_to_children=True, severity=3, likelihood=1, reach=10**6))


def test_claim_is_exclusive_until_it_expires(db):
    case_id = _open(db)
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
    with pytest.raises(Conflict, match="claimed by alice"), db.begin() as s:
        claim(s, case_id, reviewer="bob")
    with db.begin() as s:
        taken = claim(s, case_id, reviewer="bob", now=utcnow() + timedelta(minutes=31))
        assert taken.claimed_by == "bob"


def test_deciding_needs_a_claim(db):
    case_id = _open(db)
    with pytest.raises(Conflict, match="claim"), db.begin() as s:
        decide_case(s, case_id, reviewer="alice", decision="confirm", category="A")


def test_confirm_needs_a_category_and_opens_a_report_task(db):
    case_id = _open(db)
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
    with pytest.raises(Invalid, match="category"), db.begin() as s:
        decide_case(s, case_id, reviewer="alice", decision="confirm")
    with db.begin() as s:
        result = decide_case(s, case_id, reviewer="alice", decision="confirm", category="B1",
                             report_priority="P1", note="clear match")
        assert result.report_task_id is not None
    with db.session() as s:
        case = get_case(s, case_id)
        assert case.status == "confirmed" and case.category == "B1" and case.decided_by == "alice"
        task = s.get(ReportTask, result.report_task_id)
        assert task.case_id == case_id and task.priority == "P1"
        actions = [e.action for e in s.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "case").order_by(AuditEntry.seq))]
        assert actions == ["case.open", "case.claim", "case.confirm"]


def test_false_positive_adds_hashes_to_the_allow_bank(db):
    pdq = "f" * 64
    case_id = _open(db, signals=[{"signal_type": "pdq", "value": pdq, "quality": 100},
                                 {"signal_type": "md5", "value": "a" * 32}])
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
        result = decide_case(s, case_id, reviewer="alice", decision="false_positive")
    assert f"pdq:{pdq}" in result.allow_listed
    with db.session() as s:
        assert banks.get_bank(s, "allow").kind == "allow"
        report = banks.match_signals(s, banks.signals_from_pairs([("pdq", pdq)]))
        assert [m.bank_kind for m in report.matches] == ["allow"]
        assert get_case(s, case_id).status == "false_positive"


def test_escalation_drops_the_claim_and_jumps_the_queue(db):
    urgent = _open(db, account="a", severity=3, likelihood=1.0)
    minor = _open(db, account="b", severity=1, likelihood=0.5)
    with db.begin() as s:
        claim(s, minor, reviewer="alice")
        decide_case(s, minor, reviewer="alice", decision="escalate", note="needs a senior view")
    with db.session() as s:
        case = get_case(s, minor)
        assert case.status == "escalated" and case.claimed_by is None
        assert [c.id for c in queue(s)] == [minor, urgent]


def test_a_decided_case_cannot_be_claimed_and_new_items_open_a_new_case(db):
    case_id = _open(db, event_id="e1")
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
        decide_case(s, case_id, reviewer="alice", decision="confirm", category="A")
    with pytest.raises(Conflict, match="decided"), db.begin() as s:
        claim(s, case_id, reviewer="bob")
    assert _open(db, event_id="e9") != case_id


def test_confirming_a_review_case_blocks_and_restricts_through_the_outbox(db):
    from firstlight.decide import list_actions

    with db.begin() as s:
        case_id = open_or_update_case(s, subject_account="acct-9", item=NewCaseItem(
            outcome="review", content_id="post-9", event_id="e9", surface="public", severity=2,
            likelihood=0.6, rule="csam-block-bank-weak-match")).id
        claim(s, case_id, reviewer="alice")
        result = decide_case(s, case_id, reviewer="alice", decision="confirm", category="C")
    assert set(result.actions) == {f"fl:case{case_id}:item1:block_content",
                                   f"fl:case{case_id}:restrict_account"}
    with db.session() as s:
        actions = {a.kind: a for a in list_actions(s)}
        assert actions["block_content"].target == {"content_id": "post-9", "account_id": "acct-9",
                                                   "surface": "public"}
        assert "confirmed CSEA" in actions["block_content"].explanation["reason"]
        assert actions["restrict_account"].target == {"account_id": "acct-9"}


def test_false_positive_on_an_acted_case_restores_content_and_lifts_restriction(db):
    from firstlight.decide import list_actions

    case_id = _open(db, account="acct-fp")
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
        decide_case(s, case_id, reviewer="alice", decision="false_positive")
    with db.session() as s:
        assert sorted(a.kind for a in list_actions(s)) == ["lift_restriction", "restore_content"]


def test_confirming_an_acted_case_sends_no_second_block(db):
    from firstlight.decide import list_actions

    case_id = _open(db, account="acct-act")
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
        assert decide_case(s, case_id, reviewer="alice", decision="confirm", category="A").actions == ()
    with db.session() as s:
        assert list_actions(s) == []


def test_false_positive_cancels_the_report_task_the_pipeline_opened(db):
    from firstlight.reports import list_report_tasks, open_report_task, overdue

    case_id = _open(db)
    with db.begin() as s:
        task = open_report_task(s, case_id=case_id, priority="P1", reason="strong bank match")
        claim(s, case_id, reviewer="alice")
        decide_case(s, case_id, reviewer="alice", decision="false_positive")
    with db.session() as s:
        [stored] = list_report_tasks(s, case_id=case_id)
        assert stored.id == task.id and stored.status == "cancelled"
        assert overdue(s, utcnow() + timedelta(days=1)) == []


def test_confirming_a_case_expands_risk_to_accounts_linked_by_payments(db):
    from firstlight.detect import get_risk_config
    from firstlight.detect.handlers import scorer_for
    from firstlight.detect.ledger import record_payment

    with db.begin() as s:
        record_payment(s, payment_id="pay-1", payer="buyer-1", payee="acct-1", amount=20,
                       currency="AUD", at=utcnow() - timedelta(days=1),
                       scorer=scorer_for(get_risk_config()))
    case_id = _open(db, account="acct-1")
    with db.begin() as s:
        claim(s, case_id, reviewer="alice")
        decide_case(s, case_id, reviewer="alice", decision="confirm", category="A")
    with db.session() as s:
        confirm = s.scalar(select(AuditEntry).where(AuditEntry.action == "case.confirm"))
        assert confirm.details["linked_accounts"] == ["buyer-1"]
