"""Medicine adherence from the schedule (CLINICAL.md section 6), one line per medicine.

Every scheduled dose of the period that has come due is counted once: taken on time (within a
window that fits the interval: a day for daily and weekly medicines, a week for monthly ones,
a month for every-few-months and yearly ones), taken late, or missed (skipped or never
answered once its window has passed). A dose still inside its window and not yet answered is
not counted either way. A patient who recorded every due dose as taken shows 100%, whatever
the interval: the old daily "did you take it today?" printed a weekly pill taken every Monday
as 14%.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..bone.drugs import find as find_drug
from ..models import MedicineDose, Reminder, User
from ..reminders.medicines import describe_schedule
from ..reminders.schedules import next_occurrence, occurrences_between
from ..reminders.scheduling import schedule_of
from ..timezones import local_to_utc, utc_to_local

DAY = timedelta(days=1)
WINDOWS = {
    "daily": DAY,
    "weekly": DAY,
    "monthly": timedelta(days=7),
    "every_n_months": timedelta(days=30),
    "yearly": timedelta(days=30),
}
LONG_INTERVALS = ("monthly", "every_n_months", "yearly")
MAX_DOSES = 2000  # a two-year period of four daily doses fits


@dataclass(frozen=True)
class Adherence:
    name: str
    dose: str | None
    frequency: str
    schedule: str
    due: int
    taken_on_time: int
    late: int
    missed: int
    last_dose: date | None
    next_due: datetime | None  # aware, the patient's zone
    late_doses: tuple[date, ...] = ()  # local days of doses late or missed
    drug: str | None = None  # issue 12: a key of pwa.bone.drugs.DRUGS when it is a bone medicine

    @property
    def taken_percent(self) -> int | None:
        """Doses taken (on time or late) of those due, in whole percent."""
        if not self.due:
            return None
        exact = Fraction(100 * (self.taken_on_time + self.late), self.due)
        return int(exact + Fraction(1, 2))

    @property
    def long_interval(self) -> bool:
        return self.frequency in LONG_INTERVALS


def medicine_adherence(
    session: Session, patient: User, start: date, end: date, now: datetime
) -> list[Adherence]:
    """One line per medicine on the list during the period (removed ones while they were)."""
    zone = patient.timezone
    since = local_to_utc(start, time(0), zone)
    until = min(local_to_utc(end + DAY, time(0), zone), now)
    found = session.scalars(
        select(Reminder)
        .where(
            Reminder.user_id == patient.id,
            Reminder.kind == "medicine",
            or_(Reminder.deleted_at.is_(None), Reminder.deleted_at >= since),
        )
        .order_by(Reminder.name, Reminder.id)
    ).all()
    return [_adherence(session, patient, reminder, since, until, now) for reminder in found]


def _adherence(
    session: Session,
    patient: User,
    reminder: Reminder,
    since: datetime,
    until: datetime,
    now: datetime,
) -> Adherence:
    schedule = schedule_of(reminder)
    window = WINDOWS.get(reminder.frequency, DAY)
    last = min(until, reminder.deleted_at) if reminder.deleted_at else until
    moments = []
    if schedule is not None:
        moments = occurrences_between(
            schedule, patient.zone, since - timedelta(seconds=1), last, MAX_DOSES
        )
    answers = _answers(session, reminder, since, last)
    on_time = late = missed = 0
    late_days: list[date] = []
    for moment in moments:
        dose = answers.get(moment)
        taken_at = _taken_at(dose)
        if dose is None and now < moment + window:
            continue  # still inside its window: neither taken nor missed yet
        if taken_at is not None and abs(taken_at - moment) <= window:
            on_time += 1
            continue
        late_days.append(utc_to_local(moment, patient.timezone).date())
        if taken_at is not None:
            late += 1
        else:
            missed += 1
    upcoming = None
    if schedule is not None and reminder.deleted_at is None and reminder.enabled:
        upcoming = next_occurrence(schedule, patient.zone, now)
    return Adherence(
        name=reminder.name or "Medicine",
        dose=reminder.dose,
        frequency=reminder.frequency,
        schedule=describe_schedule(reminder) if reminder.start_date else "",
        due=on_time + late + missed,
        taken_on_time=on_time,
        late=late,
        missed=missed,
        last_dose=_last_dose(session, patient, reminder, until),
        next_due=utc_to_local(upcoming, patient.timezone) if upcoming else None,
        late_doses=tuple(late_days),
        drug=_drug(reminder),
    )


def _drug(reminder: Reminder) -> str | None:
    """The bone medicine a list entry is: the drug chosen on the form, else known by its name."""
    if reminder.drug:
        return reminder.drug
    known = find_drug(reminder.name)
    return known.code if known else None


def _answers(
    session: Session, reminder: Reminder, since: datetime, until: datetime
) -> dict[datetime, MedicineDose]:
    rows = session.scalars(
        select(MedicineDose).where(
            MedicineDose.reminder_id == reminder.id,
            MedicineDose.occurrence_at >= since,
            MedicineDose.occurrence_at <= until,
        )
    )
    return {dose.occurrence_at: dose for dose in rows}


def _taken_at(dose: MedicineDose | None) -> datetime | None:
    if dose is None or dose.status != "taken":
        return None
    return dose.taken_at or dose.recorded_at


def _last_dose(session: Session, patient: User, reminder: Reminder, until: datetime) -> date | None:
    """The local day of the latest dose taken up to the end of the period."""
    doses = session.scalars(
        select(MedicineDose)
        .where(
            MedicineDose.reminder_id == reminder.id,
            MedicineDose.status == "taken",
            MedicineDose.occurrence_at <= until,
        )
        .order_by(MedicineDose.occurrence_at.desc())
        .limit(1)
    ).all()
    taken = _taken_at(doses[0]) if doses else None
    return utc_to_local(taken, patient.timezone).date() if taken else None
