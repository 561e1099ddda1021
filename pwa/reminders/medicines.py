"""Medicines on the patient's list, their schedules in words, and the doses answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    MedicineDose,
    Reminder,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from ..records.medicine import WEEKDAY_NAMES, MedicineRecord
from .schedules import (
    parse_clock,
)
from .scheduling import reschedule
from .wording import clock_words

MEDICINE_FIELDS = tuple(MedicineRecord.model_fields)
SNOOZE = timedelta(hours=1)


def medicines(session: Session, patient: User) -> list[Reminder]:
    return list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.user_id == patient.id,
                Reminder.kind == "medicine",
                Reminder.deleted_at.is_(None),
            )
            .order_by(Reminder.name, Reminder.id)
        )
    )


def find_medicine(session: Session, patient: User, reminder_id: int) -> Reminder | None:
    """The patient's own medicine reminder, or None (another patient's counts as missing)."""
    return session.scalar(
        select(Reminder).where(
            Reminder.id == reminder_id,
            Reminder.user_id == patient.id,
            Reminder.kind == "medicine",
            Reminder.deleted_at.is_(None),
        )
    )


def medicine_form_data(reminder: Reminder) -> dict:
    """A medicine as its form shows it: the list of times in four boxes."""
    times = [parse_clock(text) for text in reminder.times] + [None] * 4
    return {
        "name": reminder.name,
        "dose": reminder.dose,
        "frequency": reminder.frequency,
        "time_1": times[0],
        "time_2": times[1],
        "time_3": times[2],
        "time_4": times[3],
        "weekdays": [str(day) for day in reminder.weekdays or []],
        "interval_months": reminder.interval_months,
        "start_date": reminder.start_date,
        "end_date": reminder.end_date,
    }


def save_medicine(
    session: Session,
    patient: User,
    reminder: Reminder | None,
    values: dict,
    settings: ReminderSettings,
    now: datetime,
) -> Reminder:
    """Adds or changes a medicine reminder from valid MedicineRecord values; returns it."""
    if reminder is None:
        reminder = Reminder(user_id=patient.id, kind="medicine")
        session.add(reminder)
    checked = MedicineRecord.model_validate(values)  # times as "HH:MM", sorted, distinct
    for name in MEDICINE_FIELDS:
        setattr(reminder, name, getattr(checked, name))
    reminder.enabled = values.get("enabled", True)
    reschedule(reminder, patient.zone, settings, now)
    return reminder


def remove_medicine(reminder: Reminder, now: datetime) -> None:
    """Stops the reminder; the row stays so the doses recorded for the report stay too."""
    reminder.deleted_at = now
    reminder.enabled = False
    reminder.next_occurrence_at = reminder.next_due_at = None


def describe_schedule(reminder: Reminder) -> str:
    """The schedule in plain words: "Every day at 8:00 am and 8:00 pm"."""
    times = " and ".join(clock_words(parse_clock(text)) for text in reminder.times)
    start = reminder.start_date
    assert start is not None  # a medicine is always saved with its first day (MedicineRecord)
    if reminder.frequency == "daily":
        text = f"Every day at {times}"
    elif reminder.frequency == "weekly":
        days = [WEEKDAY_NAMES[day] for day in sorted(reminder.weekdays or [])]
        text = f"Every {', '.join(days)} at {times}"
    elif reminder.frequency == "monthly":
        text = f"Every month on day {start.day} at {times}"
    elif reminder.frequency == "every_n_months":
        text = f"Every {reminder.interval_months} months from {start:%-d %B %Y} at {times}"
    else:
        text = f"Every year on {start:%-d %B} at {times}"
    if reminder.end_date:
        text += f", until {reminder.end_date:%-d %B %Y}"
    return text


def record_dose(
    session: Session,
    reminder: Reminder,
    occurrence_at: datetime,
    status: str,
    source: str,
    now: datetime,
) -> MedicineDose:
    """Records a scheduled dose as taken or skipped; the same dose twice keeps one row.

    Two taps at once (two phones, a double tap) both find no row; the unique key lets one
    insert win and the other updates the row it made, as a later tap would. The insert runs
    in a savepoint so losing the race undoes nothing else in the session.
    """
    dose = recorded_dose(session, reminder.id, occurrence_at)
    if dose is None:
        dose = MedicineDose(
            user_id=reminder.user_id,
            reminder_id=reminder.id,
            occurrence_at=occurrence_at,
            status=status,
            source=source,
            recorded_at=now,
        )
        try:
            with session.begin_nested():
                session.add(dose)
        except IntegrityError:
            dose = recorded_dose(session, reminder.id, occurrence_at)
            if dose is None:
                raise
    dose.status, dose.source, dose.recorded_at = status, source, now
    return dose


def recorded_dose(
    session: Session, reminder_id: int, occurrence_at: datetime
) -> MedicineDose | None:
    return session.scalar(
        select(MedicineDose).where(
            MedicineDose.reminder_id == reminder_id, MedicineDose.occurrence_at == occurrence_at
        )
    )


def snooze(delivery: ReminderDelivery, now: datetime) -> None:
    """Sends the same reminder again in an hour, under the same delivery key."""
    delivery.status = "snoozed"
    delivery.next_attempt_at = now + SNOOZE


def find_dose_reminder(session: Session, patient: User, reminder_id: int) -> Reminder | None:
    """A medicine reminder of this patient, even one removed since (its doses still count)."""
    return session.scalar(
        select(Reminder).where(
            Reminder.id == reminder_id, Reminder.user_id == patient.id, Reminder.kind == "medicine"
        )
    )
