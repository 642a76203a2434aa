"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from firstlight.store import Database, is_current, upgrade
from firstlight.store.models import metadata


def test_migrated_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], f"models and migrations disagree: {differences}"


def test_database_reports_current_after_upgrade(db: Database) -> None:
    assert is_current(db)


def test_fresh_database_is_not_current_until_upgraded(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    assert not is_current(database)
    upgrade(database)
    assert is_current(database)
    upgrade(database)  # running it again changes nothing
    assert is_current(database)


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if not db.is_sqlite:
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
