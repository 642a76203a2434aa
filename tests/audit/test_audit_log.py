"""The audit log is a hash chain: appends link, and any edit, deletion or reorder is found."""

from sqlalchemy import delete, select, update

from firstlight.audit import GENESIS_HASH, AuditEntry, record, verify
from firstlight.store import Database


def _append(db: Database, n: int) -> None:
    with db.begin() as session:
        for i in range(n):
            record(
                session,
                actor="reviewer:alice",
                action="case.claim",
                object_type="case",
                object_id=i,
                details={"n": i, "reason": "queue order"},
            )


def test_entries_chain_from_genesis(db: Database) -> None:
    _append(db, 3)
    with db.session() as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert [r.seq for r in rows] == [1, 2, 3]
        assert rows[0].prev_hash == GENESIS_HASH
        assert rows[1].prev_hash == rows[0].entry_hash
        assert verify(session).ok
        assert verify(session).checked == 3


def test_edited_entry_is_detected(db: Database) -> None:
    _append(db, 5)
    with db.begin() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone-else"))
    with db.session() as session:
        result = verify(session)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.checked == 2


def test_deleted_entry_is_detected(db: Database) -> None:
    _append(db, 4)
    with db.begin() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    with db.session() as session:
        result = verify(session)
    assert not result.ok and result.first_bad_seq == 3


def test_rehashed_entry_still_breaks_the_next_link(db: Database) -> None:
    """Recomputing a tampered entry's own hash does not help: the next entry points at the old one."""
    from firstlight.audit.log import entry_hash

    _append(db, 3)
    with db.begin() as session:
        row = session.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        row.details = {"n": 1, "reason": "changed"}
        row.entry_hash = entry_hash(
            prev_hash=row.prev_hash, seq=row.seq, at=row.at, actor=row.actor, action=row.action,
            object_type=row.object_type, object_id=row.object_id, details=row.details,
        )
    with db.session() as session:
        result = verify(session)
    assert not result.ok and result.first_bad_seq == 3
