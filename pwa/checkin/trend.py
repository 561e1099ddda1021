"""The history page's pain chart, drawn on the server as inline SVG (no chart library, no JS).

The old chart was one SVG scaled by a viewBox: on a phone its 18-unit labels shrank to about
9 CSS px and ignored the browser's text size. This one has no viewBox. Its height is set in
`em` by the stylesheet, every position is a percentage of the drawing, and the labels are
sized by CSS in `rem`, so text is drawn at the page's own size and grows with it, while the
lines and dots stretch to whatever width the phone has. Two SVGs side by side: the pain
numbers on the left (a column as wide as the numbers) and the plot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean

from markupsafe import Markup, escape

from .services import rolling_mean

X_LEFT, X_RIGHT = 3.0, 97.0  # % of the plot's width; room for the first and last dots
BOTTOM = 84.0  # % of the height; below it, the week labels


@dataclass(frozen=True)
class Marker:
    day: date
    label: str  # "Kyphoplasty", "Fracture"


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def trend_svg(
    daily: dict[date, int], start: date, end: date, markers: Sequence[Marker] = ()
) -> Markup | None:
    """Daily pain as dots and the 7-day average as a line, 0-10 fixed, weeks and events marked.

    `daily` is one pain value per logged date (the latest check-in of the day); the days
    before `start` only feed the first averages. Weeks are counted back from `end`, as in the
    list below the chart.
    """
    shown = {d: v for d, v in daily.items() if start <= d <= end}
    if not shown:
        return None
    days = (end - start).days
    markers = [m for m in markers if start <= m.day <= end]
    top = 9.0 + 8.0 * len(markers)  # one row of labels per event marked

    def x(day: date) -> str:
        return _pct(X_LEFT + (X_RIGHT - X_LEFT) * (day - start).days / max(days, 1))

    def y(value: float) -> str:
        return _pct(top + (BOTTOM - top) * (1 - value / 10))

    axis = [
        f'<text x="100%" y="{y(v)}" dx="-0.3em" dy="0.35em" text-anchor="end">{v}</text>'
        for v in (0, 2, 4, 6, 8, 10)
    ]
    plot = [
        f'<line class="grid" x1="0" x2="100%" y1="{y(v)}" y2="{y(v)}"/>'
        for v in (0, 2, 4, 6, 8, 10)
    ]
    for n, week_start in enumerate(_week_starts(start, end)):
        plot.append(
            f'<line class="week" x1="{x(week_start)}" x2="{x(week_start)}" y1="{y(10)}" '
            f'y2="{_pct(BOTTOM + 3)}"/>'
            f'<text class="week-label week-{n % 2}" x="{x(week_start)}" y="100%" dy="-0.35em">'
            f"{week_start.day} {week_start:%b}</text>"
        )
    for row, marker in enumerate(sorted(markers, key=lambda m: m.day)):
        late = (marker.day - start).days > days / 2  # label to the left of a late line
        plot.append(
            f'<line class="marker" x1="{x(marker.day)}" x2="{x(marker.day)}" '
            f'y1="{_pct(8.0 * row + 2)}" y2="{y(0)}"/>'
            f'<text class="marker-label" x="{x(marker.day)}" y="{_pct(8.0 * row + 7)}" '
            f'dx="{"-0.3em" if late else "0.3em"}" text-anchor="{"end" if late else "start"}">'
            f"{escape(marker.label)}</text>"
        )
    plot += _rolling_line(daily, start, days, x, y)
    for day, value in sorted(shown.items()):
        plot.append(
            f'<circle cx="{x(day)}" cy="{y(value)}" r="5">'
            f"<title>{day:%a} {day.day} {day:%b}: {value}</title></circle>"
        )
    return Markup(
        '<div class="trend">'
        '<svg class="trend-axis" aria-hidden="true" focusable="false">' + "".join(axis) + "</svg>"
        '<svg class="trend-plot" role="img" aria-labelledby="trend-title trend-desc">'
        f'<title id="trend-title">Back pain, {escape(_span(start, end))}</title>'
        f'<desc id="trend-desc">{escape(describe(shown, start, end, markers))}</desc>'
        + "".join(plot)
        + "</svg></div>"
    )


def _week_starts(start: date, end: date) -> list[date]:
    """The first day of each 7-day block counted back from `end`, oldest first."""
    first = end - timedelta(days=6)
    starts = []
    while first >= start:
        starts.append(first)
        first -= timedelta(days=7)
    return starts[::-1]


def _rolling_line(
    daily: dict[date, int],
    start: date,
    days: int,
    x: Callable[[date], str],
    y: Callable[[float], str],
) -> list[str]:
    """The 7-day average as line segments between neighbouring days that both have one."""
    points = [(d, rolling_mean(daily, d)) for d in (start + timedelta(n) for n in range(days + 1))]
    return [
        f'<line class="average" x1="{x(a)}" y1="{y(va)}" x2="{x(b)}" y2="{y(vb)}"/>'
        for (a, va), (b, vb) in zip(points, points[1:], strict=False)
        if va is not None and vb is not None
    ]


def _span(start: date, end: date) -> str:
    return f"{start.day} {start:%B} to {end.day} {end:%B %Y}"


def describe(shown: dict[date, int], start: date, end: date, markers: Sequence[Marker]) -> str:
    values = list(shown.values())
    latest = shown[max(shown)]
    events = "".join(f" {m.label} on {m.day.day} {m.day:%B}." for m in markers)
    return (
        f"{len(values)} days logged from {start.day} {start:%B} to {end.day} {end:%B}. "
        f"Average pain {mean(values):.1f} out of 10, lowest {min(values)}, highest {max(values)}, "
        f"most recent {latest}. Dots are daily pain (higher = worse), the line is the 7-day "
        f"average.{events}"
    )
