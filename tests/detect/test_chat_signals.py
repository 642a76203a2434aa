"""Chat categories from operator-loaded term lists and plugged python-threatexchange classifiers.

Sensitive categories are exercised only with placeholder tokens loaded from temporary lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from threatexchange.classifier.classifier import ClassificationInfo, ClassificationResult, Classifier
from threatexchange.content_type.text import TextContent

from firstlight.detect import ChatScorer, TermListClassifier, load_term_lists
from firstlight.detect.termlists import EXAMPLE_TERMLIST_DIR, load_classifier
from firstlight.errors import Invalid


@pytest.fixture
def operator_lists(tmp_path: Path) -> Path:
    (tmp_path / "age_gender_request.txt").write_text("# operator list\nTERM_AGE_REQUEST_1\n")
    (tmp_path / "extra.txt").write_text(
        "# category: directing_acts\nTERM_DIRECTING_1\nsexual_interest_children\tTERM_INTEREST_1\n"
    )
    (tmp_path / "shared.csv").write_text("keyword,label\nTERM_OFFPLATFORM_1,off_platform\n")
    (tmp_path / "lantern.jsonl").write_text(
        json.dumps({"keyword": "TERM_PRICE_1", "category": "price_negotiation"}) + "\n"
        + json.dumps({"category": "payment_confirmation",
                      "and": [{"or": ["term_paid_a", "term_paid_b"]}, {"or": ["term_done"]}],
                      "not": ["term_refund"]}) + "\n"
    )
    return tmp_path


def test_operator_lists_load_from_text_csv_jsonl_and_trend_queries(operator_lists: Path) -> None:
    terms = load_term_lists([operator_lists])
    assert terms.hits("hello term_age_request_1 there") == {"age_gender_request": 1}
    assert terms.hits("TERM_DIRECTING_1 and TERM_INTEREST_1") == {
        "directing_acts": 1, "sexual_interest_children": 1}
    assert terms.hits("ok TERM_OFFPLATFORM_1") == {"off_platform": 1}
    assert terms.hits("TERM_PRICE_1?") == {"price_negotiation": 1}
    assert terms.hits("term_paid_b term_done") == {"payment_confirmation": 1}
    assert terms.hits("term_paid_b term_done term_refund") == {}


def test_matching_ignores_case_and_width_but_respects_word_boundaries() -> None:
    terms = load_term_lists([])
    assert terms.hits("HOW   MUCH for this?") == {"price_negotiation": 1}
    assert terms.hits("ｈｏｗ ｍｕｃｈ") == {"price_negotiation": 1}
    assert terms.hits("somehow muchness") == {}


def test_shipped_examples_hold_only_placeholders_for_sensitive_categories() -> None:
    for name in ("age_gender_request", "directing_acts", "sexual_interest_children"):
        lines = [ln for ln in (EXAMPLE_TERMLIST_DIR / f"{name}.txt").read_text().splitlines()
                 if ln.strip() and not ln.startswith("#")]
        assert lines and all("placeholder" in ln or "example" in ln for ln in lines)


def test_benign_chat_hits_no_category() -> None:
    scorer = ChatScorer(load_term_lists([]))
    for text in ("great stream today!", "see you tomorrow", "what game is this?"):
        assert scorer.score(text) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("term,category\n", None),
        ("word,kind\nx,y\n", "term column"),
        ("[1, 2]", "object"),
        ("{not json", "not JSON"),
    ],
)
def test_bad_lists_are_refused_with_a_reason(tmp_path: Path, content: str, message: str | None) -> None:
    suffix = ".csv" if "," in content and not content.startswith("[") else ".json"
    path = tmp_path / f"list{suffix}"
    path.write_text(content)
    if message is None:
        assert load_term_lists([path]).size == 0
        return
    with pytest.raises(Invalid, match=message):
        load_term_lists([path])


def test_missing_list_and_bad_category_are_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="not found"):
        load_term_lists([tmp_path / "absent.txt"])
    (tmp_path / "x.txt").write_text("Bad Category!\tterm\n")
    with pytest.raises(Invalid, match="category"):
        load_term_lists([tmp_path / "x.txt"])


def test_term_list_is_a_threatexchange_classifier(operator_lists: Path) -> None:
    clf = TermListClassifier(load_term_lists([operator_lists]))
    assert isinstance(clf, Classifier)
    result = clf.classify(TextContent, "TERM_AGE_REQUEST_1")
    assert set(result.positive_labels) == {"age_gender_request"}
    assert str(result) == "age_gender_request(1)"


@dataclass
class _Scored(ClassificationInfo):
    weight: float = 0.0


class PlaceholderModel(Classifier):
    """Stands in for a model: says 'off_platform' with 0.7 when it sees TERM_MODEL_1."""

    @classmethod
    def get_content_types(cls) -> list:
        return [TextContent]

    def classify(self, content_type: type, content_val: str) -> ClassificationResult:
        hit = "TERM_MODEL_1" in content_val
        return ClassificationResult({"off_platform": _Scored(hit, 0.7 if hit else 0.0),
                                     "spam": _Scored(hit, 1.0)})


def test_plugged_classifier_adds_its_labels() -> None:
    model = load_classifier("tests.detect.test_chat_signals:PlaceholderModel")
    scorer = ChatScorer(load_term_lists([]), [model])
    assert scorer.score("hi TERM_MODEL_1") == {"off_platform": 0.7, "classifier": 1.0}
    assert scorer.score("hi") == {}


@pytest.mark.parametrize("spec", ["no.such.module:X", "json:loads", "tests.detect.test_chat_signals:Nope"])
def test_bad_classifier_spec_is_refused(spec: str) -> None:
    with pytest.raises(Invalid):
        load_classifier(spec)
