"""Page 1's "what changed": the alerts of the period and the pain course beyond start vs now.

CLINICAL.md sections 5 and 7. A start-versus-now label alone hides a relapse, so the pain
course also has the best 7 days (lowest 7-day mean, with its dates), the last 14 days'
direction, pain when moving, and nights with sleep disturbed. Alerts put the most serious
events of the period first, each on its diary day, with what the patient did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Protocol

from ..checkin.services import ROLLING_DAYS, ROLLING_MIN_DAYS
from ..models import PAIN_LOCATIONS
from .adherence import Adherence

MAX_ALERTS = 5
RELAPSE_POINTS = 2  # last 7 days this far above the best 7 days: say so in the verdict
DIRECTION_POINTS = 1  # last 7 vs the 7 before: a change this big is a direction
# Most serious first: emergency and urgent signs, then falls and (issue 12) no bone density scan
# N weeks after the fracture, then new pain locations and late doses seen in the schedule.
ALERT_RANK = {
    "emergency": 0,
    "urgent": 1,
    "fall": 2,
    "no_bone_scan": 3,
    "new_location": 4,
    "medicine_late": 5,
}


class DiaryDay(Protocol):
    """What the summary reads of a diary day (report.services.Day)."""

    @property
    def day(self) -> date: ...
    @property
    def pain(self) -> int: ...
    @property
    def pain_activity(self) -> int | None: ...
    @property
    def sleep_disturbed(self) -> bool | None: ...
    @property
    def locations(self) -> list[str]: ...
    @property
    def fell(self) -> bool | None: ...
    @property
    def fall_injured(self) -> bool | None: ...


class WarningLike(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str | None: ...
    @property
    def tier(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def action(self) -> str | None: ...
    @property
    def entry_deleted(self) -> bool: ...


# --------------------------------------------------------------------------- the pain course


@dataclass(frozen=True)
class Week7:
    start: date
    end: date
    mean: Fraction
    logged: int


@dataclass(frozen=True)
class PainCourse:
    best: Week7 | None
    direction: str | None  # "better" | "worse" | "about the same" | None (too few days)
    direction_points: Fraction | None  # last 7 minus the 7 before
    moving_recent: Fraction | None  # mean pain when moving, last 7 days
    moving_first: Fraction | None  # mean pain when moving, first 7 days of the period
    sleep_disturbed: int
    sleep_answered: int


def best_week(days: Mapping[date, DiaryDay], first: date, last: date) -> Week7 | None:
    """The lowest 7-day mean ending on a day of the period (3 or more logged days); earliest
    on a tie, so "the week of 5 Nov" is the first time pain was that low."""
    best: Week7 | None = None
    day = first
    while day <= last:
        window = [days[d].pain for d in _window(day) if d in days]
        if len(window) >= ROLLING_MIN_DAYS:
            mean = Fraction(sum(window), len(window))
            if best is None or mean < best.mean:
                best = Week7(day - timedelta(days=ROLLING_DAYS - 1), day, mean, len(window))
        day += timedelta(days=1)
    return best


def _window(end: date) -> Iterable[date]:
    return (end - timedelta(days=i) for i in range(ROLLING_DAYS))


def pain_course(days: Mapping[date, DiaryDay], first: date, last: date) -> PainCourse:
    recent = [days[d] for d in _window(last) if d in days]
    before = [days[d] for d in _window(last - timedelta(days=ROLLING_DAYS)) if d in days]
    start_week = [d for d in days.values() if first <= d.day < first + timedelta(days=7)]
    in_period = [d for d in days.values() if first <= d.day <= last]
    direction = points = None
    if len(recent) >= ROLLING_MIN_DAYS and len(before) >= ROLLING_MIN_DAYS:
        points = _mean([d.pain for d in recent]) - _mean([d.pain for d in before])
        direction = (
            "worse"
            if points >= DIRECTION_POINTS
            else "better"
            if points <= -DIRECTION_POINTS
            else "about the same"
        )
    sleep = [d.sleep_disturbed for d in in_period if d.sleep_disturbed is not None]
    return PainCourse(
        best=best_week(days, first, last),
        direction=direction,
        direction_points=points,
        moving_recent=_mean_of(d.pain_activity for d in recent),
        moving_first=_mean_of(d.pain_activity for d in start_week),
        sleep_disturbed=sum(1 for answer in sleep if answer),
        sleep_answered=len(sleep),
    )


def worse_than_best(recent: Fraction | None, best: Week7 | None) -> bool:
    """The last 7 days are 2 or more points above the best 7 days: a relapse to explain."""
    return recent is not None and best is not None and recent - best.mean >= RELAPSE_POINTS


def _mean(values: list[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _mean_of(values: Iterable[int | None]) -> Fraction | None:
    answered = [v for v in values if v is not None]
    return _mean(answered) if answered else None


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    day: date
    tier: str  # emergency | urgent | routine
    code: str  # a warning sign's code, or fall | new_location | medicine_late | no_bone_scan
    label: str
    action: str | None
    rank: int


def alerts(
    events: Iterable[WarningLike],
    days: Mapping[date, DiaryDay],
    adherence: Iterable[Adherence],
    first: date,
    also: Iterable[Alert] = (),
) -> list[Alert]:
    """Every alert of the period, most serious first (latest first within a kind); `also`:
    alerts found elsewhere (the bone-health box's missing scan)."""
    found: list[Alert] = list(also)
    for event in events:
        if event.kind != "warning" or event.entry_deleted or event.tier not in ALERT_RANK:
            continue
        tier = event.tier or "urgent"
        code = event.code or event.text
        found.append(Alert(event.day, tier, code, event.text, event.action, ALERT_RANK[tier]))
    found += _falls(days, first)
    found += _new_locations(days, first)
    found = _with_late_medicines(found, _late_medicines(adherence))
    found.sort(key=lambda a: (a.rank, -a.day.toordinal()))
    return _one_line_per_kind(found)


def _one_line_per_kind(found: list[Alert]) -> list[Alert]:
    """The same sign (or falls) on several days is one line: its latest day, and how many."""
    lines: dict[tuple[str, str], list[Alert]] = {}
    for alert in found:
        key = (alert.code, alert.label) if alert.code == "new_location" else (alert.code, "")
        lines.setdefault(key, []).append(alert)
    merged = []
    for same in lines.values():
        latest = same[0]
        if len(same) > 1:
            earlier = ", ".join(f"{a.day.day} {a.day:%b}" for a in same[1:4])
            more = " ..." if len(same) > 4 else ""
            label = f"{latest.label} (also {earlier}{more})"
            latest = replace(latest, label=label)
        merged.append(latest)
    return merged


def _falls(days: Mapping[date, DiaryDay], first: date) -> list[Alert]:
    return [
        Alert(
            d.day,
            "urgent" if d.fall_injured else "routine",
            "fall",
            "Fall, injured" if d.fall_injured else "Fall",
            None,
            ALERT_RANK["fall"],
        )
        for d in days.values()
        if d.fell and d.day >= first
    ]


def _new_locations(days: Mapping[date, DiaryDay], first: date) -> list[Alert]:
    """A pain location not reported on the first logged day of the period, on its first day."""
    ordered = sorted((d for d in days.values() if d.day >= first), key=lambda d: d.day)
    if not ordered:
        return []
    known = set(ordered[0].locations or [])
    rank = ALERT_RANK["new_location"]
    found = []
    for d in ordered[1:]:
        for code in d.locations or []:
            if code not in known:
                known.add(code)
                label = f"New pain location: {PAIN_LOCATIONS.get(code, code).lower()}"
                found.append(Alert(d.day, "urgent", "new_location", label, None, rank))
    return found


def _with_late_medicines(found: list[Alert], late: list[Alert]) -> list[Alert]:
    """The app's computed `medicine_late` sign (an urgent row with its day) says which doses
    are late when the schedule shows them; without the sign, the schedule's late doses are
    alerts of their own."""
    signs = [alert for alert in found if alert.code == "medicine_late"]
    if not signs or not late:
        return found + late
    which = "; ".join(alert.label for alert in late)
    return [
        replace(alert, label=f"{alert.label} ({which})") if alert in signs else alert
        for alert in found
    ]


def _late_medicines(adherence: Iterable[Adherence]) -> list[Alert]:
    found = []
    for line in adherence:
        if not line.long_interval or not line.late_doses:
            continue
        day = line.late_doses[-1]
        what = "late" if line.late and not line.missed else "not recorded as taken"
        label = f"{line.name}: the dose due {day.day} {day:%b %Y} is {what}"
        tier = "routine" if line.frequency == "monthly" else "urgent"
        found.append(Alert(day, tier, "medicine_late", label, None, ALERT_RANK["medicine_late"]))
    return found
