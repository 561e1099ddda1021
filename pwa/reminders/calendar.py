"""The phone's own calendar as a reminder channel that works with no connection.

- `/appointments.ics`: the signed-in patient's appointments, each with alarms matching their
  reminder settings (the day before at a time: an absolute trigger; N hours before: relative).
- `/calendar/<token>.ics`: a private subscription link per patient, revocable by making a new
  one, with the appointments and every medicine schedule as a repeating event (RRULE) that
  carries its own alarm.

Times are written in the patient's IANA zone with its VTIMEZONE, so the calendar moves 8:00 am
with the clocks like the engine does (RFC 5545 also moves a skipped time forward by the gap).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event, vRecur
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import APPOINTMENT_KINDS, Appointment, Reminder, ReminderSettings, User
from ..validators import within_date_bounds
from .schedules import parse_clock, schedule_dates, wall_to_utc
from .services import alarm_options, schedule_of

PRODID = "-//Upright//Reminders//EN"
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
APPOINTMENT_LENGTH = timedelta(hours=1)
DOSE_LENGTH = timedelta(minutes=15)


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _alarm(trigger: datetime | timedelta, description: str) -> Alarm:
    """A display alarm; an absolute moment is marked VALUE=DATE-TIME (RFC 5545 3.8.6.3),
    without which calendars read the trigger as a duration and drop or misplace it."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", description)
    if isinstance(trigger, datetime):
        alarm.add("trigger", trigger, parameters={"VALUE": "DATE-TIME"})
    else:
        alarm.add("trigger", trigger)
    return alarm


def appointment_event(
    appointment: Appointment, patient: User, settings: ReminderSettings | None, now: datetime
) -> Event:
    zone = patient.zone
    kind = APPOINTMENT_KINDS.get(appointment.kind, "Appointment")
    start = appointment.starts_at.replace(tzinfo=UTC).astimezone(zone)
    event = Event()
    event.add("uid", f"appointment-{appointment.uuid}@upright")
    event.add("dtstamp", now.replace(tzinfo=UTC))
    event.add("last-modified", appointment.updated_at.replace(tzinfo=UTC))
    event.add("sequence", appointment.version)
    event.add("summary", f"{kind} with {appointment.with_whom}" if appointment.with_whom else kind)
    event.add("dtstart", start)
    event.add("dtend", start + APPOINTMENT_LENGTH)
    if appointment.location:
        event.add("location", appointment.location)
    description = []
    if appointment.phone:
        description.append(f"Phone: {appointment.phone}")
    if appointment.questions:
        description.append("Questions to ask:")
        description.extend(f"- {question}" for question in appointment.questions)
    if appointment.notes:
        description.append(appointment.notes)
    if description:
        event.add("description", "\n".join(description))
    if appointment.cancelled_at is not None:
        event.add("status", "CANCELLED")
        return event
    event.add("status", "CONFIRMED")
    options = alarm_options(settings)
    if options["day_before"] is not None:
        day = start.date() - timedelta(days=1)
        moment = wall_to_utc(day, options["day_before"], zone).replace(tzinfo=UTC)
        event.add_component(_alarm(moment, f"Tomorrow: {kind}"))
    if options["hours_before"]:
        hours = options["hours_before"]
        event.add_component(
            _alarm(-timedelta(hours=hours), f"{kind} in {hours} hour{'s' if hours > 1 else ''}")
        )
    return event


def _patient_appointments(session: Session, patient: User, now: datetime) -> list[Appointment]:
    """Everything from a year back on: recent history stays visible in the calendar."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.user_id == patient.id,
                Appointment.starts_at >= now - timedelta(days=366),
            )
            .order_by(Appointment.starts_at)
        )
    )


def _settings(session: Session, patient: User) -> ReminderSettings | None:
    return session.scalar(select(ReminderSettings).where(ReminderSettings.user_id == patient.id))


def appointments_ics(session: Session, patient: User, now: datetime) -> bytes:
    calendar = _calendar("Upright appointments")
    settings = _settings(session, patient)
    for appointment in _patient_appointments(session, patient, now):
        calendar.add_component(appointment_event(appointment, patient, settings, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


# --- Medicines as repeating events -------------------------------------------------------------


def _month_days(day: int) -> dict:
    """BYMONTHDAY for "the day of the start date, or the last day of a shorter month"."""
    if day <= 28:
        return {"bymonthday": [day]}
    return {"bymonthday": list(range(28, day + 1)), "bysetpos": [-1]}


def medicine_rule(reminder: Reminder, zone) -> vRecur:
    """The RRULE that repeats exactly like the engine's schedule (see schedules.py)."""
    start = reminder.start_date
    assert start is not None  # a medicine is always saved with its first day (MedicineRecord)
    frequency = reminder.frequency
    rule: dict[str, object]
    if frequency == "daily":
        rule = {"freq": "DAILY"}
    elif frequency == "weekly":
        rule = {
            "freq": "WEEKLY",
            "byday": [WEEKDAY_CODES[day] for day in sorted(reminder.weekdays or [])],
        }
    elif frequency == "monthly":
        rule = {"freq": "MONTHLY", **_month_days(start.day)}
    elif frequency == "every_n_months":
        rule = {"freq": "MONTHLY", "interval": reminder.interval_months, **_month_days(start.day)}
    else:
        rule = {"freq": "YEARLY", "bymonth": [start.month]}
        if start.month == 2 and start.day == 29:
            rule.update(_month_days(29))
        else:
            rule["bymonthday"] = [start.day]
    if reminder.end_date is not None and within_date_bounds(reminder.end_date):
        # A last day past 2100 (stored before dates were bounded) repeats without an end:
        # year 9999 in the patient's zone would not even convert to UTC.
        last = wall_to_utc(reminder.end_date, time(23, 59, 59), zone)
        rule["until"] = last.replace(tzinfo=UTC)
    return vRecur(rule)


def medicine_events(reminder: Reminder, patient: User, now: datetime) -> list[Event]:
    schedule = schedule_of(reminder)
    if schedule is None or reminder.start_date is None:
        return []
    first_day = next(iter(schedule_dates(schedule, reminder.start_date)), None)
    if first_day is None:
        return []
    zone = patient.zone
    title = f"Take {reminder.name}" + (f" ({reminder.dose})" if reminder.dose else "")
    events = []
    for text in reminder.times:
        at = parse_clock(text)
        start = datetime.combine(first_day, at).replace(tzinfo=zone)
        event = Event()
        event.add("uid", f"medicine-{reminder.id}-{at:%H%M}@upright")
        event.add("dtstamp", now.replace(tzinfo=UTC))
        event.add("last-modified", reminder.updated_at.replace(tzinfo=UTC))
        event.add("summary", title)
        event.add("dtstart", start)
        event.add("duration", DOSE_LENGTH)
        event.add("rrule", medicine_rule(reminder, zone))
        event.add("transp", "TRANSPARENT")
        event.add_component(_alarm(timedelta(0), title))
        events.append(event)
    return events


def feed_ics(session: Session, patient: User, now: datetime) -> bytes:
    """The private subscription: appointments and medicine schedules."""
    calendar = _calendar("Upright reminders")
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    settings = _settings(session, patient)
    for appointment in _patient_appointments(session, patient, now):
        calendar.add_component(appointment_event(appointment, patient, settings, now))
    medicines = session.scalars(
        select(Reminder).where(
            Reminder.user_id == patient.id,
            Reminder.kind == "medicine",
            Reminder.deleted_at.is_(None),
            Reminder.enabled.is_(True),
        )
    )
    for reminder in medicines:
        for event in medicine_events(reminder, patient, now):
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


# --- The private link --------------------------------------------------------------------------


def new_feed_token(settings: ReminderSettings) -> str:
    """Makes a new private link; the old one stops working at once."""
    settings.calendar_token = secrets.token_urlsafe(32)
    return settings.calendar_token


def revoke_feed(settings: ReminderSettings) -> None:
    settings.calendar_token = None


def patient_for_feed(session: Session, token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    settings = session.scalar(
        select(ReminderSettings).where(ReminderSettings.calendar_token == token)
    )
    return settings.user if settings is not None else None
