"""Risk configuration: defaults from the typologies, overridable from TOML, refused when inconsistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstlight.detect import FEATURES, RiskConfig, load_risk_config
from firstlight.errors import Invalid


def test_every_weighted_feature_is_described_and_population_features_are_flagged() -> None:
    assert set(RiskConfig().weights) <= set(FEATURES)
    assert {name for name, info in FEATURES.items() if info.population_level} == {"corridor", "risky_channel"}


def test_toml_overrides_merge_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "risk.toml"
    path.write_text('tier2_threshold = 0.7\nsource_countries = ["PH"]\n'
                    '[weights]\ncorridor = 0.2\n[small_payment_ranges]\nnzd = [5, 300]\n')
    config = load_risk_config(path)
    assert config.tier2_threshold == 0.7 and config.source_countries == ("PH",)
    assert config.weight("corridor") == 0.2 and config.weight("pay_before_show") == 1.6
    assert config.small_payment_ranges["NZD"] == (5.0, 300.0) and "AUD" in config.small_payment_ranges


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no_such_setting = 1\n", "unknown risk settings"),
        ("tier1_threshold = 0.8\n", "tier1_threshold < tier2_threshold"),
        ('population_tier_ceiling = "T2"\n', "population_tier_ceiling"),
        ("[small_payment_ranges]\nAUD = [400, 10]\n", "bad payment range"),
        ("this is not toml", "cannot read risk config"),
    ],
)
def test_inconsistent_config_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "risk.toml"
    path.write_text(text)
    with pytest.raises(Invalid, match=message):
        load_risk_config(path)
