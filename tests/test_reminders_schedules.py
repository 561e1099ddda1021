"""Occurrences in the patient's IANA zone, checked over every zone and many dates (hypothesis).

The rules (schedules.py): one occurrence per scheduled local date and time; a time the clock
shows is kept exactly (the first time, when the clock shows it twice); a time the clock skips
moves forward by the size of the gap (RFC 5545). The oracle for "the clock shows it / skips
it" is dateutil's own time-zone code, independent of the engine's zoneinfo arithmetic.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import tz as dateutil_tz
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pwa.reminders.schedules import (
    Schedule,
    after_quiet_hours,
    appointment_alarms,
    in_quiet_hours,
    next_occurrence,
    occurrences_between,
    to_local,
    wall_to_utc,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
zones = st.timezone_keys()
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2037, 12, 31))
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 29, 30, 45, 59]))
DST_ZONES = [
    "America/New_York", "Europe/Berlin", "Europe/London", "Australia/Sydney",
    "America/Santiago", "Pacific/Auckland", "Asia/Tehran", "Australia/Lord_Howe",
]  # fmt: skip


def expected_instant(day: date, at: time, zone: str) -> datetime:
    """The oracle, with dateutil: the wall time if the clock shows it (the first time if
    twice), else moved forward by the gap."""
    tzinfo = dateutil_tz.gettz(zone)
    wall = datetime.combine(day, at).replace(tzinfo=tzinfo)
    wall = dateutil_tz.resolve_imaginary(wall)
    return wall.astimezone(UTC).replace(tzinfo=None)


def step(schedule: Schedule, zone: ZoneInfo, start: datetime, count: int) -> list[datetime]:
    """What the engine does: from one occurrence to the next."""
    found, moment = [], start
    for _ in range(count):
        moment = next_occurrence(schedule, zone, moment)
        if moment is None:
            break
        found.append(moment)
    return found


@PROPERTY
@given(zone=zones, first=days, at=times)
def test_daily_occurrences_are_the_wall_time_once_per_day_in_any_zone(zone, first, at):
    tzinfo = ZoneInfo(zone)
    start = wall_to_utc(first, time(0, 0), tzinfo) - timedelta(days=1)
    found = step(Schedule("daily", (at,)), tzinfo, start, 12)
    assert found == sorted(set(found)), "strictly increasing, never doubled"
    nearby = [first + timedelta(days=n) for n in range(-2, 16)]
    expected = sorted({expected_instant(day, at, zone) for day in nearby})
    expected = [moment for moment in expected if moment > start][: len(found)]
    assert found == expected


@PROPERTY
@given(zone=st.sampled_from(DST_ZONES), year=st.integers(1996, 2037), at=times)
def test_around_every_clock_change_a_daily_reminder_comes_once_a_day(zone, year, at):
    """The whole year, in zones with daylight saving: 365 or 366 reminders, one per date."""
    tzinfo = ZoneInfo(zone)
    start = wall_to_utc(date(year, 1, 1), time(0, 0), tzinfo)
    end = wall_to_utc(date(year + 1, 1, 1), time(0, 0), tzinfo) - timedelta(seconds=1)
    found = occurrences_between(Schedule("daily", (at,)), tzinfo, start - timedelta(seconds=1), end)
    dates = [to_local(moment, tzinfo).date() for moment in found]
    assert len(found) == (366 if calendar.isleap(year) else 365)
    assert len(set(dates)) == len(dates)
    for moment, day in zip(found, dates, strict=True):
        wall = to_local(moment, tzinfo)
        if wall.time().replace(tzinfo=None) != at:  # only a skipped time may move
            assert expected_instant(day, at, zone) == moment
            assert wall.time().replace(tzinfo=None) > at


@PROPERTY
@given(zone=zones, first=days, at=times, moment_offset=st.integers(0, 10 * 24 * 3600))
def test_the_next_occurrence_from_any_moment_is_the_first_one_after_it(
    zone, first, at, moment_offset
):
    tzinfo = ZoneInfo(zone)
    schedule = Schedule("daily", (at, time(20, 0)))
    start = wall_to_utc(first, time(0, 0), tzinfo)
    all_found = step(schedule, tzinfo, start, 30)
    moment = start + timedelta(seconds=moment_offset)
    assume(all_found and moment < all_found[-1])
    assert next_occurrence(schedule, tzinfo, moment) == min(o for o in all_found if o > moment)


def test_0230_on_the_new_york_spring_forward_night_is_0330_and_0130_in_autumn_is_the_first():
    zone = ZoneInfo("America/New_York")
    spring = step(Schedule("daily", (time(2, 30),)), zone, datetime(2031, 3, 8, 12), 3)
    assert [to_local(o, zone).strftime("%m-%d %H:%M %Z") for o in spring] == [
        "03-09 03:30 EDT",  # the clock jumps from 02:00 to 03:00: once, just after
        "03-10 02:30 EDT",
        "03-11 02:30 EDT",
    ]
    autumn = step(Schedule("daily", (time(1, 30),)), zone, datetime(2031, 11, 1, 12), 3)
    assert [to_local(o, zone).strftime("%m-%d %H:%M %Z") for o in autumn] == [
        "11-02 01:30 EDT",  # 01:30 happens twice that night: only the first
        "11-03 01:30 EST",
        "11-04 01:30 EST",
    ]


@PROPERTY
@given(
    zone=zones,
    anchor=days,
    frequency=st.sampled_from(["weekly", "monthly", "every_n_months", "yearly"]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    months=st.integers(2, 12),
    at=times,
)
def test_weekly_monthly_and_yearly_dates_follow_their_rule(
    zone, anchor, frequency, weekdays, months, at
):
    tzinfo = ZoneInfo(zone)
    schedule = Schedule(frequency, (at,), start=anchor, weekdays=weekdays, interval_months=months)
    found = step(schedule, tzinfo, wall_to_utc(anchor, time(0), tzinfo) - timedelta(days=2), 8)
    assert len(found) == 8 and found == sorted(set(found))
    for moment in found:
        day = to_local(moment, tzinfo).date()
        # A skipped time can move a late-evening dose past midnight: judge by the schedule date.
        scheduled = day if expected_instant(day, at, zone) == moment else day - timedelta(days=1)
        assert scheduled >= anchor
        last_day = calendar.monthrange(scheduled.year, scheduled.month)[1]
        if frequency == "weekly":
            assert scheduled.weekday() in weekdays
        else:
            assert scheduled.day == min(anchor.day, last_day)
            elapsed = (scheduled.year - anchor.year) * 12 + scheduled.month - anchor.month
            step_months = {"monthly": 1, "yearly": 12}.get(frequency, months)
            assert elapsed % step_months == 0


def test_a_schedule_stops_after_its_end_date_and_starts_on_its_start_date():
    zone = ZoneInfo("Europe/Paris")
    schedule = Schedule("daily", (time(9),), start=date(2031, 5, 1), end=date(2031, 5, 3))
    found = step(schedule, zone, datetime(2031, 1, 1), 10)
    assert [to_local(o, zone).date().day for o in found] == [1, 2, 3]


def test_the_31st_becomes_the_last_day_of_shorter_months_and_29_february_the_28th():
    zone = ZoneInfo("UTC")
    monthly = step(Schedule("monthly", (time(9),), start=date(2031, 1, 31)), zone,
                   datetime(2031, 1, 1), 4)  # fmt: skip
    assert [o.date() for o in monthly] == [
        date(2031, 1, 31), date(2031, 2, 28), date(2031, 3, 31), date(2031, 4, 30)
    ]  # fmt: skip
    yearly = step(Schedule("yearly", (time(9),), start=date(2028, 2, 29)), zone,
                  datetime(2028, 1, 1), 5)  # fmt: skip
    assert [o.date() for o in yearly] == [
        date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28),
        date(2032, 2, 29),
    ]  # fmt: skip
    six_monthly = step(Schedule("every_n_months", (time(9),), start=date(2031, 8, 31),
                                interval_months=6), zone, datetime(2031, 1, 1), 3)  # fmt: skip
    assert [o.date() for o in six_monthly] == [
        date(2031, 8, 31), date(2032, 2, 29), date(2032, 8, 31)
    ]  # fmt: skip


@PROPERTY
@given(
    zone=zones, day=days, at=times, quiet_start=times, quiet_end=times,
)  # fmt: skip
def test_quiet_hours_hold_a_reminder_to_their_end_and_never_send_inside_them(
    zone, day, at, quiet_start, quiet_end
):
    assume(quiet_start != quiet_end)
    tzinfo = ZoneInfo(zone)
    moment = wall_to_utc(day, at, tzinfo)
    due = after_quiet_hours(moment, tzinfo, quiet_start, quiet_end)
    assert moment <= due <= moment + timedelta(hours=27)
    wall = to_local(moment, tzinfo).time().replace(tzinfo=None)
    if not in_quiet_hours(wall, quiet_start, quiet_end):
        assert due == moment
    else:
        due_wall = to_local(due, tzinfo).time().replace(tzinfo=None)
        # At the end of quiet hours: their end time, or just after it if the clock skipped it.
        assert not in_quiet_hours(due_wall, quiet_start, quiet_end) or due_wall == quiet_end


@PROPERTY
@given(zone=zones, day=days, at=times, day_before=times, hours=st.integers(1, 48))
def test_appointment_alarms_are_before_the_start_and_never_doubled(
    zone, day, at, day_before, hours
):
    tzinfo = ZoneInfo(zone)
    starts_at = wall_to_utc(day, at, tzinfo)
    alarms = appointment_alarms(starts_at, tzinfo, day_before=day_before, hours_before=hours)
    assert alarms == sorted(set(alarms)) and all(alarm < starts_at for alarm in alarms)
    assert starts_at - timedelta(hours=hours) in alarms
    assert 1 <= len(alarms) <= 2
