"""When reminders happen: pure date arithmetic in the patient's IANA zone, no database.

A schedule names local dates (every day, chosen weekdays, a day each month...) and wall-clock
times. Each (local date, time) pair is one occurrence, turned into a single UTC instant:

- a time the clock skips (02:30 on the spring-forward night) happens once, at the moment the
  clock shows after the jump (03:30), like RFC 5545 and `pwa.timezones.local_to_utc`;
- a time the clock shows twice (01:30 on the autumn night) happens once, the first time.

Enumerating by local date, rather than "the next time the clock shows 19:00", is what makes
both hold, and it keeps 19:00 at 19:00 on either side of a change.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..timezones import local_to_utc as wall_to_utc
from ..timezones import utc_to_local as to_local

FREQUENCIES = ("daily", "weekly", "monthly", "every_n_months", "yearly")
MONTH_STEPS = {"monthly": 1, "yearly": 12}
# Looking further than this for the next occurrence means there is none (a schedule past its
# end date, or weekdays never matching): a bound that keeps every search finite.
SEARCH_DAYS = 366 * 30


@dataclass(frozen=True)
class Schedule:
    """Local dates and wall-clock times. Monthly, every-N-months and yearly schedules repeat on
    the day of `start` (the 31st becomes the last day of shorter months; 29 February the 28th).
    """

    frequency: str
    times: tuple[time, ...]
    start: date | None = None
    end: date | None = None
    weekdays: frozenset[int] = field(default_factory=frozenset)  # 0 = Monday
    interval_months: int = 1

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if not self.times:
            raise ValueError("a schedule needs at least one time of day")
        if self.frequency in ("monthly", "every_n_months", "yearly") and self.start is None:
            raise ValueError(f"a {self.frequency} schedule needs a start date")

    @property
    def month_step(self) -> int:
        return MONTH_STEPS.get(self.frequency, max(1, self.interval_months))


def parse_clock(text: str) -> time:
    """A stored time of day, "HH:MM" as format_clock wrote it. What a patient types goes
    through the one parser of hand-typed times, records.types.parse_clock, first."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def format_clock(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(anchor: date, months: int) -> date:
    index = anchor.year * 12 + anchor.month - 1 + months
    return _clamped(index // 12, index % 12 + 1, anchor.day)


def add_months(anchor: date, months: int) -> date:
    """The same day `months` months on (the 31st becomes the last day of a shorter month)."""
    return _add_months(anchor, months)


def schedule_dates(schedule: Schedule, first: date) -> Iterator[date]:
    """The schedule's local dates on or after `first`, in order, up to its end date."""
    begin = max(first, schedule.start) if schedule.start else first
    end = schedule.end
    if schedule.frequency in ("daily", "weekly"):
        if schedule.frequency == "weekly" and not schedule.weekdays:
            return
        day = begin
        while end is None or day <= end:
            if schedule.frequency == "daily" or day.weekday() in schedule.weekdays:
                yield day
            day += timedelta(days=1)
        return
    anchor, step = schedule.start, schedule.month_step
    assert anchor is not None  # a month-based schedule has a start (checked in __post_init__)
    elapsed = (begin.year - anchor.year) * 12 + begin.month - anchor.month
    k = max(0, elapsed // step - 1)
    while True:
        day = _add_months(anchor, k * step)
        if end is not None and day > end:
            return
        if day >= begin:
            yield day
        k += 1


def _instants_on(schedule: Schedule, day: date, zone: ZoneInfo) -> list[datetime]:
    return sorted({wall_to_utc(day, at, zone) for at in schedule.times})


def next_occurrence(schedule: Schedule, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after` (naive UTC), or None when none is left.

    A skipped time pushed forward can land after a later time of the same night, so the
    candidates of a date are compared, not assumed sorted by their wall-clock times; the day
    after is looked at too, in case a gap pushed a late time across midnight.
    """
    first = to_local(after, zone).date() - timedelta(days=1)
    best: datetime | None = None
    best_day: date | None = None
    for day in schedule_dates(schedule, first):
        if best_day is not None and day > best_day + timedelta(days=1):
            break
        if (day - first).days > SEARCH_DAYS:
            break
        for instant in _instants_on(schedule, day, zone):
            if instant > after and (best is None or instant < best):
                best, best_day = instant, day
    return best


def occurrences_between(
    schedule: Schedule, zone: ZoneInfo, after: datetime, until: datetime, limit: int = 1000
) -> list[datetime]:
    """Occurrences in (after, until], in order."""
    found: list[datetime] = []
    moment: datetime | None = after
    while len(found) < limit and moment is not None:
        moment = next_occurrence(schedule, zone, moment)
        if moment is None or moment > until:
            break
        found.append(moment)
    return found


# --- Issue 12: ahead of a dose ("book your next dose") ------------------------------------------


def weeks_before(moment: datetime, zone: ZoneInfo, weeks: int) -> datetime:
    """The same wall-clock time `weeks` weeks before `moment` (naive UTC), in the patient's zone."""
    local = to_local(moment, zone)
    return wall_to_utc(
        local.date() - timedelta(weeks=weeks), local.time().replace(tzinfo=None), zone
    )


def next_ahead(schedule: Schedule, zone: ZoneInfo, weeks: int, after: datetime) -> datetime | None:
    """The first moment strictly after `after` that is `weeks` weeks before an occurrence."""
    dose = next_occurrence(schedule, zone, after)
    for _ in range(MAX_AHEAD_STEPS):
        if dose is None:
            return None
        moment = weeks_before(dose, zone, weeks)
        if moment > after:
            return moment
        dose = next_occurrence(schedule, zone, dose)
    return None


MAX_AHEAD_STEPS = 400  # doses looked at; a long-interval schedule needs two or three


# --- Quiet hours -------------------------------------------------------------------------------


def in_quiet_hours(at: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end  # across midnight, e.g. 22:00 to 07:00


def quiet_clashes(times: list[time | None], start: time, end: time) -> list[time]:
    """The times of day inside quiet hours: their reminders wait until the quiet hours end."""
    return [at for at in times if isinstance(at, time) and in_quiet_hours(at, start, end)]


def after_quiet_hours(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`moment` (naive UTC), or the end of the quiet hours it falls in."""
    local = to_local(moment, zone)
    wall = local.time().replace(tzinfo=None)
    if not in_quiet_hours(wall, start, end):
        return moment
    day = local.date()
    if start > end and wall >= start:
        day += timedelta(days=1)
    return max(moment, wall_to_utc(day, end, zone))


# --- Appointments ------------------------------------------------------------------------------


def appointment_alarms(
    starts_at: datetime,
    zone: ZoneInfo,
    *,
    day_before: time | None,
    hours_before: int | None,
) -> list[datetime]:
    """The reminder moments (naive UTC) for an appointment: the day before at a time of day,
    and a number of hours before. Only moments before the start count; equal ones merge."""
    alarms = set()
    if day_before is not None:
        local_day = to_local(starts_at, zone).date() - timedelta(days=1)
        alarms.add(wall_to_utc(local_day, day_before, zone))
    if hours_before:
        alarms.add(starts_at - timedelta(hours=hours_before))
    return sorted(moment for moment in alarms if moment < starts_at)
