"""The plots of the transparency document, drawn with matplotlib's object API (Agg, no pyplot state).

Each function returns PNG bytes (for the PDF and, base64-encoded, the HTML). An empty series draws a
labelled empty chart, so a quiet period still renders a complete document.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from firstlight.compliance.transparency import TransparencyData

__all__ = ["all_charts", "cross_border_chart", "detections_chart", "reports_chart", "takedown_chart"]

BLUE, ORANGE, GREY, RED = "#1f5fa8", "#e08a1e", "#8a8f98", "#b8322a"
WIDTH, HEIGHT, DPI = 6.6, 2.5, 150


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _empty(ax: object, title: str, message: str) -> None:
    ax.set_title(title, fontsize=10, loc="left")  # type: ignore[attr-defined]
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        color=GREY,
        fontsize=9,  # type: ignore[attr-defined]
        transform=ax.transAxes,
    )  # type: ignore[attr-defined]
    ax.set_xticks([])  # type: ignore[attr-defined]
    ax.set_yticks([])  # type: ignore[attr-defined]


def _barh(ax: object, labels: Sequence[str], series: list[tuple[str, list[float], str]]) -> None:
    lefts = [0.0] * len(labels)
    for name, values, colour in series:
        ax.barh(labels, values, left=lefts, color=colour, label=name, height=0.6)  # type: ignore[attr-defined]
        lefts = [a + b for a, b in zip(lefts, values, strict=True)]
    ax.invert_yaxis()  # type: ignore[attr-defined]
    _legend(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # type: ignore[attr-defined]


def _legend(ax: object) -> None:
    """Above the plot, right-aligned, so it never covers a bar."""
    ax.legend(fontsize=7, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=4)  # type: ignore[attr-defined]


def detections_chart(data: TransparencyData) -> bytes:
    fig, ax = _figure()
    title = "Detections by harm"
    harms = sorted({d.harm_name for d in data.detections})
    if not harms:
        _empty(ax, title, "no detections in the period")
        return _png(fig)
    proactive = [sum(d.count for d in data.detections if d.harm_name == h and d.proactive) for h in harms]
    reported = [sum(d.count for d in data.detections if d.harm_name == h and not d.proactive) for h in harms]
    _barh(ax, harms, [("proactive", proactive, BLUE), ("user-reported", reported, ORANGE)])
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("items flagged", fontsize=8)
    return _png(fig)


def takedown_chart(data: TransparencyData) -> bytes:
    fig, ax = _figure()
    title = "Time from event accepted to action delivered"
    rows = [a for a in data.actions if a.p50_s is not None]
    if not rows:
        _empty(ax, title, "no delivered actions in the period")
        return _png(fig)
    labels = [a.kind for a in rows]
    positions = range(len(rows))
    ax.barh([p - 0.18 for p in positions], [a.p50_s or 0 for a in rows], height=0.35, color=BLUE, label="p50")
    ax.barh(
        [p + 0.18 for p in positions], [a.p90_s or 0 for a in rows], height=0.35, color=ORANGE, label="p90"
    )
    ax.set_yticks(list(positions), labels)
    ax.invert_yaxis()
    _legend(ax)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("seconds", fontsize=8)
    return _png(fig)


def reports_chart(data: TransparencyData) -> bytes:
    fig, ax = _figure()
    title = "Reports by destination and priority"
    if not data.reports:
        _empty(ax, title, "no reports in the period")
        return _png(fig)
    destinations = sorted({r.destination for r in data.reports})
    priorities = sorted({r.priority for r in data.reports})
    colours = [RED, ORANGE, BLUE, GREY]
    series = [
        (
            p,
            [
                sum(r.count for r in data.reports if r.destination == d and r.priority == p)
                for d in destinations
            ],
            colours[i % len(colours)],
        )
        for i, p in enumerate(priorities)
    ]
    _barh(ax, destinations, series)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("reports", fontsize=8)
    return _png(fig)


def cross_border_chart(data: TransparencyData) -> bytes:
    fig, ax = _figure()
    title = "Confirmed CSEA: offender account country → child's country"
    corridors = data.cross_border.corridors[:10]
    if not corridors:
        _empty(ax, title, "no confirmed cases with known countries in the period")
        return _png(fig)
    labels = [f"{c.account_country} → {c.victim_country}" for c in corridors]
    colours = [RED if c.account_country == "GB" and c.victim_country != "GB" else BLUE for c in corridors]
    ax.barh(labels, [c.cases for c in corridors], color=colours, height=0.6)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("cases (red: UK-based account, child abroad)", fontsize=8)
    return _png(fig)


def all_charts(data: TransparencyData) -> list[tuple[str, bytes]]:
    """(caption, PNG) for every chart, in document order."""
    return [
        ("Detections", detections_chart(data)),
        ("Time to takedown", takedown_chart(data)),
        ("Reports", reports_chart(data)),
        ("Cross-border", cross_border_chart(data)),
    ]
