"""``firstlight cases`` / ``evidence`` / ``actions``: the same services from the command line."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstlight import config
from firstlight.cases import NewCaseItem, open_or_update_case
from firstlight.errors import FirstlightError
from firstlight.evidence import Vault, preserve
from firstlight.store import Database, upgrade


@pytest.fixture
def cli(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("FIRSTLIGHT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FIRSTLIGHT_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    config._cached_settings.cache_clear()
    from firstlight.cli import app

    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    config._cached_settings.cache_clear()


def test_review_from_the_command_line(tmp_path: Path, cli) -> None:
    db = Database(f"sqlite:///{tmp_path / 'firstlight.db'}")
    upgrade(db)
    with db.begin() as s:
        item = preserve(s, Vault.local(tmp_path / "vault"), b"\x89PNG not really", metadata={},
                        retention_days=1)
        case_id = open_or_update_case(s, subject_account="acct-cli", item=NewCaseItem(
            outcome="review", content_id="c", event_id="e", evidence_id=item.id, severity=2)).id
    db.dispose()
    assert "acct-cli" in cli("cases", "queue").stdout
    undecided = cli("cases", "decide", str(case_id), "confirm", "-r", "bob")
    assert isinstance(undecided.exception, FirstlightError) and "claim" in str(undecided.exception)
    assert cli("cases", "claim", str(case_id), "-r", "bob").exit_code == 0
    done = cli("cases", "decide", str(case_id), "confirm", "-r", "bob", "--category", "A")
    assert done.exit_code == 0 and "confirmed, report task" in done.stdout
    assert cli("evidence", "hold", str(item.id), "--reason", "order 1", "--actor", "ann").exit_code == 0
    shown = cli("evidence", "show", str(item.id)).stdout
    assert '"legal_hold": true' in shown and '"hold"' in shown
    assert "chain intact" in cli("evidence", "verify").stdout
    assert "csam-block-bank-strong-match" in cli("actions", "policy").stdout
    bad = cli("actions", "policy", str(tmp_path / "missing.toml"))
    assert isinstance(bad.exception, FirstlightError) and "cannot read policy" in str(bad.exception)
