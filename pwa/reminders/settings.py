"""A patient's reminder settings: the defaults of a new account, the settings form, and
moving every reminder when the settings or the time zone change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bone.nudges import bone_reminder, nudge_reminder
from ..models import (
    Appointment,
    Reminder,
    ReminderSettings,
    User,
)
from .schedules import (
    format_clock,
    parse_clock,
)
from .scheduling import SETTINGS_DEFAULTS, reschedule, sync_appointment

DEFAULT_CHECKIN_TIME = "19:00"


JUST_BEFORE = timedelta(microseconds=1)  # schedules are "strictly after": this keeps the moment


def create_defaults(session: Session, patient: User, now: datetime) -> ReminderSettings:
    """Settings and the daily check-in reminder for a new patient (no database reads, so it
    also works while the patient's own row is still being inserted)."""
    settings = ReminderSettings(user=patient, **SETTINGS_DEFAULTS)
    checkin = Reminder(
        user=patient, kind="checkin", enabled=True, frequency="daily", times=[DEFAULT_CHECKIN_TIME]
    )
    # A row not yet inserted may still lack its column default.
    zone = ZoneInfo(patient.timezone or User.__table__.c.timezone.default.arg)
    reschedule(checkin, zone, settings, now)
    session.add_all([settings, checkin])
    return settings


def ensure_defaults(session: Session, patient: User, now: datetime) -> ReminderSettings:
    """The patient's settings, creating the defaults if this account predates reminders."""
    settings = session.scalar(
        select(ReminderSettings).where(ReminderSettings.user_id == patient.id)
    )
    if settings is None:
        settings = create_defaults(session, patient, now)
        session.flush()
    return settings


def checkin_reminder(session: Session, patient: User) -> Reminder | None:
    return session.scalar(
        select(Reminder)
        .where(Reminder.user_id == patient.id, Reminder.kind == "checkin")
        .order_by(Reminder.id)
        .limit(1)
    )


def settings_form_data(settings: ReminderSettings, checkin: Reminder | None) -> dict:
    return {
        "checkin_enabled": bool(checkin and checkin.enabled),
        "checkin_time": parse_clock(checkin.times[0] if checkin else DEFAULT_CHECKIN_TIME),
        "appointment_day_before": settings.appointment_day_before,
        "appointment_day_before_time": settings.appointment_day_before_time,
        "appointment_hours_before_on": settings.appointment_hours_before_on,
        "appointment_hours_before": settings.appointment_hours_before,
        "email_enabled": settings.email_enabled,
        "quiet_enabled": settings.quiet_enabled,
        "quiet_start": settings.quiet_start,
        "quiet_end": settings.quiet_end,
    }


def save_settings(
    session: Session, patient: User, settings: ReminderSettings, values: dict, now: datetime
) -> None:
    """Stores the settings form and moves every reminder of the patient to its new next time."""
    for name in SETTINGS_DEFAULTS:
        if values.get(name) is not None:
            setattr(settings, name, values[name])
    checkin = checkin_reminder(session, patient)
    if checkin is None:
        checkin = Reminder(user=patient, kind="checkin", frequency="daily")
        session.add(checkin)
    checkin.enabled = bool(values["checkin_enabled"])
    if values.get("checkin_time") is not None:
        checkin.times = [format_clock(values["checkin_time"])]
    # Issue 12: the bone-health nudges, on or off, at the check-in reminder's time (their row
    # is made with the profile; here only when switched off before that).
    bone_on = values.get("bone_enabled")
    if bone_reminder(session, patient.id) is not None or bone_on is False:
        nudges = nudge_reminder(session, patient)
        nudges.enabled = bool(nudges.enabled if bone_on is None else bone_on)
    reschedule_patient(session, patient, settings, now)


def reschedule_patient(
    session: Session, patient: User, settings: ReminderSettings, now: datetime
) -> None:
    """Recomputes the next occurrence of each of the patient's reminders (after a settings or
    time-zone change), adding reminders for upcoming appointments that lack one.

    An occurrence already past but not yet sent (held by quiet hours, or due in the seconds
    before the scheduler's next tick) is kept while the new settings still have it: the walk
    starts just before it rather than at `now`. Sending stays once by the delivery log's key."""
    zone = patient.zone
    with session.no_autoflush:
        for reminder in session.scalars(select(Reminder).where(Reminder.user_id == patient.id)):
            pending = reminder.next_occurrence_at
            after = now if pending is None or pending > now else pending - JUST_BEFORE
            reschedule(reminder, zone, settings, after)
        upcoming = session.scalars(
            select(Appointment).where(
                Appointment.user_id == patient.id,
                Appointment.starts_at > now,
                Appointment.cancelled_at.is_(None),
            )
        )
        known = set(
            session.scalars(
                select(Reminder.appointment_id).where(
                    Reminder.user_id == patient.id, Reminder.appointment_id.is_not(None)
                )
            )
        )
        for appointment in upcoming:
            if appointment.id not in known:
                sync_appointment(session, None, appointment, patient, settings, now)
