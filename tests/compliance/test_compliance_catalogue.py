"""The Codes measures data file and its expression language."""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path

import pytest
import yaml

import firstlight.compliance as compliance
from firstlight.compliance import CSEA_HARMS, RiskLevel, load_catalogue, load_risk_profiles
from firstlight.compliance._expr import UNKNOWN, ExpressionError, compile_expression, evaluate
from firstlight.compliance.catalogue import CONFIDENCE_TAGS, ENV_NAMES
from firstlight.compliance.measures import EVIDENCE, STATEMENT
from firstlight.errors import Invalid

HARMS = frozenset(load_risk_profiles().harms)


def test_the_catalogue_covers_icu_a_to_j_with_source_date_and_confidence() -> None:
    catalogue = load_catalogue()
    assert catalogue.version and len(catalogue.sha256) == 64
    groups = {m.id.split(".")[1][0] for m in catalogue.measures}
    assert groups == {"A", "C", "D", "E", "F", "G", "H", "J"}  # the ICU Codes have no B or I measures
    for measure in catalogue.measures:
        assert measure.source and all(key in catalogue.sources for key in measure.source), measure.id
        assert isinstance(measure.date, date) and measure.confidence in CONFIDENCE_TAGS
        assert set(measure.evidence) <= set(EVIDENCE) | {STATEMENT}, measure.id


@pytest.mark.parametrize("measure_id", ["ICU.C9", "ICU.C10", "ICU.F1", "ICU.F2"])
def test_the_csea_measures_are_in_full_with_their_text_and_its_confidence(measure_id) -> None:
    measure = load_catalogue().get(measure_id)
    assert measure.text, "C9, C10, F1 and F2 carry the wording the research found"
    assert all(part.confidence in CONFIDENCE_TAGS for part in measure.text)
    assert any(part.confidence in {"M", "U"} for part in measure.text) or measure_id == "ICU.C9"
    if measure_id == "ICU.C9":
        (quoted,) = [part for part in measure.text if part.quoted]
        assert (
            quoted.part == "C9.1" and "more than 700,000 monthly active United Kingdom users" in quoted.text
        )


def test_laid_measures_are_not_yet_required() -> None:
    c15 = load_catalogue().get("ICU.C15")
    assert c15.status == "laid" and not c15.in_force_on(date(2026, 11, 1))
    c14 = load_catalogue().get("ICU.C14")
    assert not c14.in_force_on(date(2026, 9, 1)) and c14.in_force_on(date(2026, 10, 1))


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('true')",
        "risk.__class__",
        "open('x')",
        "large + 1",
        "[x for x in functionalities]",
        "risk['not_a_harm'] == 'high'",
        "unknown_name",
        "lambda: 1",
    ],
)
def test_the_expression_language_refuses_anything_but_conditions(source) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source, names=ENV_NAMES, harms=HARMS)


def test_expressions_are_three_valued_over_unassessed_harms() -> None:
    tree = compile_expression("large or risk['hate'] >= 'medium'", names=ENV_NAMES, harms=HARMS)
    assert evaluate(tree, {"large": True}, {"hate": None}).verdict is True
    assert evaluate(tree, {"large": False}, {"hate": None}).value is UNKNOWN
    assert evaluate(tree, {"large": False}, {"hate": RiskLevel.LOW}).verdict is False
    both = compile_expression("large and risk['hate'] == 'high'", names=ENV_NAMES, harms=HARMS)
    assert evaluate(both, {"large": False}, {"hate": None}).verdict is False


def test_a_broken_catalogue_is_refused_with_the_measure_named(tmp_path: Path) -> None:
    data = yaml.safe_load(Path(compliance.__file__).with_name("data").joinpath("measures.yaml").read_text())
    data["measures"][0]["applies_if"] = "large and os.system"
    broken = tmp_path / "measures.yaml"
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(Invalid, match="ICU.A1"):
        load_catalogue(broken)


def test_levels_order_like_ofcoms_scale() -> None:
    assert RiskLevel.NEGLIGIBLE < RiskLevel.LOW < "medium" < RiskLevel.HIGH
    assert RiskLevel.parse(" High ") == "high" and str(RiskLevel.MEDIUM) == "medium"
    assert len(CSEA_HARMS) == 3


def test_the_public_interface_is_exported() -> None:
    assert all(hasattr(compliance, name) for name in compliance.__all__)
    public = {
        name
        for name, value in vars(compliance).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(compliance.__all__)
