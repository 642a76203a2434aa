"""Shared fixtures: the ``../shared`` folder, settings in a temp folder, a migrated database on SQLite and
(when ``FIRSTLIGHT_TEST_DATABASE_URL`` is set) PostgreSQL, an API client and API keys.

PostgreSQL is a shared server that keeps state between runs, so each test session migrates a fresh schema
of its own (dropped at the end) and each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from firstlight.config import Settings
from firstlight.store import Database, normalise_url, upgrade
from firstlight.store.models import metadata

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_URL_ENV = "FIRSTLIGHT_TEST_DATABASE_URL"


def shared_path() -> Path | None:
    """``../shared`` beside the repository (or ``FIRSTLIGHT_SHARED_DIR``), if it exists."""
    candidate = Path(os.environ.get("FIRSTLIGHT_SHARED_DIR", REPO_ROOT.parent / "shared"))
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = shared_path()
    if path is None:
        pytest.skip("../shared is absent (a fresh clone has no shared test data)")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data_dir = tmp_path / "firstlight-data"
    data_dir.mkdir()
    return Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'firstlight.db'}")


# --- databases --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[tuple[str, str]]:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set: PostgreSQL tests skipped")
    schema = f"fl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(url, schema=schema)
    upgrade(database)
    database.dispose()
    yield url, schema
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_all(database: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with database.engine.begin() as connection:
        if names:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite, then PostgreSQL when configured."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "firstlight.db"
        shutil.copyfile(template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    url, schema = request.getfixturevalue("_pg_schema")
    database = Database(url, schema=schema)
    _truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """Only SQLite, for tests whose subject is not the database."""
    path = tmp_path / "firstlight.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


# --- API --------------------------------------------------------------------------------------------------


@pytest.fixture
def app_client(db: Database, settings: Settings) -> Iterator:
    from fastapi.testclient import TestClient

    from firstlight.api import create_app

    with TestClient(create_app(settings, db=db)) as client:
        yield client


@pytest.fixture
def make_key(db: Database) -> Callable[..., dict[str, str]]:
    """``make_key("events:write")`` → request headers carrying a fresh key with those scopes."""
    from firstlight.auth import create_key

    def make(*scopes: str, name: str = "test") -> dict[str, str]:
        with db.begin() as session:
            created = create_key(session, name=name, scopes=scopes, actor="test")
        return {"Authorization": f"Bearer {created.token}"}

    return make
