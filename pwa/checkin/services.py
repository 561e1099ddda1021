"""Daily check-ins: saving them once, raising warning events, and the figures per day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import CheckIn, User, WarningEvent, new_uuid
from .signs import ALL_SIGNS, COMPUTED, PAIN_JUMP, SIGNS

PAIN_JUMP_POINTS = 3
ROLLING_DAYS = 7
ROLLING_MIN_DAYS = 3  # a 7-day average from fewer logged days says more about gaps than pain


def find_checkin(session: Session, patient: User, uuid: str) -> CheckIn | None:
    """The patient's own check-in with this client id; another patient's never matches."""
    return session.scalar(
        select(CheckIn).where(CheckIn.user_id == patient.id, CheckIn.uuid == uuid)
    )


def list_checkins(
    session: Session, patient: User, start: date | None = None, end: date | None = None
) -> list[CheckIn]:
    """The patient's check-ins, newest first."""
    query = select(CheckIn).where(CheckIn.user_id == patient.id)
    if start:
        query = query.where(CheckIn.date >= start)
    if end:
        query = query.where(CheckIn.date <= end)
    return list(session.scalars(query.order_by(CheckIn.date.desc(), CheckIn.created_at.desc())))


def latest_per_day(checkins: list[CheckIn]) -> dict[date, CheckIn]:
    """One check-in per date, the most recently saved: the one that counts for that day."""
    days: dict[date, CheckIn] = {}
    for checkin in checkins:
        current = days.get(checkin.date)
        if current is None or (checkin.created_at, checkin.id) > (current.created_at, current.id):
            days[checkin.date] = checkin
    return days


def rolling_mean(daily: Mapping[date, int], day: date) -> float | None:
    """The 7-day average pain: the mean of the daily pain of the 7 days ending on `day`, to two
    decimals, or None when fewer than 3 of them are logged. The one rule of both charts (the
    history page's and the report's) and of the pain-jump warning."""
    window = [
        daily[d] for d in (day - timedelta(days=i) for i in range(ROLLING_DAYS)) if d in daily
    ]
    if len(window) < ROLLING_MIN_DAYS:
        return None
    return float(round(Fraction(sum(window), len(window)), 2))


def seven_day_average(session: Session, patient: User, day: date) -> float | None:
    """The 7-day average pain of the 7 days before `day` (see rolling_mean).

    Reads only dates and pain (the latest check-in of each day counts), not whole rows.
    """
    rows = session.execute(
        select(CheckIn.date, CheckIn.pain_avg)
        .where(
            CheckIn.user_id == patient.id,
            CheckIn.date >= day - timedelta(days=7),
            CheckIn.date < day,
        )
        .order_by(CheckIn.date, CheckIn.created_at, CheckIn.id)
    )
    daily = {checkin_date: pain for checkin_date, pain in rows}  # later rows overwrite earlier
    return rolling_mean(daily, day - timedelta(days=1))


def is_pain_jump(average: float | None, pain: int) -> bool:
    return average is not None and pain >= average + PAIN_JUMP_POINTS


def save_checkin(
    session: Session,
    patient: User,
    values: dict,
    signs: list[str],
    *,
    now: datetime,
    uuid: str | None = None,
) -> tuple[CheckIn, bool]:
    """Stores a new check-in and its warning events; (checkin, created).

    Idempotent by (patient, uuid): the same id again returns the stored check-in unchanged,
    also when two requests race. The unique constraint decides, so the usual first save costs
    no lookup; a repeat rolls back and reads what is stored. Every read happens before the
    first write, so SQLite's write lock is held only for one short flush and the commit.
    Call it with no other changes pending in the session.
    """
    uuid = uuid or new_uuid()
    average = seven_day_average(session, patient, values["date"])
    checkin = CheckIn(user_id=patient.id, uuid=uuid, created_at=now, updated_at=now, **values)
    checkin.warning_events = [
        new_warning_event(patient, code, now, values["date"])
        for code in wanted_signs(signs, average, values["pain_avg"])
    ]
    session.add(checkin)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = find_checkin(session, patient, uuid)
        if existing is None:
            raise
        return existing, False
    return checkin, True


def wanted_signs(signs: list[str], average: float | None, pain: int) -> list[str]:
    """The ticked signs we know, plus the pain jump when the diary shows one."""
    wanted = [code for code in dict.fromkeys(signs) if code in SIGNS]
    if is_pain_jump(average, pain):
        wanted.append(PAIN_JUMP.code)
    return wanted


def new_warning_event(
    patient: User, code: str, now: datetime, day: date | None = None
) -> WarningEvent:
    """A sign on its diary `day` (the check-in's date), entered at `now` (naive UTC). Without
    `day`, the insert takes its check-in's date (models._diary_day_of_event)."""
    sign = ALL_SIGNS[code]
    return WarningEvent(
        user_id=patient.id,
        sign=code,
        tier=sign.tier,
        computed=code in COMPUTED,
        occurred_at=now,
        day=day,
    )


def update_checkin(
    session: Session,
    patient: User,
    checkin: CheckIn,
    values: dict,
    signs: list[str],
    *,
    now: datetime,
) -> CheckIn:
    for name, value in values.items():
        setattr(checkin, name, value)
    checkin.updated_at = now
    session.flush()
    _sync_warning_events(session, patient, checkin, signs, now=now)
    return checkin


def delete_checkin(session: Session, checkin: CheckIn, *, now: datetime) -> None:
    """Deletes the check-in and its warning signs. A sign the patient already acted on
    ("called my doctor") is history: it stays on its day, marked "entry deleted", and leaves
    the report's alerts."""
    for event in list(checkin.warning_events):
        if event.action is None:
            session.delete(event)
        else:
            event.entry_deleted_at = now
    session.delete(checkin)


def ticked_signs(checkin: CheckIn) -> list[str]:
    return [e.sign for e in checkin.warning_events if not e.computed]


def _sync_warning_events(
    session: Session, patient: User, checkin: CheckIn, signs: list[str], *, now: datetime
) -> None:
    """Makes an edited check-in's events match what is ticked now plus what the diary shows.

    Events already answered ("called my doctor") are history and are never removed.
    """
    average = seven_day_average(session, patient, checkin.date)
    wanted = set(wanted_signs(signs, average, checkin.pain_avg))
    for event in list(checkin.warning_events):
        if event.sign not in wanted and event.action is None:
            checkin.warning_events.remove(event)
            session.delete(event)
        else:
            event.day = checkin.date  # a moved check-in takes its signs to the new day
    present = {event.sign for event in checkin.warning_events}
    for code in wanted - present:
        checkin.warning_events.append(new_warning_event(patient, code, now, checkin.date))
    session.flush()


def record_action(checkin: CheckIn, action: str, *, now: datetime) -> int:
    """Stores what the patient did about the check-in's warning signs; returns how many."""
    for event in checkin.warning_events:
        event.action = action
        event.action_at = now
    return len(checkin.warning_events)
