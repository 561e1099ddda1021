"""Daily check-ins: saving them once, raising warning events, and the figures per day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..auth.devices import SessionPolicy, SignedIn, digest, signed_in_from, signed_in_query
from ..extensions import dialect_insert
from ..models import CheckIn, User, WarningEvent, new_uuid
from .signs import ALL_SIGNS, SIGNS

PAIN_JUMP_POINTS = 3
# What the patient did that settles a computed sign for 72 hours (it is not raised again).
ACTED_ON = ("called_emergency", "went_emergency", "called_doctor", "saw_doctor")
SUPPRESS_DAYS = 3
# The answers the computed signs read.
CHECKIN_ANSWERS = (
    "date", "pain_avg", "fell", "fall_injured", "fall_cannot_stand", "fall_hip_groin",
    "fall_hit_head", "bed_rest", "walking_aid", "opioid_doses", "bowel_movement",
)  # fmt: skip
ROLLING_DAYS = 7
ROLLING_MIN_DAYS = 3  # a 7-day average from fewer logged days says more about gaps than pain
# Issue 12: pain not improving 6 to 12 weeks after the fracture or procedure (CLINICAL.md 4, 5).
NOT_IMPROVING_FROM_DAY, NOT_IMPROVING_TO_DAY = 6 * 7, 12 * 7
NOT_IMPROVING_PAIN = 4  # a 7-day average still this high
NOT_IMPROVING_FRACTION = Fraction(3, 10)  # or less than 30% better than the baseline
NOT_IMPROVING_REPEAT_DAYS = 7  # raised at most once a week while it lasts


def find_checkin(session: Session, patient: Patient, uuid: str) -> CheckIn | None:
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
    """The 7-day average pain of the 7 days before `day` (see rolling_mean)."""
    return Diary.read(session, patient, day).average


def diary_before(session: Session, patient: Patient, day: date) -> list[Any]:
    """The answers the computed signs read, of the patient's check-ins of the 7 days before
    `day`, oldest first (the latest of a day last): one query, only those columns."""
    parameters = {"user_id": patient.id, "start": day - timedelta(days=ROLLING_DAYS), "day": day}
    return list(session.connection().execute(DIARY_BEFORE, parameters))


CHECKINS = CheckIn.__table__
# Built once: a save runs these as they are, with only the parameters new.
DIARY_BEFORE = (
    select(*(CHECKINS.c[name] for name in CHECKIN_ANSWERS))
    .where(
        CHECKINS.c.user_id == bindparam("user_id"),
        CHECKINS.c.date >= bindparam("start"),
        CHECKINS.c.date < bindparam("day"),
    )
    .order_by(CHECKINS.c.date, CHECKINS.c.created_at, CHECKINS.c.id)
)


@dataclass
class Diary:
    """What the computed signs need of the days before `day`: the check-in that counts on each
    day (the latest saved; rows or answer mappings) and so the 7-day average pain. Read by
    `Diary.read` in one query, or given by the outbox's batch, which reads its days once."""

    day: date
    latest: dict[date, Any]

    @classmethod
    def read(cls, session: Session, patient: Patient, day: date) -> Diary:
        rows = diary_before(session, patient, day)
        return cls(day, {row.date: row for row in rows})  # later rows overwrite earlier

    def pain(self, since: date) -> dict[date, int]:
        """The daily pain of the days after `since` (and before `day`)."""
        return {
            d: _answer(row, "pain_avg") for d, row in self.latest.items() if since < d < self.day
        }

    @property
    def average(self) -> float | None:
        return rolling_mean(self.pain(date.min), self.day - timedelta(days=1))


# The signed-in patient and the week before a check-in's day in one query (issue 18): one row
# per check-in of the week, each with the device's and the patient's columns, or one row with
# the check-in's columns NULL when the week is empty. The API's save reads nothing else first.
SIGNED_IN_WITH_WEEK = (
    signed_in_query(
        CHECKINS.c.id.label("checkin_id"), *(CHECKINS.c[name] for name in CHECKIN_ANSWERS)
    )
    .outerjoin(
        CHECKINS,
        and_(
            CHECKINS.c.user_id == User.id,
            CHECKINS.c.date >= bindparam("start"),
            CHECKINS.c.date < bindparam("day"),
        ),
    )
    .order_by(CHECKINS.c.date, CHECKINS.c.created_at, CHECKINS.c.id)
)


def signed_in_with_week(
    session: Session, session_id: str | None, day: date, *, now: datetime, policy: SessionPolicy
) -> tuple[SignedIn, Diary] | None:
    """The patient signed in with `session_id` (as `pwa.auth.devices.signed_in_from` judges
    it) and their diary of the 7 days before `day`, in one round trip; None when nobody is."""
    if not session_id:
        return None
    parameters = {
        "session_hash": digest(session_id),
        "start": day - timedelta(days=ROLLING_DAYS),
        "day": day,
    }
    rows = session.connection().execute(SIGNED_IN_WITH_WEEK, parameters).all()
    patient = signed_in_from(session, rows[0] if rows else None, now=now, policy=policy)
    if patient is None:
        return None
    latest = {row.date: row for row in rows if row.checkin_id is not None}  # later ones win
    return patient, Diary(day, latest)


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
    """Stores a new check-in and its warning events; (checkin, created). `save_new_checkin`
    saves it; this gives the check-in as an ORM object (no reload), or the one stored before
    with the same id."""
    uuid = uuid or new_uuid()
    saved = save_new_checkin(session, patient, values, signs, now=now, uuid=uuid)
    if saved is None:
        existing = stored_checkin(session, patient, uuid)
        if existing is None:  # deleted between the two statements: nothing to answer with
            raise LookupError(f"check-in {uuid} conflicted but is not there")
        return existing, False
    # A row id can come back after a rolled-back transaction (a full disk): the session's
    # copy from that attempt is stale, so it makes way.
    stale = session.identity_map.get(identity_key(CheckIn, saved.id))
    if stale is not None:
        session.expunge(stale)
    checkin = CheckIn(**saved.row)
    make_transient_to_detached(checkin)  # what was inserted is what is stored: no reload
    session.add(checkin)
    set_committed_value(checkin, "warning_events", saved.events)
    return checkin, True


class Patient(Protocol):
    """What saving a check-in reads of its patient: a `User`, or the API's `SignedIn` (the
    same facts read without ORM objects)."""

    @property
    def id(self) -> int: ...

    @property
    def profile(self) -> RecoveryProfile | None: ...


class RecoveryProfile(Protocol):
    @property
    def start_date(self) -> date | None: ...

    @property
    def procedure_date(self) -> date | None: ...

    @property
    def blood_thinner(self) -> bool | None: ...


@dataclass(frozen=True)
class SavedCheckIn:
    """A check-in just stored: its row as inserted (`id` included) and its new warning events."""

    row: dict[str, Any]
    events: list[WarningEvent]

    @property
    def id(self) -> int:
        return self.row["id"]


def save_new_checkin(
    session: Session,
    patient: Patient,
    values: Mapping[str, Any],
    signs: list[str],
    *,
    now: datetime,
    uuid: str,
    diary: Diary | None = None,
) -> SavedCheckIn | None:
    """Stores a new check-in and its warning events; None when the patient already has one
    with this id (it is left unchanged).

    Idempotent by (patient, uuid), also when two requests race: the unique key decides
    (INSERT .. ON CONFLICT DO NOTHING), so a first save makes no lookup and a repeat never
    fails the transaction (a batch's earlier records stay). Every read happens before the
    first write, so SQLite's write lock is held only for the inserts and the commit. A save
    that raises no sign is two statements, the week before (`diary`, when the caller read it
    with something else: none) and the insert; no ORM object is made for the check-in.
    """
    raised = raised_signs(session, patient, values, signs, diary=diary)
    row = {"user_id": patient.id, "uuid": uuid, "created_at": now, "updated_at": now, **values}
    new_id = session.connection().execute(_insert_new(session), row).scalar()
    if new_id is None:
        return None
    row["id"] = new_id
    events = [
        new_warning_event(patient, code, now, values["date"], computed=computed)
        for code, computed in raised.signs.items()
    ]
    for event in events:
        event.checkin_id = new_id
    session.add_all(events)
    note_repeats(raised.repeats, values["date"])
    if events or raised.repeats:
        session.flush()
    return SavedCheckIn(row, events)


_INSERT_NEW: dict[str, Any] = {}  # by dialect, built once


def _insert_new(session: Session) -> Any:
    """INSERT .. ON CONFLICT (user_id, uuid) DO NOTHING RETURNING id: the new id, or none."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERT_NEW:
        _INSERT_NEW[dialect] = (
            dialect_insert(session, CHECKINS)
            .on_conflict_do_nothing(index_elements=["user_id", "uuid"])
            .returning(CHECKINS.c.id)
        )
    return _INSERT_NEW[dialect]


def stored_checkin(session: Session, patient: Patient, uuid: str) -> CheckIn | None:
    """The patient's check-in with this id and its warning events, in one query."""
    return (
        session.scalars(
            select(CheckIn)
            .options(joinedload(CheckIn.warning_events))
            .where(CheckIn.user_id == patient.id, CheckIn.uuid == uuid)
        )
        .unique()
        .one_or_none()
    )


@dataclass
class Raised:
    """What a check-in raises: {sign: computed?}, and the acted-on events whose computed sign
    came back within 72 hours (not raised again; the day is noted on them instead)."""

    signs: dict[str, bool]
    repeats: list[WarningEvent]


def raised_signs(
    session: Session,
    patient: Patient,
    values: Mapping[str, Any],
    ticked: list[str],
    checkin_id: int | None = None,
    *,
    diary: Diary | None = None,
    acted_cache: dict[tuple[str, date], WarningEvent | None] | None = None,
) -> Raised:
    """The ticked signs we know, plus the computed ones the diary shows (CLINICAL.md 4).

    The outbox's batch passes the `diary` it read once for all its check-ins, and a cache of
    the acted-on lookups (its own check-ins add no acted-on event)."""
    day: date = values["date"]
    signs = {code: False for code in dict.fromkeys(ticked) if code in SIGNS}
    diary = diary or Diary.read(session, patient, day)
    earlier = diary.latest
    days = [values, *(earlier.get(day - timedelta(days=n)) for n in (1, 2))]
    average = diary.average
    # The profile comes with the signed-in user (one query); its blood thinner matters only
    # after a fall with a hit head, its start date only 6 to 12 weeks after the fracture.
    blood_thinner = bool(
        hit_head_in_fall(values) and patient.profile and patient.profile.blood_thinner
    )
    progress = pain_progress(session, patient, values, diary)
    computed = computed_signs(values, days, average, blood_thinner, progress)
    repeats: list[WarningEvent] = []
    for code in computed:
        if code in signs:
            continue
        if acted_cache is None:
            acted = acted_on_recently(session, patient, code, day, checkin_id)
        else:
            if (code, day) not in acted_cache:
                with session.no_autoflush:
                    acted_cache[code, day] = acted_on_recently(session, patient, code, day, None)
            acted = acted_cache[code, day]
        if acted is not None:
            repeats.append(acted)
        elif code not in WEEKLY_SIGNS or not raised_this_week(
            session, patient, code, day, checkin_id
        ):
            signs[code] = True
    return Raised(signs, repeats)


def _answer(day: object, name: str) -> Any:
    return day.get(name) if isinstance(day, Mapping) else getattr(day, name, None)


def computed_signs(
    values: Mapping[str, Any],
    days: list[Any],
    average: float | None,
    blood_thinner: bool,
    progress: PainProgress | None = None,
) -> list[str]:
    """The signs the diary raises by itself. `days` are today's answers and the latest
    check-in of each of the two days before (None where not logged); `progress` is the pain
    against its baseline (None before there is a start date)."""
    codes = []
    if is_pain_not_improving(progress):
        codes.append("pain_not_improving")
    if is_pain_jump(average, values["pain_avg"]):
        codes.append("pain_jump")
    codes += fall_signs(values, blood_thinner)
    if all(day is not None and mostly_in_bed(day) for day in days):
        codes.append("bed_rest_days")
    if all(day is not None and opioid_day_without_bowel_movement(day) for day in days):
        codes.append("opioid_constipation")
    return codes


# Issue 12 ------------------------------------------------------------------------------------
# A sign that lasts for weeks (the pain at 6 to 12 weeks) would come back with every check-in;
# it is raised at most once in 7 days, whatever the patient did about the last one. Within 72
# hours of acting on it (called, saw a doctor) the day is noted on that event, as for every
# computed sign ("also on 12 Nov").
WEEKLY_SIGNS = ("pain_not_improving",)


@dataclass(frozen=True)
class PainProgress:
    """Where the pain stands on a check-in's day against the patient's own start."""

    day: date
    days_since_start: int  # since the fracture or procedure (Profile.start_date)
    average: float | None  # 7-day average ending on `day` (rolling_mean), None under 3 days
    baseline: Fraction | None  # CLINICAL.md section 5 (the report's pain_baseline)
    baseline_end: date | None  # the last day the baseline is the mean of


def pain_progress(
    session: Session, patient: Patient, values: Mapping[str, Any], diary: Diary
) -> PainProgress | None:
    """The pain progress for a check-in being saved, from the week's `diary` already read, or
    None outside the 6 to 12 weeks after the start date (or without one), so ordinary days
    cost no extra query."""
    profile = patient.profile
    start = profile.start_date if profile else None
    day: date = values["date"]
    if start is None or not NOT_IMPROVING_FROM_DAY <= (day - start).days <= NOT_IMPROVING_TO_DAY:
        return None
    # The report imports this module, so its baseline is imported where it is used.
    from ..report.services import pain_baseline

    daily = diary.pain(day - timedelta(days=ROLLING_DAYS))
    daily[day] = values["pain_avg"]
    baseline = pain_baseline(session, patient, day, profile.procedure_date if profile else None)
    return PainProgress(
        day=day,
        days_since_start=(day - start).days,
        average=rolling_mean(daily, day),
        baseline=baseline.value if baseline else None,
        baseline_end=baseline.days[-1] if baseline else None,
    )


def is_pain_not_improving(progress: PainProgress | None) -> bool:
    """6 to 12 weeks after the fracture or procedure, the 7-day average pain (3 or more days
    logged) is still 4 or more, or less than 30% better than the baseline. The percent is
    judged only against a baseline logged before this week (else it compares a day with
    itself)."""
    if progress is None or progress.average is None:
        return False
    if not NOT_IMPROVING_FROM_DAY <= progress.days_since_start <= NOT_IMPROVING_TO_DAY:
        return False
    average = Fraction(str(progress.average))
    if average >= NOT_IMPROVING_PAIN:
        return True
    week_start = progress.day - timedelta(days=ROLLING_DAYS - 1)
    if (
        not progress.baseline
        or progress.baseline_end is None
        or progress.baseline_end >= week_start
    ):
        return False
    return average > (1 - NOT_IMPROVING_FRACTION) * progress.baseline


def raised_this_week(
    session: Session, patient: Patient, code: str, day: date, checkin_id: int | None
) -> bool:
    """Whether this sign was raised from a check-in less than 7 days before or after `day`
    (other than the one being saved)."""
    query = (
        select(WarningEvent.id)
        .join(CheckIn, WarningEvent.checkin_id == CheckIn.id)
        .where(
            WarningEvent.user_id == patient.id,
            WarningEvent.sign == code,
            CheckIn.date > day - timedelta(days=NOT_IMPROVING_REPEAT_DAYS),
            CheckIn.date < day + timedelta(days=NOT_IMPROVING_REPEAT_DAYS),
        )
        .limit(1)
    )
    if checkin_id is not None:
        query = query.where(CheckIn.id != checkin_id)
    return session.scalar(query) is not None


def hit_head_in_fall(values: Mapping[str, Any]) -> bool:
    """The one answer that makes a blood thinner change the fall's tier."""
    return bool(values.get("fell") and values.get("fall_hit_head"))


def fall_signs(values: Mapping[str, Any], blood_thinner: bool) -> list[str]:
    """The fall follow-up's triage: a possible hip fracture or a head injury on a blood
    thinner is an emergency, any hurt is urgent, a fall without injury is for the doctor."""
    if not values.get("fell"):
        return []
    cannot_stand = bool(values.get("fall_cannot_stand") or values.get("fall_hip_groin"))
    hit_head = bool(values.get("fall_hit_head"))
    codes = []
    if cannot_stand:
        codes.append("fall_cannot_stand")
    if hit_head and blood_thinner:
        codes.append("fall_head_blood_thinner")
    if values.get("fall_injured") or cannot_stand or hit_head:
        codes.append("fall_injured")
    elif values.get("fall_injured") is False:
        codes.append("fall_no_injury")
    return codes


def mostly_in_bed(day: object) -> bool:
    return bool(_answer(day, "bed_rest")) or _answer(day, "walking_aid") == "bed"


def opioid_day_without_bowel_movement(day: object) -> bool:
    return (_answer(day, "opioid_doses") or 0) > 0 and _answer(day, "bowel_movement") is False


def acted_on_recently(
    session: Session, patient: Patient, code: str, day: date, checkin_id: int | None
) -> WarningEvent | None:
    """The latest event of this sign the patient acted on (called, went, saw a doctor) from a
    check-in of the 3 days (72 hours) up to `day`, other than the one being saved."""
    query = (
        select(WarningEvent)
        .join(CheckIn, WarningEvent.checkin_id == CheckIn.id)
        .where(
            WarningEvent.user_id == patient.id,
            WarningEvent.sign == code,
            WarningEvent.action.in_(ACTED_ON),
            CheckIn.date >= day - timedelta(days=SUPPRESS_DAYS),
            CheckIn.date <= day,
        )
        .order_by(CheckIn.date.desc(), WarningEvent.id.desc())
        .limit(1)
    )
    if checkin_id is not None:
        query = query.where(CheckIn.id != checkin_id)
    return session.scalar(query)


def also_on_text(event: WarningEvent) -> str:
    """The days a computed sign came back after it was acted on: "12 Nov, 13 Nov"."""
    days = [date.fromisoformat(text) for text in event.also_on or []]
    return ", ".join(f"{day.day} {day:%b}" for day in days)


def note_repeats(events: list[WarningEvent], day: date) -> None:
    """Notes on each acted-on event the day its sign came back ("also on 12 Nov")."""
    for event in events:
        seen = list(event.also_on or [])
        if day.isoformat() not in seen:
            event.also_on = sorted([*seen, day.isoformat()])


def new_warning_event(
    patient: Patient,
    code: str,
    now: datetime,
    day: date | None = None,
    computed: bool | None = None,
) -> WarningEvent:
    """A new event of this sign on its diary `day` (the check-in's date), entered at `now`
    (naive UTC); without `day`, the insert takes its check-in's date
    (models._diary_day_of_event). `computed` defaults to whether the sign is only computed."""
    sign = ALL_SIGNS[code]
    if computed is None:
        computed = sign.computed
    return WarningEvent(
        user_id=patient.id,
        sign=code,
        tier=sign.tier,
        computed=computed,
        occurred_at=now,
        day=day,
        also_on=[],
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


def latest_today(session: Session, patient: User, today: date) -> CheckIn | None:
    """Today's check-in that counts (the latest saved), if the patient already checked in."""
    return latest_per_day(list_checkins(session, patient, today, today)).get(today)


def weekly_question_due(session: Session, patient: User, day: date) -> bool:
    """The weekly question is asked on the 7th day since it was last answered (or never)."""
    last = session.scalar(
        select(CheckIn.date)
        .where(
            CheckIn.user_id == patient.id,
            CheckIn.weekly_change.is_not(None),
            CheckIn.date <= day,
        )
        .order_by(CheckIn.date.desc())
        .limit(1)
    )
    return last is None or (day - last).days >= 7


def _sync_warning_events(
    session: Session, patient: User, checkin: CheckIn, signs: list[str], *, now: datetime
) -> None:
    """Makes an edited check-in's events match what is ticked now plus what the diary shows.

    Events already answered ("called my doctor") are history and are never removed.
    """
    values = {name: getattr(checkin, name) for name in CHECKIN_ANSWERS}
    raised = raised_signs(session, patient, values, signs, checkin.id)
    for event in list(checkin.warning_events):
        if event.sign not in raised.signs and event.action is None:
            checkin.warning_events.remove(event)
            session.delete(event)
        else:
            event.day = checkin.date  # a moved check-in takes its signs to the new day
    present = {event.sign for event in checkin.warning_events}
    for code, computed in raised.signs.items():
        if code not in present:
            checkin.warning_events.append(
                new_warning_event(patient, code, now, checkin.date, computed=computed)
            )
    note_repeats(raised.repeats, checkin.date)
    session.flush()


def record_action(checkin: CheckIn, action: str, *, now: datetime) -> int:
    """Stores what the patient did about the check-in's warning signs; returns how many."""
    for event in checkin.warning_events:
        event.action = action
        event.action_at = now
    return len(checkin.warning_events)
