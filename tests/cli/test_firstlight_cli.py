"""The command line: one clear line and an exit code on errors, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from firstlight.audit import AuditEntry
from firstlight.store import Database


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FIRSTLIGHT_DATA_DIR": str(data_dir)}
    env.pop("FIRSTLIGHT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from firstlight.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_version_and_key_creation(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "version").stdout.startswith("firstlight ")
    created = run_cli(tmp_path, "keys", "create", "--scope", "events:write", "--name", "platform")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("fl_")
    listed = run_cli(tmp_path, "keys", "list")
    assert "platform" in listed.stdout and "events:write" in listed.stdout


def test_bad_scope_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "keys", "create", "--scope", "everything")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown scope(s): everything"
    assert "Traceback" not in result.stderr


def test_audit_verify_detects_tampering(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        run_cli(tmp_path, "keys", "create", "--scope", "hash:read", "--name", name)
    assert run_cli(tmp_path, "audit", "verify").returncode == 0
    database = Database(f"sqlite:///{tmp_path / 'firstlight.db'}")
    with database.begin() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == 2).values(details={"name": "forged"})
        )
    database.dispose()
    result = run_cli(tmp_path, "audit", "verify")
    assert result.returncode == 1
    assert "TAMPERED: entry 2" in result.stderr


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    env_url = "postgresql://nobody@127.0.0.1:1/none"
    result = subprocess.run(
        [sys.executable, "-c", "from firstlight.cli import main; main()", "db", "upgrade"],
        capture_output=True,
        text=True,
        env={**os.environ, "FIRSTLIGHT_DATABASE_URL": env_url},
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.startswith("error: OperationalError")
    assert "Traceback" not in result.stderr
