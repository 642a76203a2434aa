"""The synthetic scenario generator and the evaluation harness, on a tiny scenario."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

import firstlight.detect.scenarios as scenarios_module
from firstlight.detect.evaluate import evaluate
from firstlight.detect.scenarios import ScenarioParams, generate

TINY = replace(ScenarioParams.quick(seed=3), days=5, benign_viewers=150, benign_streamers=20, offenders=8,
               facilitators=3, benign_private_calls_per_day=6, families=6)


def test_generator_is_reproducible_and_plants_offender_sessions() -> None:
    one, two = generate(TINY), generate(TINY)
    assert [(e.at, e.type) for e in one.events] == [(e.at, e.type) for e in two.events]
    kinds = {s.kind for s in one.sessions.values()}
    assert {"public", "benign_call", "offender_show"} <= kinds
    assert all(s.offender == (s.kind == "offender_show") for s in one.sessions.values())
    assert [e.at for e in one.events] == sorted(e.at for e in one.events)
    assert not (one.offenders | one.facilitators) & one.benign


def test_generator_is_kept_apart_from_the_detector() -> None:
    tree = ast.parse(Path(scenarios_module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("firstlight")}


def test_harness_reports_recall_at_the_benign_budget(tmp_path: Path) -> None:
    report = evaluate(TINY, budget=0.01, workdir=tmp_path)
    [at_budget, at_tier] = report.points
    assert report.offender_sessions > 0
    assert at_budget.benign_accounts_flagged <= 0.01
    assert at_budget.recall >= 0.5  # planted offenders are found ...
    assert 0 <= at_budget.prior_recall <= at_budget.recall  # ... many before the first frame
    assert 0 < at_budget.f_latency <= at_budget.f1 <= 1
    assert at_budget.median_seconds_to_alert is not None and at_budget.median_seconds_to_alert >= 0
    assert at_tier.threshold == pytest.approx(0.6)
    markdown = report.as_markdown()
    assert "F_latency" in markdown and "benign accounts flagged" in markdown
