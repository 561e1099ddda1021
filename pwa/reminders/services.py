"""Reminder decisions, by concern: `settings` (defaults and the settings form), `scheduling`
(when each reminder goes out), `medicines` (the list and doses), `links` (signed links in
notifications and e-mails), `wording` (what a reminder says), `push` (subscriptions).

This module keeps what the home screen shows, and names the others' functions for the code
that imports them from here (the engine, the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    APPOINTMENT_KINDS,
    Appointment,
    CheckIn,
    MedicineDose,
    Reminder,
    User,
)
from .links import (
    ACTION_TOKEN_MAX_AGE,
    action_serializer,
    action_token,
    delivery_for_token,
    off_serializer,
    off_token,
    reminder_for_off_token,
    turn_off,
)
from .medicines import (
    MEDICINE_FIELDS,
    SNOOZE,
    describe_schedule,
    find_dose_reminder,
    find_medicine,
    follow_medicine,
    medicine_form_data,
    medicines,
    record_dose,
    recorded_dose,
    remove_medicine,
    save_medicine,
    snooze,
)
from .push import (
    InvalidSubscription,
    SubscriptionTaken,
    check_endpoint,
    delete_subscription,
    has_push,
    save_subscription,
)
from .schedules import (
    occurrences_between,
    parse_clock,
    to_local,
    wall_to_utc,
)
from .scheduling import (
    GRACE,
    LONG_INTERVAL_GRACE,
    SETTINGS_DEFAULTS,
    alarm_options,
    grace_for,
    is_scheduled_occurrence,
    next_after,
    reschedule,
    schedule_of,
    sync_appointment,
)
from .settings import (
    DEFAULT_CHECKIN_TIME,
    checkin_reminder,
    create_defaults,
    ensure_defaults,
    reschedule_patient,
    save_settings,
    settings_form_data,
)
from .wording import appointment_words, clock_words, reminder_path, reminder_title

__all__ = [
    "ACTION_TOKEN_MAX_AGE",
    "DEFAULT_CHECKIN_TIME",
    "GRACE",
    "LONG_INTERVAL_GRACE",
    "MEDICINE_FIELDS",
    "SETTINGS_DEFAULTS",
    "SNOOZE",
    "HomeItem",
    "InvalidSubscription",
    "SubscriptionTaken",
    "action_serializer",
    "action_token",
    "alarm_options",
    "appointment_words",
    "check_endpoint",
    "checkin_reminder",
    "clock_words",
    "create_defaults",
    "delete_subscription",
    "delivery_for_token",
    "describe_schedule",
    "ensure_defaults",
    "find_dose_reminder",
    "find_medicine",
    "grace_for",
    "has_push",
    "home_items",
    "is_scheduled_occurrence",
    "medicine_form_data",
    "medicines",
    "next_after",
    "off_serializer",
    "off_token",
    "record_dose",
    "recorded_dose",
    "reminder_for_off_token",
    "reminder_path",
    "reminder_title",
    "remove_medicine",
    "follow_medicine",
    "reschedule",
    "reschedule_patient",
    "save_medicine",
    "save_settings",
    "save_subscription",
    "schedule_of",
    "settings_form_data",
    "snooze",
    "sync_appointment",
    "turn_off",
]

HOME_LOOKBACK = timedelta(hours=36)
APPOINTMENT_SOON = timedelta(hours=36)


# --- The home screen ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeItem:
    kind: str  # checkin | medicine | appointment
    state: str  # due | missed | soon
    title: str
    detail: str
    url: str
    at: datetime  # UTC
    reminder_id: int | None = None
    occurrence: str | None = None  # ISO, for the "Taken" form


def home_items(session: Session, patient: User, now: datetime) -> list[HomeItem]:
    """Due and missed reminders, and appointments coming up, for when the app is opened.

    Computed from the schedules themselves, so it is right even when no scheduler runs.
    """
    zone = patient.zone
    today = patient.today(now)
    items: list[HomeItem] = []
    reminders = list(
        session.scalars(
            select(Reminder).where(
                Reminder.user_id == patient.id,
                Reminder.enabled.is_(True),
                Reminder.deleted_at.is_(None),
                Reminder.kind.in_(("checkin", "medicine")),
            )
        )
    )
    for reminder in reminders:
        if reminder.kind != "checkin" or not reminder.times:
            continue
        at = wall_to_utc(today, parse_clock(reminder.times[0]), zone)
        done = session.scalar(
            select(CheckIn.id).where(CheckIn.user_id == patient.id, CheckIn.date == today).limit(1)
        )
        if at <= now and done is None:
            items.append(
                HomeItem(
                    "checkin",
                    "due",
                    "Time for your daily check-in",
                    "It takes about one minute.",
                    "/checkin",
                    at,
                )
            )
    medicine_list = [r for r in reminders if r.kind == "medicine"]
    if medicine_list:
        recorded = {
            (dose.reminder_id, dose.occurrence_at)
            for dose in session.scalars(
                select(MedicineDose).where(
                    MedicineDose.user_id == patient.id,
                    MedicineDose.occurrence_at > now - HOME_LOOKBACK,
                )
            )
        }
        for reminder in medicine_list:
            schedule = schedule_of(reminder)
            if schedule is None:
                continue
            since = max(now - HOME_LOOKBACK, reminder.created_at)
            for occurrence in occurrences_between(schedule, zone, since, now, limit=50):
                if (reminder.id, occurrence) in recorded:
                    continue
                state = "due" if now - occurrence <= grace_for(reminder) else "missed"
                detail = f"{reminder.dose}, " if reminder.dose else ""
                detail += f"{'due' if state == 'due' else 'was due'} at {clock_words(to_local(occurrence, zone).time())}"  # noqa: E501
                if to_local(occurrence, zone).date() != today:
                    detail += " yesterday"
                items.append(
                    HomeItem(
                        "medicine",
                        state,
                        reminder.name or "Medicine",
                        detail,
                        "/reminders",
                        occurrence,
                        reminder.id,
                        occurrence.isoformat(),
                    )
                )
    for appointment in session.scalars(
        select(Appointment)
        .where(
            Appointment.user_id == patient.id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at <= now + APPOINTMENT_SOON,
        )
        .order_by(Appointment.starts_at)
    ):
        detail = APPOINTMENT_KINDS.get(appointment.kind, "Appointment")
        if appointment.with_whom:
            detail += f" with {appointment.with_whom}"
        items.append(
            HomeItem(
                "appointment",
                "soon",
                f"Appointment {appointment_words(appointment, zone, now)}",
                detail,
                f"/appointments/{appointment.uuid}",
                appointment.starts_at,
            )
        )
    order = {"due": 0, "soon": 1, "missed": 2}
    return sorted(items, key=lambda item: (order[item.state], item.at))
