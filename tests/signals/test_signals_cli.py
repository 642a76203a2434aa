"""``firstlight hash FILE… [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from firstlight.cli import app

runner = CliRunner()


def test_hash_prints_json_for_each_file(shared_dir: Path) -> None:
    photo = shared_dir / "data/threatexchange/python-threatexchange/data/sample-b.jpg"
    result = runner.invoke(app, ["hash", str(photo), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert entry["file"] == str(photo)
    signals = {s["signal_type"]: s for s in entry["signals"]}
    assert signals["pdq"]["value"] == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    assert signals["pdq"]["quality"] == 100
    assert signals["md5"]["value"] == "d35c785545392755e7e4164457657269"


def test_bad_file_is_reported_and_others_still_hashed(tmp_path: Path) -> None:
    good = tmp_path / "notes.txt"
    good.write_text("hello")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    result = runner.invoke(app, ["hash", str(good), str(broken), str(tmp_path / "absent.jpg"), "--json"])
    assert result.exit_code == 2
    entries = json.loads(result.stdout)
    assert [e["file"] for e in entries] == [str(good), str(broken), str(tmp_path / "absent.jpg")]
    assert entries[0]["signals"][0]["signal_type"] == "md5"
    assert entries[1]["error"]["code"] == "corrupt_media"
    assert "cannot read" in entries[2]["error"]["message"]


def test_table_output_and_one_line_errors(tmp_path: Path) -> None:
    good = tmp_path / "notes.txt"
    good.write_text("hello")
    result = runner.invoke(app, ["hash", str(good), str(tmp_path / "absent.jpg")])
    assert result.exit_code == 2
    assert "sha256" in result.stdout
    assert "Traceback" not in result.output
