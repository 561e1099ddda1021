"""What the history page shows: weeks counted back from today, each day in one line.

A week here is the 7 days ending on a given day ("this week" = the last 7 days, today
included), so the chart's week lines, the list's week headings and "this week vs last week"
all mean the same days. A day's figures are its latest check-in's (DESIGN.md); earlier
check-ins of the day stay listed under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from markupsafe import Markup

from ..models import WALKING_AIDS, CheckIn, User
from .services import rolling_mean
from .signs import ALL_SIGNS
from .trend import Marker, trend_svg

CHART_DAYS = 28  # four whole weeks
WEEKS_PER_PAGE = 5
FILTERS = {
    "all": "All days",
    "signs": "Days with warning signs",
    "falls": "Days with a fall",
}
PROCEDURES = ("kyphoplasty", "vertebroplasty")
SAME_WITHIN = 0.5  # points of average pain that read as "about the same"


@dataclass
class Day:
    date: date
    checkins: list[CheckIn]  # newest first; the first one counts for the day
    entered: date | None = None  # when the latest was saved, if on another day (back-dated)

    @property
    def latest(self) -> CheckIn:
        return self.checkins[0]

    @property
    def earlier(self) -> list[CheckIn]:
        return self.checkins[1:]

    @property
    def sign_names(self) -> list[str]:
        return [ALL_SIGNS[e.sign].label for e in self.latest.warning_events if e.sign in ALL_SIGNS]

    @property
    def fell(self) -> bool:
        return bool(self.latest.fell)

    @property
    def walking(self) -> str | None:
        """'Walked 20 minutes, with a walker', or None when neither was answered."""
        checkin = self.latest
        parts = []
        if checkin.minutes_walked is not None:
            parts.append(f"walked {checkin.minutes_walked} min")
        aid = checkin.walking_aid
        if aid == "bed":
            parts.append("mostly in bed")
        elif aid in WALKING_AIDS and aid != "none":
            parts.append(f"with a {WALKING_AIDS[aid].lower()}")
        return ", ".join(parts).capitalize() if parts else None


@dataclass
class Week:
    number: int  # 0 = this week, 1 = last week, ...
    start: date
    end: date
    days: list[Day] = field(default_factory=list)

    @property
    def name(self) -> str:
        return {0: "This week", 1: "Last week"}.get(self.number, f"{self.number} weeks ago")


@dataclass
class Comparison:
    this_week: float | None
    last_week: float | None

    @property
    def verdict(self) -> str | None:
        """'better', 'worse' or 'about the same': the direction only, never a judgement."""
        if self.this_week is None or self.last_week is None:
            return None
        change = self.this_week - self.last_week
        if abs(change) < SAME_WITHIN:
            return "about the same"
        return "better" if change < 0 else "worse"


@dataclass
class History:
    chart: Markup | None
    markers: list[Marker]  # the events inside the chart's weeks
    comparison: Comparison
    weeks: list[Week]
    filter: str
    page: int
    has_older: bool
    total_days: int


def entered_on(checkin: CheckIn, patient: User) -> date:
    """The patient's local date when the check-in was saved (differs for back-dated ones)."""
    return patient.today(checkin.created_at)


def group_days(checkins: list[CheckIn]) -> list[Day]:
    """The check-ins by date, newest date first; within a day, last saved first."""
    by_date: dict[date, list[CheckIn]] = {}
    for checkin in checkins:
        by_date.setdefault(checkin.date, []).append(checkin)
    return [
        Day(d, sorted(items, key=lambda c: (c.created_at, c.id), reverse=True))
        for d, items in sorted(by_date.items(), reverse=True)
    ]


def week_number(day: date, today: date) -> int:
    return max(0, (today - day).days // 7)


def week_average(daily: dict[date, int], end: date) -> float | None:
    """Mean pain of the 7 days ending on `end` (the one 7-day rule, see rolling_mean), to one
    decimal for the sentence "Your average this week: 3.4"."""
    value = rolling_mean(daily, end)
    return None if value is None else round(value, 1)


def markers_for(patient: User) -> list[Marker]:
    profile = patient.profile
    if profile is None:
        return []
    markers = []
    if profile.fracture_date:
        markers.append(Marker(profile.fracture_date, "Fracture"))
    if profile.procedure_date:
        markers.append(Marker(profile.procedure_date, procedure_name(profile.treatment)))
    return markers


def procedure_name(treatment: str | None) -> str:
    """'Kyphoplasty', 'Vertebroplasty' or 'Procedure' (a short word for the chart)."""
    return treatment.capitalize() if treatment in PROCEDURES else "Procedure"


def build_history(
    checkins: list[CheckIn], patient: User, now: datetime, show: str = "all", page: int = 1
) -> History:
    """The chart, the week comparison and one page of weeks, from the patient's check-ins."""
    today = patient.today(now)
    days = group_days(checkins)
    for day in days:
        entered = entered_on(day.latest, patient)
        day.entered = entered if entered != day.date else None
    daily = {day.date: day.latest.pain_avg for day in days}
    start = today - timedelta(days=CHART_DAYS - 1)
    markers = [m for m in markers_for(patient) if start <= m.day <= today]
    chart = trend_svg(daily, start, today, markers)
    comparison = Comparison(
        week_average(daily, today), week_average(daily, today - timedelta(days=7))
    )
    show = show if show in FILTERS else "all"
    wanted = [d for d in days if show == "all" or (d.sign_names if show == "signs" else d.fell)]
    weeks: dict[int, Week] = {}
    for day in wanted:
        n = week_number(day.date, today)
        if n not in weeks:
            end = today - timedelta(days=7 * n)
            weeks[n] = Week(n, end - timedelta(days=6), end)
        weeks[n].days.append(day)
    ordered = [weeks[n] for n in sorted(weeks)]
    page = max(1, page)
    if show == "all":  # filtered lists are short: all of them on one page
        first = (page - 1) * WEEKS_PER_PAGE
        has_older = len(ordered) > first + WEEKS_PER_PAGE
        ordered = ordered[first : first + WEEKS_PER_PAGE]
    else:
        page, has_older = 1, False
    return History(
        chart, markers if chart else [], comparison, ordered, show, page, has_older, len(wanted)
    )
