"""Network scale-up against R networkscaleup::killworth on its example data
(reference_outputs/networkscaleup_killworth_example.txt)."""

from __future__ import annotations

import pytest

from firstlight.errors import Invalid
from firstlight.measure import run_nsum, scale_up


@pytest.fixture
def example(load_rows):
    rows = load_rows("nsum/networkscaleup_example_ard.csv")
    sizes = {f"V{r['subpop']}": float(r["size"]) for r in load_rows("nsum/networkscaleup_example_sizes.csv")}
    known = {g: sizes[g] for g in ("V1", "V2", "V4")}  # groups 3 and 5 are treated as unknown
    return rows, known, sizes


def test_killworth_mle_and_plug_in_match_networkscaleup(example) -> None:
    rows, known, _ = example
    result = run_nsum(rows, known=known, total=1e6)
    by_group = {e.group: e for e in result.estimates}
    assert set(by_group) == {"V3", "V5"}
    assert by_group["V3"].mle == pytest.approx(34976.6, abs=0.05)
    assert by_group["V5"].mle == pytest.approx(20042.77, abs=0.005)
    assert by_group["V3"].pimle == pytest.approx(31232.11, abs=0.005)
    assert by_group["V5"].pimle == pytest.approx(20831.44, abs=0.005)
    assert result.mean_degree == pytest.approx(50.89117, abs=5e-6)
    assert result.zero_degree >= 1  # R warns: "Estimated a 0 degree for at least one respondent"


def test_intervals_cover_the_true_sizes(example) -> None:
    rows, known, sizes = example
    for e in run_nsum(rows, known=known, total=1e6).estimates:
        assert e.lower < sizes[e.group] < e.upper
        p = e.mle / 1e6
        assert e.se == pytest.approx(1e6 * (p * (1 - p) / (50.89117 * 100)) ** 0.5, rel=1e-5)


def test_leave_one_out_validation_of_known_groups(example) -> None:
    rows, known, _ = example
    validation = {v.group: v for v in run_nsum(rows, known=known, total=1e6).validation}
    assert round(validation["V1"].estimate) == 135324
    assert round(validation["V2"].estimate) == 54181
    assert round(validation["V4"].estimate) == 72655
    assert validation["V2"].ratio == pytest.approx(54181 / 56322, abs=1e-4)


def test_equal_weights_change_nothing_and_weights_matter(example) -> None:
    rows, known, _ = example
    plain = run_nsum(rows, known=known, total=1e6)
    weighted_rows = [dict(r, w="3") for r in rows]
    same = run_nsum(weighted_rows, known=known, total=1e6, weight_column="w")
    assert [e.mle for e in same.estimates] == pytest.approx([e.mle for e in plain.estimates])
    uneven = [dict(r, w=str(1 + i % 2)) for i, r in enumerate(rows)]
    other = run_nsum(uneven, known=known, total=1e6, weight_column="w")
    assert other.estimates[0].mle != pytest.approx(plain.estimates[0].mle)


def test_bad_surveys_get_clear_errors(example) -> None:
    rows, known, _ = example
    with pytest.raises(Invalid, match="not in the survey"):
        run_nsum(rows, known={"V9": 10.0}, total=1e6)
    with pytest.raises(Invalid, match="no larger than the total"):
        run_nsum(rows, known={"V1": 2e6}, total=1e6)
    with pytest.raises(Invalid, match="at least one group of known size"):
        scale_up([[1, 2]], ["a", "b"], {}, total=100)
    with pytest.raises(Invalid, match="must be a number"):
        run_nsum([{"a": "x", "b": "1"}], known={"a": 10}, total=100)
    with pytest.raises(Invalid, match="counts of people"):
        scale_up([[1, -2]], ["a", "b"], {"a": 10}, total=100)
    with pytest.raises(Invalid, match="no column named"):
        run_nsum(rows, known=known, total=1e6, weight_column="weight")
