"""The history page's pain trend, drawn on the server as inline SVG (no chart library, no JS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean

from markupsafe import Markup, escape

from ..models import CheckIn
from .services import latest_per_day, rolling_mean

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 20, 48
PER_PAGE = 30


@dataclass
class HistoryPage:
    items: list[CheckIn]
    number: int
    has_previous: bool
    has_next: bool


def history_page(checkins: list[CheckIn], number: int) -> HistoryPage:
    number = max(1, number)
    start = (number - 1) * PER_PAGE
    return HistoryPage(
        checkins[start : start + PER_PAGE], number, number > 1, len(checkins) > start + PER_PAGE
    )


def trend_svg(checkins: list[CheckIn], days: int = 30) -> Markup | None:
    """Daily pain (latest check-in per day) as dots and a 7-day average line, 0-10 fixed."""
    daily = {d: c.pain_avg for d, c in latest_per_day(checkins).items()}
    if not daily:
        return None
    end = max(daily)
    start = end - timedelta(days=days - 1)
    shown = {d: v for d, v in daily.items() if d >= start}
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - start).days / max(days - 1, 1)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / 10)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="trend-title">Back pain, last 30 days</title>',
        f'<desc id="trend-desc">{escape(describe(shown, start, end))}</desc>',
    ]
    for value in (0, 2, 4, 6, 8, 10):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#c9ced6" stroke-width="1"/>'
            f'<text x="{LEFT - 10}" y="{y(value) + 6:.1f}" text-anchor="end" font-size="18" '
            f'fill="#1b1b1b">{value}</text>'
        )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" font-size="16" fill="#1b1b1b" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.0f})" text-anchor="middle">'
        "pain (higher = worse)</text>"
    )
    for label_day in (start, end):
        anchor = "start" if label_day == start else "end"
        parts.append(
            f'<text x="{x(label_day):.1f}" y="{HEIGHT - 14}" font-size="18" text-anchor="{anchor}" '
            f'fill="#1b1b1b">{label_day.day} {label_day:%b}</text>'
        )
    line = [
        (x(d), y(m))
        for d in (start + timedelta(days=i) for i in range(days))
        if d in shown and (m := rolling_mean(daily, d)) is not None
    ]
    if len(line) > 1:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in line)
        parts.append(f'<polyline points="{points}" fill="none" stroke="#0b4f8a" stroke-width="3"/>')
    for day, value in sorted(shown.items()):
        parts.append(
            f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="6" fill="#1b1b1b">'
            f"<title>{day.day} {day:%B}: {value}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def describe(shown: dict[date, int], start: date, end: date) -> str:
    if not shown:
        return "No check-ins in this period."
    values = list(shown.values())
    latest = shown[max(shown)]
    return (
        f"{len(values)} days logged from {start.day} {start:%B} to {end.day} {end:%B}. "
        f"Average pain {mean(values):.1f} out of 10, lowest {min(values)}, highest {max(values)}, "
        f"most recent {latest}. Dots are daily pain, the line is the 7-day average."
    )
