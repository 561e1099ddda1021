"""Nudges for open checklist items at 2, 6, 12 and 16 weeks after the fracture.

One `Reminder` row of kind "bone" per patient carries them through the reminder engine like
any other reminder: `start_date` is the fracture date, `times[0]` the local time of day (the
patient's check-in reminder time, else 10:00). The engine asks `next_nudge` for the next
moment; at send time it skips the occurrence when nothing is open (`open_items`), and its
delivery table's unique key sends each occurrence once per channel.

No database access in the arithmetic here: pwa.reminders.scheduling imports it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import BoneCheckItem, Reminder, User
from ..reminders.schedules import parse_clock, wall_to_utc
from .checklist import ITEMS, SETTLED

NUDGE_WEEKS = (2, 6, 12, 16)
NUDGE_TIME = "10:00"  # when the patient has no check-in reminder time
KIND = "bone"

# What a nudge calls each open item, in plain words (the e-mail lists them).
SHORT_NAMES = {
    "dexa": "a bone density scan",
    "bloods": "blood tests (vitamin D, calcium, kidneys)",
    "medicine": "osteoporosis medicine",
    "falls_review": "a falls review",
    "exercise": "physiotherapy or an exercise programme",
    "fls": "a fracture liaison or bone health clinic",
}


def nudge_days(fracture: date) -> list[date]:
    return [fracture + timedelta(weeks=weeks) for weeks in NUDGE_WEEKS]


def next_nudge(reminder: Reminder, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first nudge moment (naive UTC) strictly after `after`; None after the last."""
    if reminder.start_date is None or not reminder.times:
        return None
    at = parse_clock(reminder.times[0])
    for day in nudge_days(reminder.start_date):
        moment = wall_to_utc(day, at, zone)
        if moment > after:
            return moment
    return None


def open_items(session: Session, user_ids: set[int]) -> dict[int, list[str]]:
    """For each patient, the codes of the items not settled, in checklist order."""
    settled: dict[int, set[str]] = {user_id: set() for user_id in user_ids}
    if user_ids:
        for user_id, item in session.execute(
            select(BoneCheckItem.user_id, BoneCheckItem.item).where(
                BoneCheckItem.user_id.in_(user_ids), BoneCheckItem.state.in_(SETTLED)
            )
        ):
            settled[user_id].add(item)
    return {
        user_id: [code for code in ITEMS if code not in done] for user_id, done in settled.items()
    }


def nudge_title(open_codes: list[str]) -> str:
    """The notification's one line: no health details beyond "bone health"."""
    count = len(open_codes)
    return f"Bone health after your fracture: {count} step{'s' * (count != 1)} still open"


def nudge_details(open_codes: list[str]) -> list[str]:
    """The e-mail's lines: the open items in plain words."""
    names = [SHORT_NAMES[code] for code in open_codes if code in SHORT_NAMES]
    return [
        "Still to do or to book: " + ", ".join(names) + ".",
        "These steps lower the chance of another broken bone. Your doctor decides which you "
        "need. Mark each one on your bone health checklist.",
    ]


def bone_reminder(session: Session, user_id: int) -> Reminder | None:
    return session.scalar(
        select(Reminder)
        .where(Reminder.user_id == user_id, Reminder.kind == KIND)
        .order_by(Reminder.id)
        .limit(1)
    )


def nudge_reminder(session: Session, patient: User) -> Reminder:
    """The patient's nudge reminder, made (switched on) when missing, its date and time of day
    brought up to the profile and the check-in reminder. Not rescheduled here."""
    reminder = bone_reminder(session, patient.id)
    if reminder is None:
        reminder = Reminder(user_id=patient.id, kind=KIND, enabled=True, frequency="daily")
        session.add(reminder)
    checkin = session.scalar(
        select(Reminder)
        .where(Reminder.user_id == patient.id, Reminder.kind == "checkin")
        .order_by(Reminder.id)
        .limit(1)
    )
    profile = patient.profile
    reminder.start_date = profile.fracture_date if profile else None
    reminder.times = [nudge_time(checkin)]
    return reminder


def nudge_time(checkin: Reminder | None) -> str:
    """The check-in reminder's time when it is on, else 10:00."""
    if checkin is not None and checkin.enabled and checkin.times:
        return checkin.times[0]
    return NUDGE_TIME
