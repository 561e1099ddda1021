"""The bone-health checklist's decisions: what the page and the home card show, saving one
item, starting the checklist from the profile, and the nudges' reminder row.

The scan date has one truth (checklist.dexa_date); this module keeps the profile's
`last_dexa_date` and the scan item in step both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import BoneCheckItem, Profile, Reminder, ReminderSettings, User
from ..reminders.scheduling import reschedule
from .checklist import ITEMS, Answer, Item, answers, dexa_date
from .nudges import NUDGE_WEEKS, bone_reminder, nudge_days, nudge_reminder

CEMENT_TREATMENTS = {"kyphoplasty": "kyphoplasty", "vertebroplasty": "vertebroplasty"}


@dataclass(frozen=True)
class Nudge:
    day: date
    weeks: int
    past: bool


@dataclass(frozen=True)
class Checklist:
    answers: list[Answer]
    fracture_date: date | None
    nudges: list[Nudge]  # empty without a fracture date
    nudges_on: bool
    cement: str | None  # "kyphoplasty" when the treated vertebrae hold bone cement

    @property
    def settled(self) -> int:
        return sum(answer.settled for answer in self.answers)

    @property
    def next_open(self) -> Answer | None:
        return next((answer for answer in self.answers if not answer.settled), None)

    @property
    def upcoming_nudges(self) -> list[Nudge]:
        return [nudge for nudge in self.nudges if not nudge.past]


@dataclass(frozen=True)
class HomeCard:
    """The home screen's card while any item is open."""

    settled: int
    total: int
    next_item: Item


def checklist(session: Session, patient: User, now: datetime) -> Checklist:
    profile = patient.profile
    fracture = profile.fracture_date if profile else None
    today = patient.today(now)
    nudges = (
        [
            Nudge(day, weeks, day < today)
            for day, weeks in zip(nudge_days(fracture), NUDGE_WEEKS, strict=True)
        ]
        if fracture
        else []
    )
    reminder = bone_reminder(session, patient.id)
    treatment = profile.treatment if profile else None
    return Checklist(
        answers=answers(session, patient.id),
        fracture_date=fracture,
        nudges=nudges,
        nudges_on=reminder is None or reminder.enabled,
        cement=CEMENT_TREATMENTS.get(treatment or ""),
    )


def find_answer(session: Session, patient: User, code: str) -> Answer | None:
    return next((a for a in answers(session, patient.id) if a.item.code == code), None)


def home_card(session: Session, patient: User) -> HomeCard | None:
    """ "N of 6 settled" and the next open item; None once every item is settled."""
    found = answers(session, patient.id)
    open_items = [answer for answer in found if not answer.settled]
    if not open_items:
        return None
    return HomeCard(len(found) - len(open_items), len(found), open_items[0].item)


def item_form_data(answer: Answer) -> dict:
    return {
        "state": answer.state,
        "on_date": answer.on_date.isoformat() if answer.on_date else None,
        "t_score": f"{answer.t_score:g}" if answer.t_score is not None else None,
        "detail": answer.detail,
    }


def _row(session: Session, user_id: int, code: str) -> BoneCheckItem:
    row = session.scalar(
        select(BoneCheckItem).where(BoneCheckItem.user_id == user_id, BoneCheckItem.item == code)
    )
    if row is None:
        row = BoneCheckItem(user_id=user_id, item=code, state="not_yet")
        session.add(row)
    return row


def save_item(
    session: Session, patient: User, code: str, values: dict, now: datetime
) -> BoneCheckItem:
    """Stores one item's answer (values as BoneItemRecord checked them).

    A date only goes with Done or Booked, a T-score only with a done scan. A done scan with a
    later date than the profile's becomes the profile's last scan; a scan no longer done takes
    its date back out of the profile when it was the one that put it there.
    """
    if code not in ITEMS:
        raise KeyError(code)
    row = _row(session, patient.id, code)
    was_done_on = row.on_date if row.state == "done" else None
    state = values["state"]
    row.state = state
    row.on_date = values.get("on_date") if state in ("done", "booked") else None
    row.t_score = values.get("t_score") if code == "dexa" and state == "done" else None
    row.detail = values.get("detail")
    profile = patient.profile
    if code == "dexa" and profile is not None:
        if state == "done" and row.on_date is not None:
            if profile.last_dexa_date is None or row.on_date > profile.last_dexa_date:
                profile.last_dexa_date = row.on_date
        elif (
            was_done_on is not None
            and profile.last_dexa_date == was_done_on
            and _after_fracture(profile, was_done_on)
        ):
            profile.last_dexa_date = None
    if code == "medicine" and profile is not None and state == "done":
        if row.detail and not profile.osteoporosis_medicine:
            profile.osteoporosis_medicine = row.detail[:120]
        if row.on_date and not profile.osteoporosis_medicine_start:
            profile.osteoporosis_medicine_start = row.on_date
    return row


def _after_fracture(profile: Profile, day: date) -> bool:
    return profile.fracture_date is not None and day >= profile.fracture_date


def seed_from_profile(session: Session, patient: User) -> None:
    """The checklist starts from the profile: a scan on or after the fracture date marks the
    scan done (with that date), a named osteoporosis medicine marks the medicine started
    (unless the patient answered "not for me" on the checklist). The scan date is the later of
    the two on both sides."""
    profile = patient.profile
    if profile is None:
        return
    scan = profile.last_dexa_date
    if scan is not None and _after_fracture(profile, scan):
        row = _row(session, patient.id, "dexa")
        if row.state != "done" or row.on_date is None or row.on_date < scan:
            row.state, row.on_date = "done", scan
    done_on = dexa_date(session, patient.id, None)
    if done_on is not None and (scan is None or scan < done_on):
        profile.last_dexa_date = done_on
    if profile.osteoporosis_medicine:
        row = _row(session, patient.id, "medicine")
        if row.state in ("not_yet", "booked"):
            row.state = "done"
            row.detail = profile.osteoporosis_medicine
            row.on_date = profile.osteoporosis_medicine_start
        elif not row.detail:
            row.detail = profile.osteoporosis_medicine


def sync_nudges(session: Session, patient: User, now: datetime) -> Reminder:
    """After the profile changed: the nudges follow the fracture date (none in the past)."""
    reminder = bone_reminder(session, patient.id)
    before = (reminder.start_date, list(reminder.times or [])) if reminder else None
    reminder = nudge_reminder(session, patient)
    if before != (reminder.start_date, list(reminder.times)):
        settings = session.scalar(
            select(ReminderSettings).where(ReminderSettings.user_id == patient.id)
        )
        reschedule(reminder, patient.zone, settings, now)
    return reminder


def after_profile_saved(session: Session, patient: User, now: datetime) -> None:
    """Sign-up and every profile save: start the checklist from it, move the nudges."""
    seed_from_profile(session, patient)
    sync_nudges(session, patient, now)
