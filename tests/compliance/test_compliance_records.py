"""OSA s.23 records: immutable versions, hash-chained, with review dates, history and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from firstlight.audit import AuditEntry
from firstlight.audit import verify as verify_audit
from firstlight.compliance import (
    build_assessment,
    current_profile,
    history,
    parse_profile,
    record_assessment,
    save_profile,
    verify_records,
)
from firstlight.compliance.models import AssessmentRow
from firstlight.errors import Conflict

from .conftest import NOW


def test_each_assessment_is_a_new_immutable_version_with_a_review_date(db, kite_live, snapshot) -> None:
    first = build_assessment(parse_profile(kite_live()), snapshot())
    with db.begin() as session:
        v1 = record_assessment(session, first, author="dpo@kite.example", now=NOW)
        assert (v1.version, v1.trigger, v1.prev_hash) == (1, "initial", "0" * 64)
        assert v1.review_due == NOW + timedelta(days=365)
        assert v1.levels["csea.grooming"] == "medium"
    # The platform adds group chats: a significant change, so the next version says so.
    changed = build_assessment(
        parse_profile(
            kite_live(
                service={
                    "functionalities": ["3a", "4a", "4b", "5a", "5b", "5d"],
                    "network_expansion_prompts": True,
                }
            )
        ),
        snapshot(),
    )
    with db.begin() as session:
        v2 = record_assessment(session, changed, author="dpo@kite.example", now=NOW + timedelta(days=3))
        assert (v2.version, v2.trigger) == (2, "significant_change")
        assert "added User groups or group messaging (4b)" in v2.reason
        assert v2.prev_hash == v1.content_hash
    with db.session() as session:
        entries = history(session)
        assert [e.version for e in entries] == [1, 2]
        assert "csea.grooming: medium → high" in entries[1].level_changes
        assert "ICU.F1: not_applicable → missing" in entries[1].measure_changes
        assert verify_records(session).ok
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "compliance_assessment")
        )
        assert list(actions) == ["compliance.assessment.record"] * 2
        assert verify_audit(session).ok


def test_records_refuse_updates_and_deletes(db, kite_live, snapshot) -> None:
    with db.begin() as session:
        record_assessment(
            session, build_assessment(parse_profile(kite_live()), snapshot()), author="a", now=NOW
        )
    with db.session() as session:
        row = session.scalars(select(AssessmentRow)).one()
        row.author = "someone else"
        with pytest.raises(Conflict, match="immutable"):
            session.flush()
        session.rollback()
        session.delete(session.scalars(select(AssessmentRow)).one())
        with pytest.raises(Conflict, match="immutable"):
            session.flush()


def test_an_edited_record_is_detected(db, kite_live, snapshot) -> None:
    with db.begin() as session:
        for day in range(3):
            record_assessment(
                session,
                build_assessment(parse_profile(kite_live()), snapshot()),
                author="a",
                now=NOW + timedelta(days=day),
            )
    with db.begin() as session:  # behind the ORM's back, as someone with database access could
        session.execute(
            update(AssessmentRow).where(AssessmentRow.version == 2).values(levels={"csea.image_csam": "low"})
        )
    with db.session() as session:
        result = verify_records(session)
    assert (result.ok, result.first_bad_version) == (False, 2)
    assert result.reason == "record content does not match its hash"


def test_a_review_after_the_due_date_is_an_annual_review(db, kite_live, snapshot) -> None:
    document = parse_profile(kite_live())
    with db.begin() as session:
        record_assessment(session, build_assessment(document, snapshot()), author="a", now=NOW)
        again = record_assessment(
            session, build_assessment(document, snapshot()), author="a", now=NOW + timedelta(days=366)
        )
        assert again.trigger == "annual_review"


def test_profile_versions_change_only_when_the_document_does(db, kite_live) -> None:
    document = parse_profile(kite_live())
    with db.begin() as session:
        first, created = save_profile(session, document, author="a")
        same, created_again = save_profile(session, parse_profile(kite_live()), author="b")
        assert (first.version, created, same.version, created_again) == (1, True, 1, False)
        bigger, _ = save_profile(session, parse_profile(kite_live(service={"uk_mau": 90_000})), author="b")
        assert bigger.version == 2
    with db.session() as session:
        row, current = current_profile(session)
        assert (row.version, current.service.uk_mau) == (2, 90_000)
