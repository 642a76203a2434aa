"""``firstlight measure …``: tables, JSON, plots, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from firstlight import cli


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["firstlight", "measure", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def _png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_prevalence_table_json_and_plot(monkeypatch, capsys, tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_text("violating\n" + "0\n" * 4998 + "1\n" * 2)
    code, out, _ = run(monkeypatch, capsys, "prevalence", sample, "--plot", tmp_path / "p.png")
    assert code == 0 and "per 10,000" in out and _png(tmp_path / "p.png")
    code, out, _ = run(monkeypatch, capsys, "prevalence", sample, "--json", "--method", "clopper-pearson")
    data = json.loads(out)
    assert data["positives"] == 2 and data["method"] == "clopper-pearson"
    assert data["statement"].startswith("4 per 10,000")


def test_prevalence_with_gold_set(monkeypatch, capsys, tmp_path: Path) -> None:
    sample = tmp_path / "s.csv"
    sample.write_text("violating,stratum,weight\n" + "1,high,2\n0,high,2\n" * 20 + "0,low,50\n" * 40)
    gold = tmp_path / "g.csv"
    gold.write_text("truth,label\n" + "1,1\n" * 19 + "1,0\n" + "0,0\n" * 20)
    code, out, _ = run(monkeypatch, capsys, "prevalence", sample, "--gold", gold, "--json")
    data = json.loads(out)
    assert code == 0 and data["correction"]["sensitivity"] == 0.95 and data["design"] == "stratified+weighted"


def test_mse_on_the_uk_lists(monkeypatch, capsys, measurement_dir: Path, tmp_path: Path) -> None:
    code, out, _ = run(monkeypatch, capsys, "mse", measurement_dir / "mse/UKdat.csv", "--json")
    data = json.loads(out)
    assert code == 0 and round(data["estimate"]) == 11418
    assert [round(data["profile"]["lower"]), round(data["profile"]["upper"])] == [9982, 13182]
    code, out, _ = run(
        monkeypatch,
        capsys,
        "mse",
        measurement_dir / "mse/NewOrl_5.csv",
        "--nboot",
        "20",
        "--plot",
        tmp_path / "m.png",
    )
    assert code == 0 and "BCa bootstrap" in out and _png(tmp_path / "m.png")


def test_nsum_with_known_groups(monkeypatch, capsys, measurement_dir: Path, tmp_path: Path) -> None:
    code, out, _ = run(
        monkeypatch,
        capsys,
        "nsum",
        measurement_dir / "nsum/networkscaleup_example_ard.csv",
        "--known",
        "V1=136961",
        "--known",
        "V2=56322",
        "--known",
        "V4=69238",
        "--total",
        "1e6",
        "--plot",
        tmp_path / "n.png",
    )
    assert code == 0 and "34,976.6" in out and "20,042.8" in out and _png(tmp_path / "n.png")


def test_impact_before_after(monkeypatch, capsys, tmp_path: Path) -> None:
    data = tmp_path / "waves.csv"
    lines = ["wave,y,cluster"]
    for venue in range(10):
        lines += [f"before,{int(i < 3)},v{venue}" for i in range(10)]
        lines += [f"after,{int(i < 1)},v{venue}" for i in range(10)]
    data.write_text("\n".join(lines) + "\n")
    code, out, _ = run(monkeypatch, capsys, "impact", data, "--nboot", "200", "--plot", tmp_path / "i.png")
    assert code == 0 and "66.7%" in out and "no comparison area" in out and _png(tmp_path / "i.png")


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "no such file"),
        ("", "empty file"),
        ("violating\n", "no rows"),
        ("violating,weight\n1,2,3\n", "line 2 has 3 fields"),
        ("violating\nmaybe\n", "must be 1/0"),
        ("violating,\n1,2\n", "column 2 of the header has no name"),
        (b"\xff\xfe\x00", "not a UTF-8"),
    ],
)
def test_bad_files_give_one_line_and_exit_code_2(
    monkeypatch, capsys, tmp_path: Path, content, message
) -> None:
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, out, err = run(monkeypatch, capsys, "prevalence", path)
    text = " ".join(err.split())  # rich wraps the one message at the terminal width
    assert code == 2 and text.startswith("error: ") and text.count("error:") == 1
    assert message in text and "Traceback" not in err


def test_bad_options_give_exit_code_2(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "lists.csv"
    path.write_text("A,B,count\n1,0,30\n0,1,20\n1,1,10\n")
    code, _, err = run(monkeypatch, capsys, "mse", path, "--method", "fixed", "--terms", "A:Q")
    assert code == 2 and "must name two lists" in err
    code, _, err = run(monkeypatch, capsys, "nsum", path, "--known", "A", "--total", "100")
    assert code == 2 and "NAME=SIZE" in err
    code, _, err = run(monkeypatch, capsys, "prevalence", path, "--plot", tmp_path)
    assert code == 2
