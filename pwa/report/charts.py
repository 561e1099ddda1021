"""The report's charts as inline SVG: pure functions from report data to markup.

Drawn on the server, no JavaScript, readable when printed in black and white: meaning is
carried by shape and line style (filled dot, thick line, dashed line, triangle, diamond),
never by colour alone. Every chart says its scale direction and has a text description.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from .services import ChartDay, Marker, Report, Week

FONT = "Atkinson Hyperlegible, DejaVu Sans, sans-serif"
INK = "#000"
GREY = "#6b6b6b"
GRID = "#c8c8c8"


def _svg(name: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart chart-{name}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="chart-{name}-title chart-{name}-desc" font-family="{FONT}">'
        f'<title id="chart-{name}-title">{escape(title)}</title>'
        f'<desc id="chart-{name}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, size: int = 13, anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{INK}"{extra}>{escape(text)}</text>'
    )


def _f(value: float) -> str:
    return f"{value:.1f}"


class _DayScale:
    """Maps each day of the period to the centre of its own slot on the x axis."""

    def __init__(self, start: date, days: int, left: float, right: float) -> None:
        self.start, self.days, self.left = start, days, left
        self.slot = (right - left) / max(days, 1)

    def x(self, day: date) -> float:
        return self.left + ((day - self.start).days + 0.5) * self.slot


def _date_ticks(start: date, days: int) -> list[tuple[date, str]]:
    """About eight readable date labels, whatever the length of the period."""
    end = start + timedelta(days=days - 1)
    if days <= 120:
        step = next(s for s in (1, 2, 7, 14, 21, 28) if days / s <= 9)
        days_shown = [start + timedelta(days=i) for i in range(0, days, step)]
        return [(d, f"{d.day} {d:%b}") for d in days_shown]
    months_step = 1 if days <= 280 else 2 if days <= 500 else 3
    ticks: list[tuple[date, str]] = []
    d = date(start.year, start.month, 1)
    index = 0
    while d <= end:
        if d >= start and index % months_step == 0:
            ticks.append((d, f"{d:%b %Y}" if d.month == 1 or not ticks else f"{d:%b}"))
        index += 1
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return ticks


def _x_axis(scale: _DayScale, y: float) -> list[str]:
    parts = []
    for day, label in _date_ticks(scale.start, scale.days):
        x = scale.x(day)
        parts.append(
            f'<line x1="{_f(x)}" y1="{_f(y)}" x2="{_f(x)}" y2="{_f(y + 5)}" stroke="{INK}"/>'
        )
        parts.append(_text(x, y + 19, label, 13, "middle"))
    return parts


# --------------------------------------------------------------------------- pain


def _diamond(x: float, y: float, r: float, filled: bool) -> str:
    points = f"{_f(x)},{_f(y - r)} {_f(x + r)},{_f(y)} {_f(x)},{_f(y + r)} {_f(x - r)},{_f(y)}"
    fill = INK if filled else "#fff"
    return f'<polygon points="{points}" fill="{fill}" stroke="{INK}" stroke-width="1.5"/>'


def _triangle(x: float, y: float, r: float) -> str:
    points = f"{_f(x - r)},{_f(y - r)} {_f(x + r)},{_f(y - r)} {_f(x)},{_f(y + r)}"
    return f'<polygon points="{points}" fill="#fff" stroke="{INK}" stroke-width="1.8"/>'


@dataclass(frozen=True)
class _PainFrame:
    """Where the pain chart's parts go: the plot from `top` to `bottom` (pain 10 to 0), the
    band of warning and fall marks above it, and the days from `left` to `right`."""

    scale: _DayScale
    left: float = 70
    right: float = 712
    band_y: float = 46
    top: float = 74
    bottom: float = 176

    @property
    def fall_y(self) -> float:
        return self.band_y + 14

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * value / 10


def pain_chart(days: Sequence[ChartDay], markers: Sequence[Marker]) -> Markup:
    """Daily average pain as dots, the 7-day rolling mean as a line, 0-10 fixed, events marked."""
    frame = _PainFrame(_DayScale(days[0].day, len(days), 70, 712))
    parts = [
        *_pain_legend(frame.left),
        *_pain_axes(frame),
        *_visit_lines(frame, markers),
        *_rolling_line(frame, days),
        *_daily_dots(frame, days),
        *_event_marks(frame, markers),
    ]
    return _svg("pain", 720, 200, "Back pain by day", describe_pain(days, markers), parts)


def _pain_legend(left: float) -> list[str]:
    """The top row: shapes, not colours, so it reads in black and white."""
    parts: list[str] = []
    lx = left
    legend = [
        ("dot", "Daily average pain"),
        ("line", "7-day average"),
        ("procedure", "Procedure"),
        ("visit", "Visit"),
        ("fall", "Fall"),
        ("warning", "Warning sign"),
    ]
    for kind, label in legend:
        if kind == "dot":
            parts.append(f'<circle cx="{lx + 6}" cy="14" r="4.5" fill="{INK}"/>')
        elif kind == "line":
            parts.append(
                f'<line x1="{lx}" y1="14" x2="{lx + 22}" y2="14" stroke="{GREY}" stroke-width="4"/>'
            )
            lx += 10
        elif kind == "procedure":
            parts.append(
                f'<line x1="{lx + 6}" y1="4" x2="{lx + 6}" y2="24" '
                f'stroke="{INK}" stroke-width="2.5"/>'
            )
        elif kind == "visit":
            parts.append(
                f'<line x1="{lx + 6}" y1="4" x2="{lx + 6}" y2="24" stroke="{INK}" '
                f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            )
        elif kind == "fall":
            parts.append(_triangle(lx + 6, 13, 6))
        else:
            parts.append(_diamond(lx + 6, 14, 7, True))
        parts.append(_text(lx + 16, 19, label, 14))
        lx += 16 + len(label) * 7.4 + 18
    return parts


def _pain_axes(frame: _PainFrame) -> list[str]:
    """Axes, the grid every 2 points, the band's labels and the scale's direction."""
    left, right, top, bottom = frame.left, frame.right, frame.top, frame.bottom
    parts = [
        _text(left - 8, frame.band_y + 5, "Warnings", 12, "end"),
        _text(left - 8, frame.fall_y + 5, "Falls", 12, "end"),
    ]
    for value in range(0, 11, 2):
        y = _f(frame.y(value))
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" '
            f'stroke="{GRID}" stroke-width="{1.2 if value else 1.5}"/>'
        )
        parts.append(_text(left - 8, frame.y(value) + 5, str(value), 14, "end"))
    middle = (top + bottom) / 2
    rotate = f"rotate(-90 16 {_f(middle)})"
    parts.append(_text(16, middle, "higher = worse", 13, "middle", transform=rotate))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{INK}"/>')
    parts.extend(_x_axis(frame.scale, bottom))
    return parts


def _visit_lines(frame: _PainFrame, markers: Sequence[Marker]) -> list[str]:
    """Vertical lines: the procedure (solid, labelled) and visits (dashed)."""
    parts: list[str] = []
    for m in markers:
        x = frame.scale.x(m.day)
        if m.kind == "procedure":
            parts.append(
                f'<line x1="{_f(x)}" y1="{frame.band_y - 22}" x2="{_f(x)}" y2="{frame.bottom}" '
                f'stroke="{INK}" stroke-width="2.5"/>'
            )
            anchor = "start" if x < (frame.left + frame.right) / 2 else "end"
            label_x = x + (5 if anchor == "start" else -5)
            parts.append(_text(label_x, frame.band_y - 12, "Procedure", 13, anchor))
        elif m.kind == "visit":
            parts.append(
                f'<line x1="{_f(x)}" y1="{frame.band_y - 10}" x2="{_f(x)}" y2="{frame.bottom}" '
                f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            )
    return parts


def _rolling_line(frame: _PainFrame, days: Sequence[ChartDay]) -> list[str]:
    """The 7-day average as one thick line, broken where there is no value."""
    segment: list[str] = []
    segments: list[list[str]] = []
    for d in days:
        if d.rolling is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{_f(frame.scale.x(d.day))},{_f(frame.y(d.rolling))}")
    if segment:
        segments.append(segment)
    parts = []
    for seg in segments:
        if len(seg) == 1:
            cx, cy = seg[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{GREY}"/>')
        else:
            parts.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="{GREY}" '
                f'stroke-width="4" stroke-linejoin="round" stroke-linecap="round"/>'
            )
    return parts


def _daily_dots(frame: _PainFrame, days: Sequence[ChartDay]) -> list[str]:
    """Daily dots on top of the line: one path of circles, so a year of days is one element."""
    count = len(days)
    radius = 4.5 if count <= 31 else 3.5 if count <= 100 else 2.4
    dots = "".join(
        f"M{_f(frame.scale.x(d.day) - radius)},{_f(frame.y(d.pain))}"
        f"a{radius},{radius} 0 1,0 {2 * radius},0a{radius},{radius} 0 1,0 {-2 * radius},0Z"
        for d in days
        if d.pain is not None
    )
    return [f'<path d="{dots}" fill="{INK}"/>'] if dots else []


def _event_marks(frame: _PainFrame, markers: Sequence[Marker]) -> list[str]:
    """Falls and warning signs in the band above the plot, one mark per kind per day; a
    warning's diamond is filled when an emergency or urgent sign was among that day's."""
    parts: list[str] = []
    seen: set[tuple[date, str]] = set()
    for m in sorted(markers, key=lambda m: (m.day, m.kind)):
        if m.kind not in {"fall", "warning"} or (m.day, m.kind) in seen:
            continue
        seen.add((m.day, m.kind))
        x = frame.scale.x(m.day)
        if m.kind == "fall":
            parts.append(_triangle(x, frame.fall_y + 1, 6))
        else:
            filled = any(
                o.kind == "warning" and o.day == m.day and o.tier in {"emergency", "urgent"}
                for o in markers
            )
            parts.append(_diamond(x, frame.band_y, 7, filled))
    return parts


def describe_pain(days: Sequence[ChartDay], markers: Sequence[Marker]) -> str:
    logged = [d for d in days if d.pain is not None]
    if not logged:
        return "No pain values in this period."
    first, last = logged[0], logged[-1]
    text = (
        f"Average pain on a 0 to 10 scale, higher is worse. {len(logged)} days logged. "
        f"{first.pain} on {first.day:%d %b %Y}, {last.pain} on {last.day:%d %b %Y}."
    )
    falls = sum(1 for m in markers if m.kind == "fall")
    warnings = len({m.day for m in markers if m.kind == "warning"})
    if falls or warnings:
        text += f" Falls: {falls}. Days with warning signs: {warnings}."
    return text


# --------------------------------------------------------------------------- function


def activity_chart(weeks: Sequence[Week]) -> Markup:
    """Per 7-day block: limited-activity days (black) and bed-rest days (white, outlined), 0-7."""
    width, height = 360, 124
    left, right, top, bottom = 34, 340, 30, 86
    n = len(weeks)
    slot = (right - left) / max(n, 1)
    bar = min(16.0, slot * 0.38)

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / 7

    parts = [
        f'<rect x="{left}" y="6" width="12" height="12" fill="{INK}"/>',
        _text(left + 17, 17, "Limited-activity days", 13),
        f'<rect x="{left + 168}" y="6" width="12" height="12" fill="#fff" '
        f'stroke="{INK}" stroke-width="1.5"/>',
        _text(left + 185, 17, "Bed-rest days", 13),
    ]
    for value in range(8):
        parts.append(
            f'<line x1="{left}" y1="{_f(y(value))}" x2="{right}" y2="{_f(y(value))}" '
            f'stroke="{GRID}" stroke-width="{0.8 if value % 7 else 1.2}"/>'
        )
    for value in (0, 7) if n > 13 else (0, 3, 7):
        parts.append(_text(left - 6, y(value) + 5, str(value), 13, "end"))
    for i, w in enumerate(weeks):
        cx = left + (i + 0.5) * slot
        if w.logged == 0:
            parts.append(_text(cx, bottom - 4, "-", 12, "middle"))
            continue
        for offset, value, fill in ((-bar, w.limited, INK), (0, w.bed_rest, "#fff")):
            if value:
                parts.append(
                    f'<rect x="{_f(cx + offset)}" y="{_f(y(value))}" width="{_f(bar)}" '
                    f'height="{_f(y(0) - y(value))}" fill="{fill}" '
                    f'stroke="{INK}" stroke-width="1.2"/>'
                )
            if n <= 13:  # few enough blocks to print each count above its bar
                parts.append(_text(cx + offset + bar / 2, y(value) - 3, str(value), 11, "middle"))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}"/>')
    parts.extend(_week_labels(weeks, left, slot, bottom))
    return _svg(
        "activity", width, height, "Limited-activity and bed-rest days per week",
        describe_weeks(weeks), parts,
    )  # fmt: skip


def _week_labels(weeks: Sequence[Week], left: float, slot: float, bottom: float) -> list[str]:
    n = len(weeks)
    every = max(1, math.ceil(n / 5))
    parts = []
    for i, w in enumerate(weeks):
        if (n - 1 - i) % every:
            continue  # count back from the last block so "the last 7 days" is always labelled
        cx = left + (i + 0.5) * slot
        parts.append(_text(cx, bottom + 17, f"{w.end.day} {w.end:%b}", 12, "middle"))
    parts.append(_text(left, bottom + 32, "Days in each 7-day block, ending on the date shown", 11))
    return parts


def describe_weeks(weeks: Sequence[Week]) -> str:
    logged = [w for w in weeks if w.logged]
    if not logged:
        return "No answers in this period."
    return " ".join(
        f"Week to {w.end:%d %b}: {w.limited} limited-activity, {w.bed_rest} bed-rest "
        f"of {w.logged} logged days."
        for w in logged
    )


def walking_chart(days: Sequence[ChartDay]) -> Markup:
    """Minutes walked per day as bars; the scale grows to the largest value."""
    width, height = 360, 124
    left, right, top, bottom = 40, 352, 30, 86
    values = [d.minutes_walked for d in days if d.minutes_walked is not None]
    peak = max(values, default=0)
    step = next((s for s in (10, 15, 30, 60, 120, 240, 480) if peak <= s * 4), 480)
    top_value = max(step * math.ceil(peak / step), step)
    scale = _DayScale(days[0].day, len(days), left, right)
    bar = max(scale.slot * 0.7, 0.8)

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / top_value

    parts = [
        f'<rect x="{left}" y="6" width="12" height="12" fill="{GREY}" '
        f'stroke="{INK}" stroke-width="1"/>',
        _text(left + 17, 17, "Minutes walked per day", 13),
    ]
    for value in range(0, top_value + 1, step):
        parts.append(
            f'<line x1="{left}" y1="{_f(y(value))}" x2="{right}" y2="{_f(y(value))}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
        )
        parts.append(_text(left - 6, y(value) + 5, str(value), 13, "end"))
    bars = "".join(
        f"M{_f(scale.x(d.day) - bar / 2)},{_f(y(0))}"
        f"V{_f(y(d.minutes_walked))}h{_f(bar)}V{_f(y(0))}Z"
        for d in days
        if d.minutes_walked
    )
    if bars:
        parts.append(f'<path d="{bars}" fill="{GREY}"/>')
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}"/>')
    for day, label in _date_ticks(scale.start, scale.days)[:: 2 if scale.days > 10 else 1]:
        parts.append(_text(scale.x(day), bottom + 17, label, 12, "middle"))
    if not values:
        parts.append(_text((left + right) / 2, (top + bottom) / 2, "Not answered", 14, "middle"))
    desc = (
        f"Minutes walked on {len(values)} days, most {peak} minutes."
        if values
        else "Minutes walked were not answered in this period."
    )
    return _svg("walking", width, height, "Minutes walked per day", desc, parts)


def report_charts(report: Report) -> dict[str, Markup] | None:
    """The report's three charts (pain, activity, walking), or None for a period without data:
    one place for the preview, the PDF and the doctor's shared link."""
    if report.empty:
        return None
    return {
        "pain": pain_chart(report.chart, report.markers),
        "activity": activity_chart(report.weeks),
        "walking": walking_chart(report.chart),
    }
