"""Issue 12: the reminders that belong to a bone medicine (`Reminder.parent_id`).

- "book_ahead": for an every-few-months or yearly medicine, `book_ahead_weeks` weeks (default 4,
  0 = off) before each dose: "Your next Prolia injection is due on Tuesday 3 March. Book it now
  if you have not." It carries a copy of its medicine's schedule; `scheduling.next_after` puts
  each occurrence that many weeks before a dose.
- "course_end": "plan the next medicine", once: 8 weeks before a course with an end ends
  (teriparatide, abaloparatide, romosozumab, or a follow-on drug given a last day), and for a
  denosumab that is removed, paused or given a last day, right away and again about 6 months
  after its last dose. Its schedule is a single day; its title is written when it is made.

They are plain Reminder rows, so the engine sends them like any other: once per occurrence
(its unique delivery key), on the patient's channels, after quiet hours. `sync_follow_ups`
keeps them in step whenever their medicine is saved, removed or turned off: a child no longer
wanted is retired (soft, like a medicine, so its delivery log stays), a changed one moves.
Each child's `uuid` is derived from its medicine's and its role (stored in `dose`), so the
same role is the same row, and two saves at once cannot make two.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bone.drugs import PLAN_AHEAD_WEEKS, Drug, books_ahead, of
from ..models import Reminder, ReminderSettings, User
from ..timezones import local_to_utc, utc_to_local
from .schedules import add_months, next_occurrence, parse_clock, schedule_dates, weeks_before
from .scheduling import reschedule, schedule_of, sent_at

DEFAULT_BOOK_AHEAD_WEEKS = 4
BOOK_AHEAD_MAX_WEEKS = 12
FOLLOW_UP_KINDS = ("book_ahead", "course_end")
STOPPED_AGAIN_WEEKS = 4  # the second "stopped" reminder: this long before 6 months are up
DEFAULT_TIME = "10:00"
NAMESPACE = uuid_module.UUID("6f1c1f0e-5d2a-4f59-9c43-3d1f6a0b1e12")
TALK = "Talk to your doctor about what comes next."


@dataclass(frozen=True)
class FollowUp:
    role: str  # book | end | stopped | six_months
    kind: str
    title: str | None  # None: the medicine's name (book_ahead words each dose itself)
    frequency: str
    times: list[str]
    start: date | None
    end: date | None
    interval_months: int | None = None
    weekdays: tuple[int, ...] = ()
    weeks: int | None = None
    now: bool = False  # goes out right away (rather than on the day at the medicine's time)


def book_ahead_weeks(medicine: Reminder) -> int:
    weeks = medicine.book_ahead_weeks
    return DEFAULT_BOOK_AHEAD_WEEKS if weeks is None else weeks


def child_uuid(medicine: Reminder, role: str) -> str:
    return str(uuid_module.uuid5(NAMESPACE, f"{medicine.uuid}:{role}"))


def follow_ups(medicine: Reminder, patient: User, now: datetime) -> list[FollowUp]:
    """The reminders this medicine should have now, from its drug and schedule."""
    drug = of(medicine.drug)
    active = medicine.enabled and medicine.deleted_at is None
    today = patient.today(now)
    name = medicine.name or "your medicine"
    first_time = (medicine.times or [DEFAULT_TIME])[0]
    wanted: list[FollowUp] = []
    weeks = book_ahead_weeks(medicine)
    if active and weeks > 0 and books_ahead(medicine.frequency, drug) and medicine.times:
        wanted.append(
            FollowUp(
                "book", "book_ahead", None, medicine.frequency, list(medicine.times),
                medicine.start_date, medicine.end_date, medicine.interval_months,
                tuple(medicine.weekdays or ()), weeks,
            )
        )  # fmt: skip
    if drug is not None and drug.code == "denosumab" and (not active or medicine.end_date):
        wanted.append(_one_shot("stopped", f"{name} stopped or ending: {TALK}", today, first_time))
        last = _last_dose(medicine, today, active)
        if last is not None:
            again = add_months(last, 6) - timedelta(weeks=STOPPED_AGAIN_WEEKS)
            if again > today:
                title = f"About 6 months since your last {name}: {TALK}"
                wanted.append(_one_shot("six_months", title, again, first_time))
    elif drug is not None and drug.follow_on and active:
        end = course_end(medicine, drug)
        if end is not None and end >= today:
            title = f"Plan the next medicine: your {name} course ends on {end:%-d %B %Y}."
            plan = max(end - timedelta(weeks=PLAN_AHEAD_WEEKS), today)
            wanted.append(_one_shot("end", title, plan, first_time))
    return wanted


def _one_shot(role: str, title: str, day: date, at: str) -> FollowUp:
    return FollowUp(role, "course_end", title[:120], "yearly", [at], day, day)


def course_end(medicine: Reminder, drug: Drug) -> date | None:
    """The last day of a course: its own last day, or its start plus the drug's usual course."""
    if medicine.end_date is not None:
        return medicine.end_date
    if drug.course_months and medicine.start_date is not None:
        return add_months(medicine.start_date, drug.course_months)
    return None


def _last_dose(medicine: Reminder, today: date, active: bool) -> date | None:
    """The last scheduled dose day: up to its last day while it goes on, else up to today."""
    schedule = schedule_of(medicine)
    if schedule is None or medicine.start_date is None:
        return None
    if active and medicine.end_date is not None:
        until = medicine.end_date
    else:
        until = min(medicine.end_date or today, today)
    last = None
    for day in schedule_dates(schedule, medicine.start_date):
        if day > until:
            break
        last = day
    return last


def children(session: Session, medicine: Reminder) -> list[Reminder]:
    if medicine.id is None:
        return []
    return list(
        session.scalars(
            select(Reminder).where(
                Reminder.parent_id == medicine.id, Reminder.kind.in_(FOLLOW_UP_KINDS)
            )
        )
    )


def sync_follow_ups(
    session: Session,
    patient: User,
    medicine: Reminder,
    settings: ReminderSettings | None,
    now: datetime,
) -> list[Reminder]:
    """Makes, moves or retires the medicine's own reminders; returns the live ones."""
    if medicine.id is None:
        session.flush()
    have = {child.uuid: child for child in children(session, medicine)}
    live = []
    for wanted in follow_ups(medicine, patient, now):
        key = child_uuid(medicine, wanted.role)
        child = have.pop(key, None)
        if child is None:
            child = Reminder(user_id=patient.id, uuid=key, parent_id=medicine.id)
            session.add(child)
        elif child.deleted_at is None and (
            _same(child, wanted, medicine) or wanted.role == "stopped"
        ):
            live.append(child)  # as it was: its next occurrence stays where the engine put it
            continue
        _fill(child, wanted, medicine, patient, now)
        _arm(child, wanted, medicine, patient, settings, now)
        live.append(child)
    for child in have.values():
        retire(child, now)
    return live


def retire(child: Reminder, now: datetime) -> None:
    if child.deleted_at is None:
        child.deleted_at = now
    child.enabled = False
    child.next_occurrence_at = child.next_due_at = None


def _values(wanted: FollowUp, medicine: Reminder) -> dict:
    return {
        "kind": wanted.kind,
        "name": wanted.title or medicine.name,
        "dose": wanted.role,
        "drug": medicine.drug,
        "frequency": wanted.frequency,
        "times": list(wanted.times),
        "weekdays": list(wanted.weekdays),
        "interval_months": wanted.interval_months,
        "start_date": wanted.start,
        "end_date": wanted.end,
        "book_ahead_weeks": wanted.weeks,
    }


def _same(child: Reminder, wanted: FollowUp, medicine: Reminder) -> bool:
    return all(getattr(child, key) == value for key, value in _values(wanted, medicine).items())


def _fill(
    child: Reminder, wanted: FollowUp, medicine: Reminder, patient: User, now: datetime
) -> None:
    for key, value in _values(wanted, medicine).items():
        setattr(child, key, value)
    if child.id is None or child.deleted_at is not None:
        child.enabled = True  # a live one the patient turned off (its e-mail link) stays off
    child.deleted_at = None
    if wanted.role == "stopped":  # right away: today, at this minute
        local = utc_to_local(now, patient.zone)
        child.start_date = child.end_date = local.date()
        child.times = [f"{local.hour:02d}:{local.minute:02d}"]


def _arm(
    child: Reminder,
    wanted: FollowUp,
    medicine: Reminder,
    patient: User,
    settings: ReminderSettings | None,
    now: datetime,
) -> None:
    """Schedules a new or changed child. A dose already inside the booking window, or a day
    already reached, is reminded now (quiet hours allowing) rather than skipped."""
    zone = patient.zone
    if child.kind == "course_end":
        assert child.start_date is not None
        moment = local_to_utc(child.start_date, parse_clock(child.times[0]), zone)
        reschedule(child, zone, settings, min(moment, now) - timedelta(seconds=1))
        if child.next_occurrence_at is not None and child.next_occurrence_at <= now:
            child.next_due_at = sent_at(settings, now, zone)
        return
    reschedule(child, zone, settings, now)
    schedule = schedule_of(medicine)
    dose = next_occurrence(schedule, zone, now) if schedule is not None else None
    if dose is None:
        return
    moment = weeks_before(dose, zone, wanted.weeks or 0)
    if moment <= now:  # the next dose is nearer than the weeks ahead: book it now
        child.next_occurrence_at = moment
        child.next_due_at = sent_at(settings, now, zone)


def dose_day(child: Reminder, occurrence: datetime, patient_zone: ZoneInfo) -> date:
    """The day of the dose a "book your next dose" occurrence is for."""
    local = utc_to_local(occurrence, patient_zone)
    return local.date() + timedelta(weeks=child.book_ahead_weeks or 0)


def dose_word(child: Reminder) -> str:
    drug = of(child.drug)
    return drug.form if drug is not None and drug.form != "tablet" else "dose"


def follow_up_title(child: Reminder, zone: ZoneInfo, occurrence: datetime | None) -> str:
    """The one line a notification shows."""
    if child.kind == "book_ahead":
        if occurrence is None:
            return f"Book your next {child.name} {dose_word(child)}"
        day = dose_day(child, occurrence, zone)
        return (
            f"Your next {child.name} {dose_word(child)} is due on {day:%A} {day.day} {day:%B}. "
            "Book it now if you have not."
        )
    return child.name or "Plan the next medicine"


def follow_up_details(child: Reminder) -> list[str]:
    """Lines for the e-mail."""
    drug = of(child.drug)
    if child.kind == "book_ahead":
        lines = [
            "Call the clinic or surgery that gives it, so the appointment is in time.",
            "When you have had it, mark it as taken in Upright.",
        ]
    elif child.dose in ("stopped", "six_months"):
        lines = [
            TALK,
            "After denosumab, another medicine is usually planned for about 6 months after "
            "the last injection: stopping without one can bring several spine fractures at once.",
        ]
    else:
        lines = [TALK, "After this course, another medicine usually keeps the bone gained."]
    if drug is not None and drug.note:
        lines.append(drug.note)
    return lines


def follow_up_lines(session: Session, medicine: Reminder, zone: ZoneInfo) -> list[str]:
    """What the medicine's page says about its own reminders."""
    lines = []
    for child in children(session, medicine):
        if child.deleted_at is not None:
            continue
        if child.kind == "book_ahead":
            weeks = child.book_ahead_weeks or 0
            line = f"A reminder to book each dose comes {weeks} week{'s' * (weeks != 1)} before it"
            if child.next_occurrence_at is not None:
                day = dose_day(child, child.next_occurrence_at, zone)
                line += f" (next: for the dose on {day:%A} {day.day} {day:%B %Y})"
            lines.append(line + ".")
        else:
            lines.append(child.name or TALK)
    return lines
