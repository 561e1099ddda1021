"""`medicine_late`: a long-interval bone medicine dose not taken by its date plus a margin.

The margin is the drug's (`pwa.bone.drugs`: denosumab 4 weeks past its 6-month date, zoledronic
acid 8, ibandronate injection 4, romosozumab 2); any other every-few-months or yearly medicine
uses 4 weeks. A late dose raises one urgent computed `WarningEvent` (no check-in; its day is the
patient's local day the dose became late), once: a `LateDose` row, unique per medicine and
dose, is inserted first, and only the process whose insert lands adds the event. Two
schedulers, or a scheduler and the home screen, finding the same dose at once raise it once.
Taking the dose afterwards closes nothing and raises nothing new.

Doses are the medicine's schedule's occurrences (`reminders.schedules.occurrences_between`, the
same walk adherence counts), from the moment the medicine was put on the list: doses before it
(a first injection typed in afterwards, years of history) are not known to the app. A dose
that became late more than LOOKBACK ago (while nothing ran) is left alone: an alarm that old
helps no one, and the report counts it as missed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..checkin.signs import ALL_SIGNS, DENOSUMAB_LATE
from ..extensions import dialect_insert
from ..models import LateDose as LateDoseRow
from ..models import MedicineDose, Reminder, User, WarningEvent
from ..reminders.schedules import Schedule, occurrences_between
from ..reminders.scheduling import schedule_of
from ..timezones import utc_to_local
from .drugs import DEFAULT_LATE_MARGIN_WEEKS, DRUGS, LONG_INTERVAL_FREQUENCIES, late_margin, of

SIGN = "medicine_late"
LOOKBACK = timedelta(days=60)
MAX_DOSES = 100
MAX_MARGIN = timedelta(
    weeks=max(DEFAULT_LATE_MARGIN_WEEKS, *(d.late_margin_weeks or 0 for d in DRUGS.values()))
)


@dataclass(frozen=True)
class LateDose:
    occurrence: datetime  # naive UTC, the dose's scheduled moment
    late_at: datetime  # naive UTC, its moment plus the margin
    day: date  # the patient's local day it became late


def late_doses(
    schedule: Schedule,
    zone: ZoneInfo,
    taken: Collection[datetime],
    margin: timedelta,
    since: datetime,
    now: datetime,
) -> list[LateDose]:
    """The doses scheduled after `since` that were not taken by their moment plus `margin`
    (all naive UTC): pure, over the schedule and the moments of the doses taken."""
    last = now - margin
    if last <= since:
        return []
    return [
        LateDose(moment, moment + margin, utc_to_local(moment + margin, zone).date())
        for moment in occurrences_between(schedule, zone, since, last, MAX_DOSES)
        if moment not in taken
    ]


def margin_of(medicine: Reminder) -> tuple[int, bool] | None:
    """(weeks, whether it is the drug's own) for this medicine, or None."""
    return late_margin(medicine.frequency, of(medicine.drug))


def advice(medicine: Reminder | None) -> str:
    """What to do, in plain words: the sign's advice, and for denosumab why it matters."""
    text = ALL_SIGNS[SIGN].advice
    if medicine is not None and medicine.drug == "denosumab":
        text = f"{text} {DENOSUMAB_LATE}"
    return text


def margin_words(medicine: Reminder) -> str | None:
    """The medicine page's line saying when a dose counts as late, or None if it never does.
    A margin the app assumed (no known drug) is said to be one."""
    margin = margin_of(medicine)
    if margin is None:
        return None
    weeks, own = margin
    text = (
        f"If a dose is not marked as taken {weeks} weeks after its date, Upright shows an "
        "urgent sign on your home screen: call your doctor that week."
    )
    if not own:
        text += (
            f" Upright does not know this medicine's own margin, so it uses {weeks} weeks; "
            "your doctor may want another."
        )
    return text


def _watched() -> list:
    """Medicines that can be late: every few months or yearly, or a drug with a margin."""
    codes = [code for code, drug in DRUGS.items() if drug.late_margin_weeks is not None]
    return [
        Reminder.kind == "medicine",
        Reminder.deleted_at.is_(None),
        Reminder.enabled.is_(True),
        or_(Reminder.frequency.in_(LONG_INTERVAL_FREQUENCIES), Reminder.drug.in_(codes)),
    ]


def find_late(
    session: Session, now: datetime, user_id: int | None = None
) -> list[tuple[Reminder, User, LateDose]]:
    """Every dose late at `now` (of one patient, or of everyone) not yet raised."""
    query = select(Reminder, User).join(User, User.id == Reminder.user_id).where(*_watched())
    if user_id is not None:
        query = query.where(Reminder.user_id == user_id)
    medicines = [(r, u) for r, u in session.execute(query).all() if margin_of(r) is not None]
    if not medicines:
        return []
    ids = [r.id for r, _ in medicines]
    earliest = now - LOOKBACK - MAX_MARGIN
    taken: dict[int, set[datetime]] = {}
    for reminder_id, moment in session.execute(
        select(MedicineDose.reminder_id, MedicineDose.occurrence_at).where(
            MedicineDose.reminder_id.in_(ids),
            MedicineDose.status == "taken",
            MedicineDose.occurrence_at >= earliest,
        )
    ):
        taken.setdefault(reminder_id, set()).add(moment)
    raised = {
        (reminder_id, moment)
        for reminder_id, moment in session.execute(
            select(LateDoseRow.reminder_id, LateDoseRow.occurrence_at).where(
                LateDoseRow.reminder_id.in_(ids), LateDoseRow.occurrence_at >= earliest
            )
        )
    }
    found = []
    for reminder, user in medicines:
        margin_weeks, _ = margin_of(reminder) or (0, False)
        margin = timedelta(weeks=margin_weeks)
        schedule = schedule_of(reminder)
        if schedule is None:
            continue
        since = max(reminder.created_at, now - margin - LOOKBACK)
        doses = late_doses(schedule, user.zone, taken.get(reminder.id, set()), margin, since, now)
        for dose in doses:
            if (reminder.id, dose.occurrence) not in raised:
                found.append((reminder, user, dose))
    return found


def raise_late(session: Session, now: datetime, user_id: int | None = None) -> list[WarningEvent]:
    """Raises `medicine_late` once for each dose newly found late; the caller commits.

    The `LateDose` insert (ON CONFLICT DO NOTHING) decides who raises: a dose another process
    has just claimed inserts nothing here, so it adds no event."""
    events = []
    for reminder, user, dose in find_late(session, now, user_id):
        claimed = session.execute(
            dialect_insert(session, LateDoseRow)
            .values(
                user_id=user.id,
                reminder_id=reminder.id,
                occurrence_at=dose.occurrence,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["reminder_id", "occurrence_at"])
            .returning(LateDoseRow.id)
        ).scalar()
        if claimed is None:
            continue
        sign = ALL_SIGNS[SIGN]
        event = WarningEvent(
            user_id=user.id,
            checkin_id=None,
            sign=SIGN,
            tier=sign.tier,
            computed=True,
            occurred_at=now,
            day=dose.day,
            also_on=[],
        )
        session.add(event)
        session.flush()
        session.execute(
            update(LateDoseRow).where(LateDoseRow.id == claimed).values(warning_event_id=event.id)
        )
        events.append(event)
    return events


def check_patient(session: Session, patient: User, now: datetime) -> None:
    """The home screen's look: raises what the scheduler has not yet, and commits if any.
    A write that loses to a scheduler at that moment (a busy database) is left to the
    scheduler: the home screen still opens."""
    try:
        if raise_late(session, now, patient.id):
            session.commit()
    except OperationalError:
        session.rollback()


@dataclass(frozen=True)
class OpenLate:
    event: WarningEvent
    name: str  # the medicine as the patient wrote it
    due: date  # the dose's local day
    advice: str


def open_late(session: Session, patient: User) -> list[OpenLate]:
    """The patient's late-dose signs not yet answered ("what did you do?"), newest first."""
    rows = session.execute(
        select(WarningEvent, LateDoseRow, Reminder)
        .join(LateDoseRow, LateDoseRow.warning_event_id == WarningEvent.id)
        .join(Reminder, Reminder.id == LateDoseRow.reminder_id)
        .where(
            WarningEvent.user_id == patient.id,
            WarningEvent.sign == SIGN,
            WarningEvent.action.is_(None),
            WarningEvent.entry_deleted_at.is_(None),
        )
        .order_by(WarningEvent.day.desc(), WarningEvent.id.desc())
    ).all()
    return [
        OpenLate(
            event,
            reminder.name or "Your bone medicine",
            utc_to_local(late.occurrence_at, patient.zone).date(),
            advice(reminder) + _assumed(reminder),
        )
        for event, late, reminder in rows
    ]


def _assumed(medicine: Reminder) -> str:
    margin = margin_of(medicine)
    if margin is None or margin[1]:
        return ""
    return f" (Upright counts a dose as late {margin[0]} weeks after its date.)"


def find_open_event(session: Session, patient: User, event_id: int) -> WarningEvent | None:
    """The patient's own medicine_late sign (another patient's counts as missing)."""
    return session.scalar(
        select(WarningEvent).where(
            WarningEvent.id == event_id,
            WarningEvent.user_id == patient.id,
            WarningEvent.sign == SIGN,
        )
    )


def answered(events: Iterable[WarningEvent], action: str, now: datetime) -> None:
    for event in events:
        event.action, event.action_at = action, now
