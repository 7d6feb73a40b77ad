"""The run page's weekly chart: records per week and attendance code, as the shapes of an inline SVG.

Pure: the report's "records by date and code" in, bars, ticks, labels and legend out; the
template (``include/templates/run_report.html``) draws them, so the page needs no script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

# Colour-blind-safe palette (Okabe-Ito), one colour per attendance code.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999")


def code_text(att_code: str | None, description: str | None) -> str:
    """An attendance code as a person reads it: "T (Tardy)"; a blank code is the Present code (SPEC section 2).

    The chart's legend and the detail tables' code columns both say it this way.
    """
    if not att_code:
        return f"{description or 'Present'} (no code)"
    return f"{att_code} ({description})" if description and description != att_code else att_code


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weekly_counts(by_date_and_code: Iterable[Mapping[str, Any]]) -> tuple[list[date], list[str], dict]:
    """Records per week (Monday) and code label: the weeks in order, the codes, {(week, code): records}."""
    counts: dict[tuple[date, str], int] = {}
    for row in by_date_and_code:
        week = week_start(date.fromisoformat(str(row["att_date"])[:10]))
        code = code_text(row.get("att_code"), row.get("description"))
        counts[(week, code)] = counts.get((week, code), 0) + int(row["records"])
    if not counts:
        return [], [], {}
    first, last = min(week for week, _ in counts), max(week for week, _ in counts)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    codes = sorted({code for _, code in counts})
    return weeks, codes, counts


def weekly_chart(by_date_and_code: Iterable[Mapping[str, Any]], title: str) -> dict[str, Any] | None:
    """A stacked bar chart (one bar per week, one colour per code) as the shapes of an SVG, or None."""
    weeks, codes, counts = weekly_counts(by_date_and_code)
    if not weeks:
        return None
    bar, gap, left, top, height = 18, 6, 48, 12, 220
    totals = [sum(counts.get((week, code), 0) for code in codes) for week in weeks]
    peak = max(totals) or 1
    step = _nice_step(peak)
    axis_max = -(-peak // step) * step
    width = left + len(weeks) * (bar + gap) + 12
    scale = height / axis_max
    bars = []
    for i, week in enumerate(weeks):
        x, y = left + i * (bar + gap) + gap, top + height
        for j, code in enumerate(codes):
            records = counts.get((week, code), 0)
            if not records:
                continue
            size = records * scale
            y -= size
            bars.append(
                {
                    "x": x, "y": round(y, 2), "width": bar, "height": round(size, 2),
                    "colour": PALETTE[j % len(PALETTE)], "code": code, "records": records,
                    "tooltip": f"week of {week.isoformat()}: {records} {code}",
                }
            )  # fmt: skip
    ticks = [{"value": value, "y": round(top + height - value * scale, 2)} for value in range(0, axis_max + 1, step)]
    labels = [
        {"x": left + i * (bar + gap) + gap + bar / 2, "text": week.strftime("%d %b")}
        for i, week in enumerate(weeks)
        if i % max(1, len(weeks) // 12) == 0
    ]
    return {
        "title": title,
        "width": width,
        "height": top + height + 60,
        "left": left,
        "top": top,
        "bottom": top + height,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": [{"code": code, "colour": PALETTE[j % len(PALETTE)]} for j, code in enumerate(codes)],
        "weeks": len(weeks),
        "total": sum(totals),
    }


def _nice_step(peak: int) -> int:
    """A round tick step giving about five ticks up to ``peak``."""
    raw = max(1, peak / 5)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude
