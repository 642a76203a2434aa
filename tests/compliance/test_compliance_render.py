"""The documents: transparency data (HTML, PDF with plots, CSV) and the assessment record (HTML, PDF)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from firstlight.compliance import (
    ActionStats,
    ConfirmedCase,
    DetectionCount,
    ReportCount,
    build_assessment,
    parse_profile,
    transparency_data,
)
from firstlight.compliance.render import (
    assessment_html,
    assessment_pdf,
    transparency_csv,
    transparency_html,
    transparency_pdf,
)


@pytest.fixture
def busy_month(snapshot):
    return snapshot(
        detections=[
            DetectionCount(harm="csea.image_csam", source="hash_match", count=12),
            DetectionCount(harm="csea.image_csam", source="user_report", count=2),
            DetectionCount(harm="csea.grooming", source="classifier", count=3),
            DetectionCount(harm="csea.grooming", source="user_report", count=4),
        ],
        actions=[
            ActionStats(kind="block_content", total=12, delivered=12, seconds=[0.8, 1.2, 1.5, 2.0, 3.1]),
            ActionStats(kind="end_stream", total=2, delivered=2, seconds=[40.0, 65.0]),
        ],
        reports=[
            ReportCount(destination="NCA", priority="P1", count=1, delivered=1),
            ReportCount(destination="NCA", priority="P3", count=3, delivered=2, overdue=1),
            ReportCount(destination="NCMEC", priority="P3", count=4, delivered=4),
        ],
        confirmed_cases=[
            # A UK viewer directing a stream from the Philippines: UK-based account, child abroad.
            ConfirmedCase(
                case_id=1,
                subject_account="streamer-ph",
                account_country="PH",
                victim_countries=["PH"],
                involved_countries=["GB"],
                reported_to=["NCA"],
            ),
            ConfirmedCase(
                case_id=2,
                subject_account="uk-2",
                account_country="GB",
                victim_countries=["GB"],
                reported_to=["NCA"],
            ),
            ConfirmedCase(case_id=3, subject_account="us-3", account_country="US", victim_countries=["GB"]),
        ],
        accounts_by_country={"GB": 30, "PH": 4, "US": 9},
    )


def test_transparency_figures_split_proactive_from_user_reported_and_show_cross_border_harm(
    busy_month,
) -> None:
    data = transparency_data(busy_month, service_name="Kite Live")
    assert (data.detections_proactive, data.detections_user_reported, data.proactive_share_pct) == (
        15,
        6,
        71.4,
    )
    assert (data.takedowns, data.time_to_takedown_p50_s) == (7, 2.0)
    assert data.confirmed_unreported == 1
    cb = data.cross_border
    assert cb.uk_accounts_harming_children_abroad == 1
    assert cb.foreign_accounts_harming_uk_children == 1
    assert {(c.account_country, c.victim_country) for c in cb.corridors} == {
        ("GB", "PH"),
        ("PH", "PH"),
        ("GB", "GB"),
        ("US", "GB"),
    }


def test_transparency_csv_is_long_format_with_every_section(busy_month) -> None:
    rows = list(csv.DictReader(io.StringIO(transparency_csv(transparency_data(busy_month)))))
    value = {(r["section"], r["dimension"], r["key"]): r["value"] for r in rows}
    assert value[("summary", "", "detections_proactive")] == "15"
    assert value[("actions", "end_stream", "p90_s")] == "62.5"
    assert value[("reports", "NCA|P3", "overdue")] == "1"
    assert value[("cross_border", "", "uk_accounts_harming_children_abroad")] == "1"
    assert value[("cross_border_corridors", "GB>PH", "cases")] == "1"
    assert "not metrics prescribed" in value[("meta", "", "label")]


def test_transparency_html_is_one_self_contained_page_with_plots(busy_month) -> None:
    html = transparency_html(transparency_data(busy_month, service_name="Kite <Live>"))
    assert html.count('src="data:image/png;base64,') == 4
    assert "Kite &lt;Live&gt;" in html  # escaped
    assert "UK-based accounts involved in harm to children abroad" in html
    assert "Proposed schema" in html


def _first_page_png(pdf: bytes, tmp_path: Path) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    return Image.open(tmp_path / "page.png").convert("L")


def _ink(image: Image.Image) -> float:
    """Share of pixels that are not white."""
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


def test_transparency_pdf_renders_a_page_with_text_and_plots(busy_month, tmp_path) -> None:
    pdf = transparency_pdf(transparency_data(busy_month, service_name="Kite Live"))
    assert pdf.startswith(b"%PDF")
    page = _first_page_png(pdf, tmp_path)
    assert page.size[0] > 300 and page.size[1] > 400
    assert _ink(page) > 0.08  # a table and two filled bar charts, not a blank page
    assert page.getextrema()[0] < 80  # dark text and bars are there


def test_an_empty_period_still_renders(snapshot, tmp_path) -> None:
    data = transparency_data(snapshot(), service_name="Quiet")
    assert "No detections in the period." in transparency_html(data)
    assert _ink(_first_page_png(transparency_pdf(data), tmp_path)) > 0.02


def test_the_assessment_record_renders_as_html_and_pdf(kite_live, snapshot, tmp_path) -> None:
    assessment = build_assessment(
        parse_profile(kite_live(service={"network_expansion_prompts": True})), snapshot()
    )
    html = assessment_html(assessment)
    assert "Draft (not recorded)" in html
    assert "network expansion prompts" in html and "ICU.F1" in html
    pdf = assessment_pdf(assessment)
    assert _ink(_first_page_png(pdf, tmp_path)) > 0.02
