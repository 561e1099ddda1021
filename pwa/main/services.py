"""What the home screen shows, all built here: the one place a reader looks for it.

Recovery context first (how far along, what usually comes next), then today's check-in,
the reminders that are due, today's medicine doses and the next appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..appointments.services import next_appointment
from ..bone.services import HomeCard, home_card
from ..models import Appointment, CheckIn, Profile, User
from ..reminders.doses import DoseLine, todays_doses
from ..reminders.services import HomeItem, home_items

PROCEDURE_NAMES = {"kyphoplasty": "kyphoplasty", "vertebroplasty": "vertebroplasty"}

# The follow-up that usually happens (CLINICAL.md section 6): (first day, last day, what).
PROCEDURE_CHECK = (10, 14, "Wound and pain check, usually 10 to 14 days after")
USUAL_FOLLOW_UP = (
    (42, 42, "Pain and function review, usually about 6 weeks after"),
    (90, 90, "A review if the pain is still strong, about 3 months after"),
    (365, 365, "Yearly check of height, falls and bone medicine, a year after"),
)


@dataclass(frozen=True)
class RecoveryDay:
    days: int  # days since the event; negative while it is still ahead
    event: str  # "your kyphoplasty", "your fracture"

    @property
    def text(self) -> str:
        if self.days > 0:
            return f"Day {self.days} after {self.event}"
        if self.days == 0:
            return f"{self.event[0].upper()}{self.event[1:]} is today"
        ahead = -self.days
        return f"{self.event[0].upper()}{self.event[1:]} is in {ahead} day{'s' * (ahead != 1)}"


@dataclass(frozen=True)
class Milestone:
    day: date  # the first day it usually happens
    text: str  # "Pain and function review, usually about 6 weeks after your kyphoplasty"


@dataclass(frozen=True)
class HomeSummary:
    first_name: str | None
    today: date
    checked_in_today: bool
    recovery: RecoveryDay | None
    next_milestone: Milestone | None
    next_appointment: Appointment | None
    doses_today: list[DoseLine]  # with Taken / Not taken (pwa/reminders/doses.py)
    reminders: list[HomeItem]
    bone: HomeCard | None = None  # issue 12: the checklist, while a step is open


def home_summary(session: Session, patient: User, now: datetime) -> HomeSummary:
    today = patient.today(now)
    return HomeSummary(
        first_name=first_name(patient.name),
        today=today,
        checked_in_today=checked_in_on(session, patient, today),
        recovery=recovery_day(patient.profile, today),
        next_milestone=next_milestone(patient.profile, today),
        next_appointment=next_appointment(session, patient, now),
        doses_today=todays_doses(session, patient, now),
        reminders=home_items(session, patient, now),
        bone=home_card(session, patient),
    )


def first_name(name: str | None) -> str | None:
    """The first word of the name the patient gave, for "Hello, Ada"."""
    words = (name or "").split()
    return words[0] if words else None


def checked_in_on(session: Session, patient: User, day: date) -> bool:
    found = session.scalar(
        select(CheckIn.id).where(CheckIn.user_id == patient.id, CheckIn.date == day).limit(1)
    )
    return found is not None


def recovery_event(profile: Profile | None) -> tuple[date, str] | None:
    """What recovery is counted from: the procedure if there was one, else the fracture."""
    if profile is None:
        return None
    if profile.procedure_date:
        name = PROCEDURE_NAMES.get(profile.treatment or "", "procedure")
        return profile.procedure_date, f"your {name}"
    if profile.fracture_date:
        return profile.fracture_date, "your fracture"
    return None


def recovery_day(profile: Profile | None, today: date) -> RecoveryDay | None:
    event = recovery_event(profile)
    if event is None:
        return None
    start, name = event
    return RecoveryDay((today - start).days, name)


def next_milestone(profile: Profile | None, today: date) -> Milestone | None:
    """The next follow-up that usually happens, counted from the procedure or fracture."""
    event = recovery_event(profile)
    if event is None:
        return None
    start, name = event
    steps = ((PROCEDURE_CHECK,) if profile and profile.procedure_date else ()) + USUAL_FOLLOW_UP
    for first, last, text in steps:
        if start + timedelta(days=last) >= today:
            return Milestone(start + timedelta(days=first), f"{text} {name}")
    return None
