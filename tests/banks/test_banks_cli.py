"""``firstlight bank …``, ``firstlight match`` and ``firstlight scan`` through Typer's CliRunner."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from bankhelpers import make_image, rand_pdq
from typer.testing import CliRunner, Result

from firstlight.errors import FirstlightError


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    from firstlight import config
    from firstlight.cli import app

    monkeypatch.setenv("FIRSTLIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FIRSTLIGHT_DATABASE_URL", raising=False)
    monkeypatch.setenv("FIRSTLIGHT_CONFIG", str(tmp_path / "none.toml"))
    config._cached_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=True)

    yield invoke
    config._cached_settings.cache_clear()


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_bank_create_list_add_export_import(cli, tmp_path: Path) -> None:
    ok(cli("bank", "create", "csam", "--kind", "block", "--pdq-threshold", "20"))
    ok(cli("bank", "create", "fp", "--kind", "allow"))
    listed = json.loads(ok(cli("bank", "list", "--json")).stdout)
    assert [(b["name"], b["kind"], b["thresholds"]["pdq"]) for b in listed] == [
        ("csam", "block", 20),
        ("fp", "allow", 31),
    ]

    pic = tmp_path / "a.jpg"
    pic.write_bytes(make_image(1))
    added = json.loads(ok(cli("bank", "add", "csam", str(pic), "--category-ncmec", "A1", "--json")).stdout)
    assert added[0]["original_id"] == "a.jpg" and added[0]["category_ncmec"] == "A1"
    added = json.loads(ok(cli("bank", "add", "csam", "--hash", "md5:" + "ab" * 16, "--json")).stdout)
    assert added[0]["signals"] == {"md5": "ab" * 16}

    out = tmp_path / "csam.csv"
    ok(cli("bank", "export", "csam", "--format", "csv", "-o", str(out)))
    rows = list(csv.DictReader(out.open()))
    assert {r["signal_type"] for r in rows} == {"pdq", "md5", "sha256"} and rows[0]["tags"] == "A1"

    ok(cli("bank", "create", "copy"))
    result = ok(cli("bank", "import", "copy", str(out), "--format", "csv"))
    assert "added 4" in result.stdout
    assert "added 0, duplicates 4" in ok(cli("bank", "import", "copy", str(out), "--format", "csv")).stdout


def test_import_from_stdin_reports_bad_lines(cli) -> None:
    rnd = random.Random(5)
    ok(cli("bank", "create", "list"))
    text = "".join(f"{rand_pdq(rnd)}\n" for _ in range(3)) + "zz\n"
    result = ok(cli("bank", "import", "list", "-", "--signal-type", "pdq", input=text))
    assert "added 3" in result.stdout and "skipped 1" in result.stdout


def test_errors_are_domain_errors_not_tracebacks(cli) -> None:
    result = cli("bank", "add", "missing", "--hash", "md5:" + "ab" * 16)
    assert result.exit_code != 0 and isinstance(result.exception, FirstlightError)
    assert "no bank named 'missing'" in result.exception.message


def test_match_exit_status_and_json(cli, tmp_path: Path) -> None:
    banked, other = tmp_path / "banked.jpg", tmp_path / "other.jpg"
    banked.write_bytes(make_image(11))
    other.write_bytes(make_image(12))
    ok(cli("bank", "create", "csam"))
    ok(cli("bank", "add", "csam", str(banked)))
    assert cli("match", str(other)).exit_code == 0
    result = cli("match", "--json", str(banked), str(other))
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["blocking"] == 3 and lines[0]["matches"][0]["bank"] == "csam"
    assert lines[1]["verdict"] == "no match"
    missing = cli("match", str(tmp_path / "nope.jpg"))
    assert missing.exit_code == 2


def test_disable_and_enable_entry(cli, tmp_path: Path) -> None:
    ok(cli("bank", "create", "csam"))
    entry = json.loads(ok(cli("bank", "add", "csam", "--hash", "md5:" + "cd" * 16, "--json")).stdout)[0]
    assert "disabled" in ok(cli("bank", "disable", str(entry["id"]), "--reason", "fp")).stdout
    assert "enabled" in ok(cli("bank", "enable", str(entry["id"]))).stdout


def test_exchange_commands(cli, tmp_path: Path) -> None:
    rnd = random.Random(6)
    path = tmp_path / "list.txt"
    path.write_text("".join(f"pdq {rand_pdq(rnd)}\n" for _ in range(4)))
    ok(cli("bank", "exchange", "add", "partner", "--api", "local_file", "--set", f"filename={path}"))
    result = ok(cli("bank", "exchange", "fetch", "partner"))
    assert "added 4" in result.stdout and "up to date" in result.stdout
    assert "partner" in ok(cli("bank", "exchange", "list")).stdout
    path.write_text(path.read_text() + f"pdq {rand_pdq(rnd)}\n")
    assert "added 1" in ok(cli("bank", "exchange", "fetch", "--all")).stdout


def test_index_save_then_status_loads_the_snapshot(cli, tmp_path: Path) -> None:
    rnd = random.Random(7)
    ok(cli("bank", "create", "csam"))
    ok(
        cli(
            "bank",
            "import",
            "csam",
            "-",
            "--signal-type",
            "pdq",
            input="".join(f"{rand_pdq(rnd)}\n" for _ in range(50)),
        )
    )
    assert "saved" in ok(cli("bank", "index", "save")).stdout
    assert list((tmp_path / "data" / "indexes").glob("snapshot-*/pdq.idx"))


def test_scan_writes_matches_and_resumes(cli, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    for i in range(12):
        (tree / ("sub" if i % 2 else "") / f"img{i}.jpg").write_bytes(make_image(100 + i))
    (tree / "notes.txt").write_text("not media")
    ok(cli("bank", "create", "csam"))
    ok(cli("bank", "add", "csam", str(tree / "img0.jpg"), str(tree / "sub" / "img3.jpg")))

    out = tmp_path / "matches.jsonl"
    result = ok(cli("scan", str(tree), "-o", str(out), "--workers", "2"))
    assert "13 files scanned" in result.output and "2 matched" in result.output
    found = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r["path"]).name for r in found) == ["img0.jpg", "img3.jpg"]
    assert all(r["blocking"] >= 1 for r in found)

    # a re-run resumes: nothing is scanned twice and nothing is written twice
    result = ok(cli("scan", str(tree), "-o", str(out)))
    assert "0 files scanned (13 done earlier)" in result.output
    assert len(out.read_text().splitlines()) == 2

    # interrupted after some files: the state file lists what is done; the rest is scanned
    state = Path(str(out) + ".state")
    done = state.read_text().splitlines()
    state.write_text("\n".join(done[:5]) + "\n")
    result = ok(cli("scan", str(tree), "-o", str(out)))
    assert "8 files scanned (5 done earlier)" in result.output
    assert len(out.read_text().splitlines()) == 2  # already-reported matches are not repeated


def test_scan_csv_output(cli, tmp_path: Path) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "a.jpg").write_bytes(make_image(1))
    (tree / "b.jpg").write_bytes(make_image(2))
    ok(cli("bank", "create", "csam"))
    ok(cli("bank", "add", "csam", str(tree / "a.jpg")))
    out = tmp_path / "m.csv"
    ok(cli("scan", str(tree), "-o", str(out), "--all"))
    rows = list(csv.DictReader(out.open()))
    matched = [r for r in rows if r["bank"]]
    assert {r["signal_type"] for r in matched} == {"pdq", "md5", "sha256"}
    assert {Path(r["path"]).name for r in rows} == {"a.jpg", "b.jpg"}


def test_scan_of_a_missing_folder_is_an_error(cli, tmp_path: Path) -> None:
    result = cli("scan", str(tmp_path / "nope"))
    assert isinstance(result.exception, FirstlightError)
