"""Medicines on the patient's list, their schedules in words, and the doses answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..bone.drugs import find
from ..models import (
    MedicineDose,
    Reminder,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from ..records.medicine import WEEKDAY_NAMES, MedicineRecord
from ..records.types import canonical_uuid
from ..timezones import local_to_utc, utc_to_local
from .followups import book_ahead_weeks, sync_follow_ups
from .schedules import (
    parse_clock,
)
from .scheduling import is_scheduled_occurrence, reschedule
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
        "book_ahead_weeks": book_ahead_weeks(reminder),
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
    # Issue 12: the drug the name means, and the weeks ahead to book (the form's; the API keeps
    # what was there).
    drug = find(reminder.name)
    reminder.drug = drug.code if drug is not None else None
    if "book_ahead_weeks" in values:
        reminder.book_ahead_weeks = values["book_ahead_weeks"]
    reschedule(reminder, patient.zone, settings, now)
    sync_follow_ups(session, patient, reminder, settings, now)
    return reminder


def remove_medicine(session: Session, patient: User, reminder: Reminder, now: datetime) -> None:
    """Stops the reminder; the row stays so the doses recorded for the report stay too. Its
    own reminders stop with it (a stopped denosumab gets "plan the next medicine" instead)."""
    reminder.deleted_at = now
    reminder.enabled = False
    reminder.next_occurrence_at = reminder.next_due_at = None
    follow_medicine(session, patient, reminder, now)


def follow_medicine(session: Session, patient: User, reminder: Reminder, now: datetime) -> None:
    """Keeps a medicine's own reminders in step after it was removed or turned off, or came
    in with an import."""
    settings = session.scalar(
        select(ReminderSettings).where(ReminderSettings.user_id == patient.id)
    )
    sync_follow_ups(session, patient, reminder, settings, now)


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
    taken_at: datetime | None = None,
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
    dose.taken_at = (taken_at or now) if status == "taken" else None
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


# --- The JSON API's medicines (client UUIDs, versions) and doses ------------------------------


class StaleMedicine(Exception):
    """The medicine changed (on another device) since the version the client had."""

    def __init__(self, current: Reminder) -> None:
        super().__init__(f"medicine {current.uuid} is at version {current.version}")
        self.current = current


def find_medicine_by_uuid(
    session: Session, patient: User, uuid: str, *, removed: bool = False
) -> Reminder | None:
    """The patient's own medicine with this client id (removed ones too when `removed`)."""
    key = canonical_uuid(uuid)
    if key is None:
        return None
    query = select(Reminder).where(
        Reminder.user_id == patient.id, Reminder.kind == "medicine", Reminder.uuid == key
    )
    if not removed:
        query = query.where(Reminder.deleted_at.is_(None))
    return session.scalar(query)


def medicine_json(reminder: Reminder) -> dict:
    values = {name: getattr(reminder, name) for name in MEDICINE_FIELDS}
    values["start_date"] = reminder.start_date.isoformat() if reminder.start_date else None
    values["end_date"] = reminder.end_date.isoformat() if reminder.end_date else None
    return {"id": reminder.uuid, "version": reminder.version, **values}


def create_medicine(
    session: Session,
    patient: User,
    uuid: str,
    values: dict,
    settings: ReminderSettings,
    now: datetime,
) -> tuple[Reminder, bool]:
    """Adds the medicine unless this patient already has one with `uuid`; (medicine, created).

    A concurrent request that committed the same UUID first wins: its row is returned.
    """
    existing = find_medicine_by_uuid(session, patient, uuid, removed=True)
    if existing is not None:
        return existing, False
    reminder = Reminder(user_id=patient.id, kind="medicine", uuid=uuid, version=1)
    session.add(reminder)
    try:
        save_medicine(session, patient, reminder, values, settings, now)  # flushes
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = find_medicine_by_uuid(session, patient, uuid, removed=True)
        if existing is None:
            raise
        return existing, False
    return reminder, True


def update_medicine(
    session: Session,
    patient: User,
    reminder: Reminder,
    values: dict,
    version: int,
    settings: ReminderSettings,
    now: datetime,
) -> Reminder:
    """Saves the changes at `version`; raises StaleMedicine when it is not the stored one.

    The version check is part of the UPDATE, so it also holds between two workers.
    """
    if reminder.version != version:
        raise StaleMedicine(reminder)
    result = session.execute(
        update(Reminder)
        .where(Reminder.id == reminder.id, Reminder.version == version)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        session.refresh(reminder)
        raise StaleMedicine(reminder)
    reminder.version = version + 1
    return save_medicine(session, patient, reminder, values, settings, now)


class NotScheduled(ValueError):
    """A dose's `due` that is not an occurrence of its medicine's schedule."""


def answer_dose(
    session: Session,
    patient: User,
    reminder: Reminder,
    uuid: str,
    due: datetime,
    status: str,
    taken_at: datetime | None,
    now: datetime,
) -> MedicineDose:
    """Records a dose answered in the app (local `due` and `taken_at`, naive wall-clock).

    The same scheduled dose answered twice keeps one row (the later answer counts); the first
    client UUID stays its id.
    """
    occurrence = local_to_utc(due.date(), due.time(), patient.timezone)
    if not is_scheduled_occurrence(reminder, patient.zone, occurrence):
        raise NotScheduled(due)
    taken = local_to_utc(taken_at.date(), taken_at.time(), patient.timezone) if taken_at else None
    dose = record_dose(session, reminder, occurrence, status, "app", now, taken_at=taken)
    dose.uuid = dose.uuid or uuid
    return dose


def find_dose(session: Session, patient: User, uuid: str) -> MedicineDose | None:
    return session.scalar(
        select(MedicineDose).where(MedicineDose.user_id == patient.id, MedicineDose.uuid == uuid)
    )


def dose_json(dose: MedicineDose, patient: User) -> dict:
    due = utc_to_local(dose.occurrence_at, patient.timezone)
    taken = utc_to_local(dose.taken_at, patient.timezone) if dose.taken_at else None
    return {
        "id": dose.uuid,
        "medicine_id": dose.reminder.uuid,
        "due": f"{due:%Y-%m-%dT%H:%M}",
        "status": dose.status,
        "taken_at": f"{taken:%Y-%m-%dT%H:%M}" if taken else None,
    }
