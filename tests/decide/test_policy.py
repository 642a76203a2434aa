from pathlib import Path

import pytest

from firstlight.decide import Detection, Policy, decide
from firstlight.errors import Invalid


def block_match(distance: int, threshold: int = 31, **kw) -> Detection:
    return Detection(kind="bank_match", signal_type="pdq", bank_name="iwf", bank_kind="block",
                     entry_id=7, distance=distance, threshold=threshold, category="A", **kw)


def test_default_policy_blocks_restricts_and_reports_a_strong_block_match():
    decision = decide(Policy.load(), [block_match(3)])
    assert decision.outcome == "act"
    assert decision.actions == ("block_content", "restrict_account")
    assert decision.open_case and decision.preserve and decision.report
    assert decision.rule == "csam-block-bank-strong-match"
    fired = decision.explanation["fired_on"][0]
    assert fired["bank_name"] == "iwf" and fired["entry_id"] == 7 and fired["distance"] == 3
    assert "distance 3" in decision.explanation["reason"]


def test_exact_hash_match_is_strong_and_fully_likely():
    exact = Detection(kind="bank_match", signal_type="sha256", bank_name="b", bank_kind="block",
                      entry_id=1, distance=0, threshold=0)
    decision = decide(Policy.load(), [exact])
    assert decision.outcome == "act" and decision.likelihood == 1.0


def test_near_threshold_match_goes_to_review_without_acting():
    decision = decide(Policy.load(), [block_match(29)])
    assert decision.outcome == "review"
    assert decision.actions == ()
    assert decision.open_case and not decision.report
    assert decision.rule == "csam-block-bank-weak-match"


def test_match_suppressed_by_allow_bank_does_nothing_and_says_why():
    decision = decide(Policy.load(), [block_match(0, suppressed_by="allow#3")])
    assert decision.outcome == "none" and not decision.flagged
    assert "allow#3" in decision.explanation["reason"]
    assert decision.explanation["suppressed"][0]["entry_id"] == 7


def test_no_detection_means_no_action():
    decision = decide(Policy.load(), [])
    assert decision.outcome == "none" and decision.actions == ()


def test_policy_refuses_an_act_rule_on_csam_without_a_report(tmp_path: Path):
    path = tmp_path / "p.toml"
    path.write_text(
        '[[rule]]\nname = "quiet"\nwhen = { bank_kind = "block" }\noutcome = "act"\n'
        'actions = ["block_content"]\nreport = false\n'
    )
    with pytest.raises(Invalid, match="zero threshold"):
        Policy.load(path)


def test_policy_loads_from_yaml_and_keeps_rule_order(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: strict\nweak_ratio: 0.5\nscope: {surfaces: [public, private]}\nrule:\n"
        "  - name: everything-reviewed\n    when: {detection: bank_match}\n    outcome: review\n"
    )
    policy = Policy.load(path)
    assert policy.name == "strict" and policy.in_scope("private")
    assert decide(policy, [block_match(0)]).outcome == "review"


@pytest.mark.parametrize("text,problem", [
    ("name = 1\n", "needs at least one"),
    ('[[rule]]\nname = "x"\noutcome = "explode"\n', "outcome must be"),
    ('[[rule]]\nname = "x"\noutcome = "act"\nactions = ["nuke"]\nreport = true\n', "unknown actions"),
    ('[[rule]]\nname = "x"\noutcome = "review"\nactions = ["block_content"]\n', "only 'act'"),
    ("not toml = = =", "not valid"),
])
def test_bad_policy_files_are_refused_with_a_reason(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(Invalid, match=problem):
        Policy.load(path)


def test_default_scope_is_public_surfaces_only():
    policy = Policy.load()
    assert policy.in_scope("public") and not policy.in_scope("private")
