"""Documents: the transparency data as HTML, PDF (with plots) and CSV; the assessment record as HTML and PDF.

HTML comes from Jinja2 templates shipped in ``templates/`` (plots embedded as PNG data URIs, so one file
is the whole document). PDF is built with reportlab's platypus, pure Python, with the same matplotlib
plots. CSV is long-format (``section, dimension, key, value``) so any spreadsheet can pivot it.
"""

from __future__ import annotations

import base64
import csv
import io
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from firstlight.compliance._charts import HEIGHT as CHART_HEIGHT
from firstlight.compliance._charts import WIDTH as CHART_WIDTH
from firstlight.compliance._charts import all_charts
from firstlight.compliance.assessment import Assessment
from firstlight.compliance.measures import format_seconds
from firstlight.compliance.transparency import TransparencyData

__all__ = [
    "FORMATS",
    "assessment_html",
    "assessment_pdf",
    "transparency_csv",
    "transparency_html",
    "transparency_pdf",
]

FORMATS = ("html", "pdf", "csv", "json")

_env = Environment(
    loader=PackageLoader("firstlight.compliance", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _secs(value: float | None) -> str:
    return format_seconds(value, missing="–")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _period(data: TransparencyData) -> str:
    def day(at: datetime | None) -> str:
        return at.strftime("%Y-%m-%d") if at else "the first record"

    return f"from {day(data.period_start)} to {day(data.period_end or data.generated_at)}"


def transparency_html(data: TransparencyData) -> str:
    charts = {caption: base64.b64encode(png).decode() for caption, png in all_charts(data)}
    missing = [room for room, ok in data.data_available.items() if not ok]
    return _env.get_template("transparency.html").render(
        d=data, charts=charts, period=_period(data), secs=_secs, pct=_pct, missing=missing
    )


def transparency_csv(data: TransparencyData) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "dimension", "key", "value"])
    rows: list[tuple[str, str, str, Any]] = [
        ("meta", "", "service", data.service_name),
        ("meta", "", "period_start", data.period_start.isoformat() if data.period_start else ""),
        ("meta", "", "period_end", (data.period_end or data.generated_at).isoformat()),
        ("meta", "", "label", data.label),
        ("summary", "", "detections_proactive", data.detections_proactive),
        ("summary", "", "detections_user_reported", data.detections_user_reported),
        ("summary", "", "proactive_share_pct", data.proactive_share_pct),
        ("summary", "", "takedowns", data.takedowns),
        ("summary", "", "time_to_takedown_p50_s", data.time_to_takedown_p50_s),
        ("summary", "", "time_to_takedown_p90_s", data.time_to_takedown_p90_s),
        ("summary", "", "confirmed_csea_cases", data.confirmed_csea_cases),
        ("summary", "", "confirmed_unreported", data.confirmed_unreported),
    ]
    for d in data.detections:
        rows.append(
            (
                "detections",
                f"{d.harm}|{d.source}|{'proactive' if d.proactive else 'user_reported'}",
                "count",
                d.count,
            )
        )
    for a in data.actions:
        for key in ("total", "delivered", "failed", "p50_s", "p90_s"):
            rows.append(("actions", a.kind, key, getattr(a, key)))
    for r in data.reports:
        for key in ("count", "delivered", "overdue"):
            rows.append(("reports", f"{r.destination}|{r.priority}", key, getattr(r, key)))
    cb = data.cross_border
    rows += [
        ("cross_border", "", "uk_accounts_harming_children_abroad", cb.uk_accounts_harming_children_abroad),
        ("cross_border", "", "foreign_accounts_harming_uk_children", cb.foreign_accounts_harming_uk_children),
        ("cross_border", "", "cases_with_unknown_countries", cb.cases_with_unknown_countries),
    ]
    rows += [
        ("cross_border_offender_accounts", c, "accounts", n)
        for c, n in cb.offender_accounts_by_country.items()
    ]
    rows += [("cross_border_victims", c, "cases", n) for c, n in cb.victims_by_country.items()]
    rows += [
        ("cross_border_corridors", f"{c.account_country}>{c.victim_country}", "cases", c.cases)
        for c in cb.corridors
    ]
    rows += [("accounts_seen", c, "accounts", n) for c, n in cb.accounts_seen_by_country.items()]
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def assessment_html(assessment: Assessment, record: Any = None) -> str:
    """The s.23(2) record "in an easily understandable form"; ``record`` is the stored row, if any."""
    return _env.get_template("assessment.html").render(a=assessment, record=record)


# --- PDF ----------------------------------------------------------------------------------------------


def _pdf_kit() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    styles.add(ParagraphStyle("Small", parent=styles["BodyText"], fontSize=8, leading=10))
    styles.add(ParagraphStyle("Cell", parent=styles["BodyText"], fontSize=8, leading=10))
    styles.add(
        ParagraphStyle(
            "Label", parent=styles["BodyText"], fontSize=8, leading=10, textColor=colors.HexColor("#7a4b05")
        )
    )
    return {
        "colors": colors,
        "A4": A4,
        "mm": mm,
        "styles": styles,
        "Image": Image,
        "Paragraph": Paragraph,
        "SimpleDocTemplate": SimpleDocTemplate,
        "Spacer": Spacer,
        "Table": Table,
        "TableStyle": TableStyle,
    }


def _table(k: dict[str, Any], rows: list[list[Any]], widths: list[float] | None = None) -> Any:
    cell = k["styles"]["Cell"]
    data = [[k["Paragraph"](_esc(str(c)), cell) for c in row] for row in rows]
    table = k["Table"](data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        k["TableStyle"](
            [
                ("BACKGROUND", (0, 0), (-1, 0), k["colors"].HexColor("#f3f5f8")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, k["colors"].HexColor("#d5d9e0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _build(k: dict[str, Any], story: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    doc = k["SimpleDocTemplate"](
        buffer,
        pagesize=k["A4"],
        title=title,
        author="Firstlight",
        leftMargin=18 * k["mm"],
        rightMargin=18 * k["mm"],
        topMargin=16 * k["mm"],
        bottomMargin=16 * k["mm"],
    )

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillGray(0.4)
        canvas.drawString(18 * k["mm"], 9 * k["mm"], f"{title} · page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def transparency_pdf(data: TransparencyData) -> bytes:
    k = _pdf_kit()
    s, P, mm = k["styles"], k["Paragraph"], k["mm"]
    width = k["A4"][0] - 36 * mm
    charts = dict(all_charts(data))

    def chart(caption: str) -> Any:
        # The PNGs are CHART_WIDTH x CHART_HEIGHT inches; scale them to the text width.
        height = width * CHART_HEIGHT / CHART_WIDTH
        return k["Image"](io.BytesIO(charts[caption]), width=width, height=height)

    cb = data.cross_border
    story: list[Any] = [
        P(_esc(f"Transparency data: {data.service_name}"), s["Title"]),
        P(
            _esc(
                f"Period {_period(data)} · generated {data.generated_at:%Y-%m-%d %H:%M} UTC · "
                "Online Safety Act 2023 s.77, Sch 8"
            ),
            s["Small"],
        ),
        P(_esc(data.label), s["Label"]),
        k["Spacer"](1, 4 * mm),
        _table(
            k,
            [
                ["Figure", "Value"],
                ["Items flagged proactively", data.detections_proactive],
                ["Items flagged from user reports", data.detections_user_reported],
                ["Proactive share", _pct(data.proactive_share_pct)],
                ["Takedowns (content or stream)", data.takedowns],
                [
                    "Time to takedown p50 / p90",
                    f"{_secs(data.time_to_takedown_p50_s)} / {_secs(data.time_to_takedown_p90_s)}",
                ],
                ["Confirmed CSEA cases", data.confirmed_csea_cases],
                ["Confirmed CSEA cases not reported", data.confirmed_unreported],
                [
                    "UK-based accounts involved in harm to children abroad",
                    cb.uk_accounts_harming_children_abroad,
                ],
                ["Accounts abroad involved in harm to UK children", cb.foreign_accounts_harming_uk_children],
            ],
            [width * 0.7, width * 0.3],
        ),
        P("Detections", s["Heading2"]),
        chart("Detections"),
        P("Actions and time to takedown", s["Heading2"]),
        chart("Time to takedown"),
    ]
    if data.actions:
        story.append(
            _table(
                k,
                [["Action", "Total", "Delivered", "Failed", "p50", "p90"]]
                + [
                    [a.kind, a.total, a.delivered, a.failed, _secs(a.p50_s), _secs(a.p90_s)]
                    for a in data.actions
                ],
            )
        )
    story += [P("Reports to the NCA and NCMEC", s["Heading2"]), chart("Reports")]
    if data.reports:
        story.append(
            _table(
                k,
                [["Destination", "Priority", "Reports", "Delivered", "Overdue"]]
                + [[r.destination, r.priority, r.count, r.delivered, r.overdue] for r in data.reports],
            )
        )
    story += [
        P("Cross-border breakdown", s["Heading2"]),
        P(
            _esc(
                "Content is illegal whatever the place (OSA s.59(11)); a UK national or UK-located suspect "
                "makes content UK-linked (s.70(6)). Red bars: UK-based accounts involved in harm to children "
                "abroad."
            ),
            s["Small"],
        ),
        chart("Cross-border"),
    ]
    if cb.corridors:
        story.append(
            _table(
                k,
                [["Offender account country", "Child's country", "Cases"]]
                + [[c.account_country, c.victim_country, c.cases] for c in cb.corridors],
            )
        )
    return _build(k, story, f"Transparency data: {data.service_name}")


def assessment_pdf(assessment: Assessment, record: Any = None) -> bytes:
    k = _pdf_kit()
    s, P, mm = k["styles"], k["Paragraph"], k["mm"]
    width = k["A4"][0] - 36 * mm
    meta = (
        f"Record version {record.version} · {record.created_at:%Y-%m-%d %H:%M} UTC · by {record.author} · "
        f"trigger {record.trigger} · review due {record.review_due:%Y-%m-%d} · SHA-256 {record.content_hash}"
        if record is not None
        else "Draft (not recorded)"
    )
    svc = assessment.profile.service
    story: list[Any] = [
        P(_esc(f"Illegal content risk assessment: {assessment.service_name}"), s["Title"]),
        P(_esc(meta), s["Small"]),
        P(
            _esc(
                f"OSA 2023 s.9 and s.23 · Codes measures {assessment.catalogue_version} · "
                f"Risk Profiles {assessment.risk_profiles_version}"
            ),
            s["Small"],
        ),
        P("How the assessment was carried out", s["Heading2"]),
    ]
    story += [P(_esc(step), s["Small"]) for step in assessment.method]
    story += [
        P("Step 1: the service and its risk factors", s["Heading2"]),
        _table(
            k,
            [
                ["Fact", "Value"],
                [
                    "UK monthly active users",
                    f"{svc.uk_mau:,}" + (" (large)" if assessment.risk.large else ""),
                ],
                ["Children can access it", "yes" if svc.children_can_access else "no"],
                ["Age determination", svc.age_determination],
                ["Risk factors", ", ".join(assessment.risk.risk_factors) or "none"],
            ],
            [width * 0.3, width * 0.7],
        ),
        P("Step 2: risk levels", s["Heading2"]),
        _table(
            k,
            [["Kind of harm", "Level", "Reasons"]]
            + [
                [h.name, h.level.value if h.level else "NOT ASSESSED", "; ".join(r.text for r in h.reasons)]
                for h in assessment.risk.harms.values()
            ],
            [width * 0.25, width * 0.12, width * 0.63],
        ),
        P("Step 3: Codes measures that apply", s["Heading2"]),
        _table(
            k,
            [["Measure", "Status", "Evidence, statement or alternative"]]
            + [
                [
                    f"{m.id} {m.title} (conf. {m.confidence})",
                    m.status,
                    "; ".join(
                        [e.text for e in m.evidence]
                        + ([f"Statement: {m.statement}"] if m.statement else [])
                        + (
                            [f"Alternative: {m.alternative.description} (because {m.alternative.reason})"]
                            if m.alternative
                            else []
                        )
                    ),
                ]
                for m in assessment.measures
                if m.applies is not False
            ],
            [width * 0.3, width * 0.12, width * 0.58],
        ),
    ]
    return _build(k, story, f"Risk assessment: {assessment.service_name}")
