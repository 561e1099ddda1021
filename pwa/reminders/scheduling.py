"""When each reminder next goes out: its schedule, quiet hours, appointment alarms, grace.

Pure arithmetic lives in schedules.py; this module applies it to Reminder rows.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ..bone import nudges as bone_nudges  # issue 12: the module, as it imports ours
from ..models import (
    Appointment,
    Reminder,
    ReminderSettings,
    User,
)
from .schedules import (
    Schedule,
    after_quiet_hours,
    appointment_alarms,
    next_ahead,
    next_occurrence,
    occurrences_between,
    parse_clock,
)

SETTINGS_DEFAULTS = {
    "appointment_day_before": True,
    "appointment_day_before_time": time(18, 0),
    "appointment_hours_before_on": True,
    "appointment_hours_before": 2,
    "email_enabled": True,
    "quiet_enabled": False,
    "quiet_start": time(22, 0),
    "quiet_end": time(7, 0),
}

# How late a reminder may still go out after a scheduler outage; later it is recorded missed.
GRACE = {
    "checkin": timedelta(hours=3),
    "medicine": timedelta(hours=2),
    "appointment": timedelta(hours=6),
    "bone": timedelta(hours=12),  # issue 12: a bone-health nudge half a day late still helps
    # Issue 12: weeks ahead of a dose or a course's end, a day late still helps.
    "book_ahead": timedelta(hours=24),
    "course_end": timedelta(hours=24),
}
LONG_INTERVAL_GRACE = timedelta(hours=12)  # monthly and rarer medicines: a day late still helps


def schedule_of(reminder: Reminder) -> Schedule | None:
    if reminder.kind in ("appointment", bone_nudges.KIND) or not reminder.times:
        return None
    times = tuple(parse_clock(text) for text in reminder.times)
    if reminder.kind == "checkin":
        return Schedule("daily", times)
    return Schedule(
        reminder.frequency,
        times,
        start=reminder.start_date,
        end=reminder.end_date,
        weekdays=frozenset(reminder.weekdays or ()),
        interval_months=reminder.interval_months or 1,
    )


def _quiet(settings: ReminderSettings | None, moment: datetime, zone: ZoneInfo) -> datetime:
    if settings is None or not settings.quiet_enabled:
        return moment
    return after_quiet_hours(moment, zone, settings.quiet_start, settings.quiet_end)


def sent_at(settings: ReminderSettings | None, moment: datetime, zone: ZoneInfo) -> datetime:
    """When a reminder for `moment` goes out: then, or when the patient's quiet hours end."""
    return _quiet(settings, moment, zone)


def next_after(
    reminder: Reminder, zone: ZoneInfo, settings: ReminderSettings | None, after: datetime
) -> tuple[datetime | None, datetime | None]:
    """(next occurrence, when it is sent) strictly after `after`, or (None, None)."""
    if not reminder.enabled or reminder.deleted_at is not None:
        return None, None
    if reminder.kind == "appointment":
        appointment = reminder.appointment
        if appointment is None or appointment.cancelled_at is not None:
            return None, None
        alarms = [
            alarm
            for alarm in appointment_alarms(appointment.starts_at, zone, **alarm_options(settings))
            if alarm > after
        ]
        if not alarms:
            return None, None
        occurrence = alarms[0]
        due = _quiet(settings, occurrence, zone)
        # Quiet hours never hold an appointment reminder past the appointment itself.
        return occurrence, (due if due < appointment.starts_at else occurrence)
    if reminder.kind == bone_nudges.KIND:  # issue 12: 2, 6, 12 and 16 weeks after the fracture
        nudge = bone_nudges.next_nudge(reminder, zone, after)
        return (nudge, _quiet(settings, nudge, zone)) if nudge else (None, None)
    schedule = schedule_of(reminder)
    if schedule is None:
        return None, None
    if reminder.kind == "book_ahead":  # issue 12: weeks before each of its medicine's doses
        upcoming = next_ahead(schedule, zone, reminder.book_ahead_weeks or 0, after)
    else:
        upcoming = next_occurrence(schedule, zone, after)
    if upcoming is None:
        return None, None
    return upcoming, _quiet(settings, upcoming, zone)


def reschedule(
    reminder: Reminder, zone: ZoneInfo, settings: ReminderSettings | None, after: datetime
) -> None:
    reminder.next_occurrence_at, reminder.next_due_at = next_after(reminder, zone, settings, after)


def alarm_options(settings: ReminderSettings | None) -> dict:
    values = settings or ReminderSettings(**SETTINGS_DEFAULTS)
    return {
        "day_before": (
            values.appointment_day_before_time if values.appointment_day_before else None
        ),
        "hours_before": (
            values.appointment_hours_before if values.appointment_hours_before_on else None
        ),
    }


def grace_for(reminder: Reminder) -> timedelta:
    if reminder.kind == "medicine" and reminder.frequency in (
        "monthly",
        "every_n_months",
        "yearly",
    ):
        return LONG_INTERVAL_GRACE
    return GRACE[reminder.kind]


def sync_appointment(
    session: Session,
    reminder: Reminder | None,
    appointment: Appointment,
    patient: User,
    settings: ReminderSettings | None,
    now: datetime,
) -> Reminder:
    """Creates or updates the reminder of one appointment after it was added or changed.

    Alarms before the change are not sent (a past appointment typed in for the record must not
    produce a burst of "missed" reminders); alarms from the change on are.
    """
    if reminder is None:
        reminder = Reminder(user_id=patient.id, kind="appointment", enabled=True)
        reminder.appointment = appointment
        session.add(reminder)
    since = min(now, max(appointment.updated_at or now, now - GRACE["appointment"]))
    reschedule(reminder, patient.zone, settings, since)
    reminder.source_updated_at = appointment.updated_at
    return reminder


def is_scheduled_occurrence(reminder: Reminder, zone: ZoneInfo, occurrence: datetime) -> bool:
    """Whether `occurrence` is one of the reminder's own moments (guards the "Taken" form)."""
    schedule = schedule_of(reminder)
    if schedule is None:
        return False
    found = occurrences_between(schedule, zone, occurrence - timedelta(seconds=1), occurrence, 1)
    return found == [occurrence]
