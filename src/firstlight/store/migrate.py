"""Alembic from code: `upgrade heads` (one branch per room) and a check that a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from firstlight.store.db import Database

__all__ = ["alembic_config", "current_heads", "expected_heads", "is_current", "upgrade"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.attributes["database"] = database
    return config


def upgrade(database: Database, target: str = "heads") -> None:
    """Bring the database to the newest revision of every room's branch."""
    command.upgrade(alembic_config(database), target)


def expected_heads(database: Database) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database)).get_heads())


def current_heads(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def is_current(database: Database) -> bool:
    """True when every branch is at its head (what ``/readyz`` and ``serve`` check)."""
    return current_heads(database) == expected_heads(database)
