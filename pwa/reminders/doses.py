"""Doses where the patient is: today's due doses for the home screen, recent ones for the list.

Each scheduled dose is a (medicine, local date-time) pair from the medicine's schedule, with
the answer recorded for it (taken, skipped, or none yet). The home screen's "Taken" and
"Not taken" forms send `due` in the patient's local time, as POST /api/v1/doses takes it, so
the offline outbox can send the same answer later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MedicineDose, Reminder, User, new_uuid
from ..timezones import local_to_utc, utc_to_local
from .medicines import NotScheduled, answer_dose, find_medicine_by_uuid, medicines
from .schedules import occurrences_between
from .scheduling import grace_for, schedule_of
from .wording import clock_words

RECENT_DAYS = 14


@dataclass(frozen=True)
class DoseLine:
    reminder_id: int
    medicine_id: str  # the medicine's client UUID, as the API names it
    name: str
    dose: str | None
    occurrence: datetime  # naive UTC, the scheduled moment
    due_local: datetime  # aware, the patient's wall clock
    status: str | None  # taken | skipped | None (not answered yet)
    answered_at: datetime | None  # aware local: when taken, or when answered
    state: str = "later"  # later | due | missed (unanswered and past its reminder's grace)

    @property
    def due(self) -> str:
        """The API's `due`: the scheduled local date-time, YYYY-MM-DDTHH:MM."""
        return f"{self.due_local:%Y-%m-%dT%H:%M}"

    @property
    def time_words(self) -> str:
        return clock_words(self.due_local.time().replace(tzinfo=None))

    @property
    def answered_words(self) -> str:
        if self.answered_at is None:
            return ""
        return clock_words(self.answered_at.time().replace(tzinfo=None))


def todays_doses(session: Session, patient: User, now: datetime) -> list[DoseLine]:
    """Every dose due today (earlier and later today), by time, with its answer if any."""
    today = patient.today(now)
    since = local_to_utc(today, time(0), patient.zone) - timedelta(seconds=1)
    until = local_to_utc(today + timedelta(days=1), time(0), patient.zone) - timedelta(seconds=1)
    lines = []
    for reminder in _medicines(session, patient):
        schedule = schedule_of(reminder)
        if schedule is None:
            continue
        moments = occurrences_between(schedule, patient.zone, since, until, limit=10)
        answers = _answers(session, reminder, moments)
        for moment in moments:
            line = _line(patient, reminder, moment, answers.get(moment))
            lines.append(replace(line, state=_state(reminder, moment, now)))
    return sorted(lines, key=lambda line: (line.occurrence, line.name))


def recent_doses(session: Session, patient: User, now: datetime) -> list[DoseLine]:
    """The doses answered in the last two weeks, newest first (removed medicines too)."""
    rows = session.execute(
        select(MedicineDose, Reminder)
        .join(Reminder, Reminder.id == MedicineDose.reminder_id)
        .where(
            MedicineDose.user_id == patient.id,
            MedicineDose.occurrence_at >= now - timedelta(days=RECENT_DAYS),
        )
        .order_by(MedicineDose.occurrence_at.desc())
    ).all()
    return [_line(patient, reminder, dose.occurrence_at, dose) for dose, reminder in rows]


def _state(reminder: Reminder, moment: datetime, now: datetime) -> str:
    if moment > now:
        return "later"
    return "due" if now - moment <= grace_for(reminder) else "missed"


def _medicines(session: Session, patient: User) -> list[Reminder]:
    """The medicines on the patient's list whose reminders are on (a dose is expected)."""
    return [medicine for medicine in medicines(session, patient) if medicine.enabled]


def _answers(
    session: Session, reminder: Reminder, moments: list[datetime]
) -> dict[datetime, MedicineDose]:
    if not moments:
        return {}
    rows = session.scalars(
        select(MedicineDose).where(
            MedicineDose.reminder_id == reminder.id, MedicineDose.occurrence_at.in_(moments)
        )
    )
    return {dose.occurrence_at: dose for dose in rows}


def _line(
    patient: User, reminder: Reminder, moment: datetime, dose: MedicineDose | None
) -> DoseLine:
    answered = None
    if dose is not None:
        answered = utc_to_local(dose.taken_at or dose.recorded_at, patient.timezone)
    return DoseLine(
        reminder_id=reminder.id,
        medicine_id=reminder.uuid,
        name=reminder.name or "Medicine",
        dose=reminder.dose,
        occurrence=moment,
        due_local=utc_to_local(moment, patient.timezone),
        status=dose.status if dose else None,
        answered_at=answered,
    )


def record_checkin_doses(
    session: Session, patient: User, answers: Mapping[str, str], now: datetime
) -> int:
    """Records the check-in's "Did you take X, due at 8:00 am?" answers as those doses.

    The form names each answer `dose:<medicine id>:<due>`; answers that name no dose of this
    patient's schedule are ignored (the form only offers real ones). Returns how many.
    """
    recorded = 0
    for name, status in answers.items():
        parts = name.split(":", 2)
        if len(parts) != 3 or parts[0] != "dose" or status not in ("taken", "skipped"):
            continue
        medicine = find_medicine_by_uuid(session, patient, parts[1])
        try:
            due = datetime.fromisoformat(parts[2])
        except ValueError:
            continue
        if medicine is None:
            continue
        try:
            answer_dose(session, patient, medicine, new_uuid(), due, status, None, now)
        except NotScheduled:
            continue
        recorded += 1
    return recorded
