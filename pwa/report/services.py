"""The doctor's report as plain data (CLINICAL.md sections 5 and 7).

`build_report` is the whole decision-making part of the report: it reads the patient's own rows
and returns frozen dataclasses. Templates, charts and the PDF renderer only present them, so every
number on the page can be tested without rendering anything.

Averages are kept as exact fractions so the "meaningful improvement" threshold (a fall of at
least 2 points AND at least 30%) is never decided by a floating-point rounding error.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..appointments.services import list_appointments
from ..appointments.services import next_appointment as find_next_appointment
from ..checkin.services import ROLLING_DAYS, Patient, rolling_mean
from ..checkin.services import latest_per_day as latest_checkin_per_day
from ..checkin.signs import ALL_SIGNS
from ..models import (
    APPOINTMENT_KINDS,
    FRACTURE_CAUSES,
    PAIN_LOCATIONS,
    TREATMENTS,
    WALKING_AIDS,
    WARNING_ACTIONS,
    WEEKLY_CHANGE,
    Appointment,
    CheckIn,
    CheckInAuthor,
    User,
    WarningEvent,
)
from ..records.checkin import CheckInRecord
from ..timezones import local_to_utc, utc_to_local
from .adherence import Adherence, medicine_adherence
from .bone import BoneHealth, bone_health, scan_alert
from .summary import (
    MAX_ALERTS,
    Alert,
    PainCourse,
    Week7,
    alerts,
    pain_course,
    worse_than_best,
)

MAX_DAYS = 731  # two years: longer periods are refused with a clear message
PRESETS = {
    "since": "Since the fracture or procedure",
    "14": "Last 2 weeks",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "custom": "Choose dates",
}
DEFAULT_PRESET = "30"
RECENT_DAYS = 7
HIGH_PAIN = 7
MEANINGFUL_POINTS = 2
MEANINGFUL_FRACTION = Fraction(3, 10)
TIER_LABELS = {"emergency": "Emergency", "urgent": "Urgent", "routine": "Next visit"}


class PeriodError(ValueError):
    """A period that cannot be reported on, with a message meant for the patient."""


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def preset_period(preset: str, *, today: date, recovery_start: date | None) -> Period:
    """The dates a preset stands for; every preset ends today (in the patient's time zone)."""
    if preset == "since":
        if recovery_start is None:
            raise PeriodError(
                "Your recovery details have no fracture or procedure date yet. Add one under "
                "My recovery details, or choose another period."
            )
        if recovery_start > today:
            raise PeriodError(
                "Your procedure date is still ahead. Choose another period until then."
            )
        start = max(recovery_start, today - timedelta(days=MAX_DAYS - 1))
        return Period(start, today)
    if preset in {"14", "30", "90"}:
        return Period(today - timedelta(days=int(preset) - 1), today)
    raise PeriodError("Please choose one of the periods.")


def check_period(start: date, end: date, *, today: date) -> Period:
    if start > end:
        raise PeriodError("The first day is after the last day. Please swap them.")
    if end > today:
        raise PeriodError(f"The last day cannot be after today ({today:%Y-%m-%d}).")
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise PeriodError("Please choose at most 2 years.")
    return period


# --------------------------------------------------------------------------- the report data


class Day(CheckInRecord):
    """One diary day: the latest check-in of that date, as its record (CheckInRecord's fields:
    `pain`, `pain_worst`, ...), and how many check-ins that date had."""

    day: dt.date
    entries: int
    checkin_id: int | None = None  # issue 16: to find who entered it
    entered_by: str | None = None  # a caregiver's name, when they entered it

    @property
    def location_labels(self) -> list[str]:
        return [PAIN_LOCATIONS.get(code, code) for code in self.locations]

    @property
    def walking_aid_label(self) -> str | None:
        return WALKING_AIDS.get(self.walking_aid, self.walking_aid) if self.walking_aid else None

    @property
    def weekly_change_label(self) -> str | None:
        if not self.weekly_change:
            return None
        return WEEKLY_CHANGE.get(self.weekly_change, self.weekly_change)

    @property
    def pain_medicines(self) -> list[tuple[str, int]]:
        """(name, doses) for each pain medicine taken that day."""
        doses = [
            ("Acetaminophen", self.acetaminophen_doses),
            ("NSAID", self.nsaid_doses),
            ("Opioid", self.opioid_doses),
            ("Other", self.other_pain_med_doses),
        ]
        return [(name, n) for name, n in doses if n]

    @property
    def medicines_answered(self) -> bool:
        return any(
            value is not None
            for value in (
                self.acetaminophen_doses,
                self.nsaid_doses,
                self.opioid_doses,
                self.other_pain_med_doses,
            )
        )


@dataclass(frozen=True)
class AppointmentLine:
    starts_at: datetime  # aware, in the patient's zone
    kind: str
    with_whom: str | None
    location: str | None
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Header:
    name: str
    date_of_birth: date | None
    period: Period
    fracture_levels: str | None
    fracture_date: date | None
    fracture_cause: str | None
    treatment: str | None
    procedure_date: date | None
    procedure_levels: str | None
    recovery_start: date | None
    recovery_start_is_procedure: bool
    brace_prescribed: bool | None
    doctor_name: str | None
    clinic_phone: str | None
    next_appointment: AppointmentLine | None
    osteoporosis_medicine: str | None
    osteoporosis_medicine_start: date | None
    last_dexa_date: date | None

    @property
    def time_since_start(self) -> str | None:
        """'24 days' or '7 weeks': from the procedure (or fracture) to the end of the period."""
        if self.recovery_start is None or self.recovery_start > self.period.end:
            return None
        days = (self.period.end - self.recovery_start).days
        return _plural(days, "day") if days < 14 else _plural(days // 7, "week")


@dataclass(frozen=True)
class Baseline:
    value: Fraction
    days: tuple[date, ...]
    before_procedure: bool

    @property
    def description(self) -> str:
        n = len(self.days)
        span = _span(self.days[0], self.days[-1])
        if self.before_procedure:
            return f"mean of the {_plural(n, 'day')} logged before the procedure ({span})"
        return f"mean of the first {_plural(n, 'logged day')} ({span})"


@dataclass(frozen=True)
class YesCount:
    yes: int
    answered: int

    @property
    def text(self) -> str:
        if not self.answered:
            return "not answered"
        return f"{self.yes} of {self.answered} answered"


@dataclass(frozen=True)
class Dated:
    day: date
    text: str | None


@dataclass(frozen=True)
class KeyNumbers:
    baseline: Baseline | None
    recent: Fraction | None
    recent_period: Period
    recent_logged: int
    change_points: Fraction | None
    change_percent: Fraction | None
    meaningful: bool
    no_comparison_reason: str | None
    worst_recent: int | None
    high_pain_days: int
    logged_days: int
    limited_first: YesCount
    limited_last: YesCount
    bed_rest_first: YesCount
    bed_rest_last: YesCount
    first_week: Period
    walking_then: Dated | None
    walking_now: Dated | None
    weekly_change: Dated | None
    best: Week7 | None = None  # the lowest 7-day mean of the period, with its dates
    worse_than_best: bool = False  # last 7 days 2 or more points above the best 7 days

    @property
    def trend_text(self) -> str:
        """The one-line verdict next to the numbers: a trend label, never a diagnosis.

        It never says only "improvement" when pain has climbed back 2 or more points above
        the best week (CLINICAL.md section 5): a start-versus-now label alone hides a relapse.
        """
        if self.change_points is None:
            return self.no_comparison_reason or ""
        if self.worse_than_best and self.best is not None:
            return self.relapse_text
        if self.meaningful:
            return "Meaningful improvement (at least 2 points and at least 30% lower)"
        if self.change_points > 0:
            return "Pain is higher than at the start"
        if self.change_points == 0:
            return "No change from the start"
        return "Not yet a meaningful improvement (needs at least 2 points and 30% lower)"

    @property
    def relapse_text(self) -> str:
        assert self.best is not None and self.change_points is not None
        week = f"the week of {self.best.start.day} {self.best.start:%b}"
        if self.change_points < 0:
            start = "Better than at the start"
        elif self.change_points == 0:
            start = "The same as at the start"
        else:
            start = "Worse than at the start"
        return (
            f"{start}, worse than in {week}: the last 7 days are 2 or more points above the "
            "best 7 days. A new fracture is the first thing to rule out."
        )


@dataclass(frozen=True)
class ChartDay:
    day: date
    pain: int | None
    rolling: float | None
    minutes_walked: int | None


@dataclass(frozen=True)
class Marker:
    day: date
    kind: str  # procedure | visit | fall | warning
    label: str
    tier: str | None = None


@dataclass(frozen=True)
class Week:
    start: date
    end: date
    logged: int
    limited: int
    bed_rest: int
    minutes_mean: Fraction | None


@dataclass(frozen=True)
class Medicines:
    answered_days: int
    opioid_days: int
    opioid_doses: int
    opioid_days_recent: int
    nsaid_days: int
    acetaminophen_days: int
    other_days: int
    osteoporosis: YesCount
    calcium: YesCount
    vitamin_d: YesCount
    brace_days: int
    brace_hours_mean: Fraction | None

    @property
    def opioid_doses_per_day(self) -> Fraction | None:
        return Fraction(self.opioid_doses, self.opioid_days) if self.opioid_days else None

    @property
    def osteoporosis_percent(self) -> int | None:
        o = self.osteoporosis
        return int(_round(Fraction(100 * o.yes, o.answered), 0)) if o.answered else None


@dataclass(frozen=True)
class Event:
    day: date
    at: datetime | None  # aware local time when known
    kind: str  # warning | fall | visit
    text: str
    tier: str | None = None
    action: str | None = None
    computed: bool = False
    code: str | None = None  # the warning sign's code
    entry_deleted: bool = False  # its check-in was deleted after the patient acted on it
    visit_notes: str | None = None  # issue 12: what the doctor said, noted after the visit

    @property
    def entered_late(self) -> bool:
        """Entered on a later day than the diary day it belongs to (back-filled)."""
        return self.at is not None and self.at.date() != self.day

    @property
    def tier_label(self) -> str | None:
        return TIER_LABELS.get(self.tier or "", self.tier)


@dataclass(frozen=True)
class Completeness:
    logged: int
    days: int

    @property
    def text(self) -> str:
        return f"{self.logged} of {_plural(self.days, 'day')} logged"


@dataclass(frozen=True)
class DailyRow:
    day: date
    entry: Day | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    header: Header
    key: KeyNumbers
    chart: tuple[ChartDay, ...]
    markers: tuple[Marker, ...]
    weeks: tuple[Week, ...]
    medicines: Medicines
    events: tuple[Event, ...]
    questions: AppointmentLine | None
    rows: tuple[DailyRow, ...]
    completeness: Completeness
    made_on: datetime  # aware local time the report was made
    paper_size: str
    zone: str = field(default="UTC")
    course: PainCourse | None = None
    alerts: tuple[Alert, ...] = ()
    adherence: tuple[Adherence, ...] = ()
    upcoming: tuple[AppointmentLine, ...] = ()  # appointments to come that have questions
    bone: BoneHealth | None = None  # issue 12: page 1's bone-health box

    @property
    def page_one_alerts(self) -> tuple[Alert, ...]:
        return self.alerts[:MAX_ALERTS]

    @property
    def weeks_since_fracture(self) -> int | None:
        return weeks_since(self.header.fracture_date, self.period.end)

    @property
    def period(self) -> Period:
        return self.header.period

    @property
    def empty(self) -> bool:
        return self.completeness.logged == 0


def weeks_since(fracture: date | None, end: date) -> int | None:
    """Whole weeks from the fracture to the report's last day."""
    if fracture is None or fracture > end:
        return None
    return (end - fracture).days // 7


def build_report(
    patient: User, start: date, end: date, *, now: datetime, session: Session
) -> Report:
    """Everything the report shows for `patient` from `start` to `end` (local dates, inclusive).

    Only rows whose user_id is the patient's are read. `now` is naive UTC.
    """
    period = Period(start, end)
    zone = patient.timezone
    profile = patient.profile
    procedure_date = profile.procedure_date if profile else None

    # The period plus the days before it that the first rolling means need.
    diary = latest_per_day(
        _checkins(session, patient, start - timedelta(days=ROLLING_DAYS - 1), end)
    )
    in_period = _with_authors(session, {d: day for d, day in diary.items() if start <= d <= end})
    baseline = pain_baseline(session, patient, end, procedure_date)
    key = _key_numbers(period, in_period, baseline)

    events_utc_from = local_to_utc(start, time(0), zone)
    events_utc_to = local_to_utc(end + timedelta(days=1), time(0), zone)
    warnings = _warnings(session, patient, period)
    visits = session.scalars(
        select(Appointment)
        .where(
            Appointment.user_id == patient.id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at >= events_utc_from,
            Appointment.starts_at < events_utc_to,
        )
        .order_by(Appointment.starts_at)
    ).all()
    today_utc = local_to_utc(patient.today(now), time(0), zone)
    upcoming = find_next_appointment(session, patient, today_utc)  # from the start of today
    next_appointment = _appointment_line(upcoming, zone) if upcoming else None
    course = pain_course(diary, start, end)
    key = replace(key, best=course.best, worse_than_best=worse_than_best(key.recent, course.best))
    adherence = medicine_adherence(session, patient, start, end, now)

    events = _events(in_period, warnings, visits, zone)
    medicines = _medicines(period, in_period)
    bone = bone_health(
        session,
        patient,
        period,
        weeks_since_fracture=weeks_since(profile.fracture_date if profile else None, end),
        adherence=tuple(adherence),
        vitamin_d=medicines.vitamin_d,
        calcium=medicines.calcium,
        days_logged=len(in_period),
        fall_days=tuple(d for d, day in in_period.items() if day.fell),
    )
    no_scan = scan_alert(bone, end)
    warnings_by_day: dict[date, list[str]] = {}
    for event in events:
        if event.kind == "warning" and not event.entry_deleted:
            warnings_by_day.setdefault(event.day, []).append(f"{event.tier_label}: {event.text}")

    return Report(
        header=_header(patient, period, next_appointment),
        key=key,
        chart=tuple(_chart_days(period, diary)),
        markers=tuple(_markers(period, procedure_date, in_period, events)),
        weeks=tuple(_weeks(period, in_period)),
        medicines=medicines,
        events=tuple(events),
        questions=next_appointment if next_appointment and next_appointment.questions else None,
        rows=tuple(
            DailyRow(d, in_period.get(d), tuple(warnings_by_day.get(d, ()))) for d in period.dates()
        ),
        completeness=Completeness(len(in_period), period.days),
        made_on=utc_to_local(now, zone),
        paper_size=patient.paper_size if patient.paper_size in {"a4", "letter"} else "letter",
        zone=zone,
        course=course,
        alerts=tuple(alerts(events, in_period, adherence, start, [no_scan] if no_scan else [])),
        adherence=tuple(adherence),
        upcoming=tuple(_questions_to_come(session, patient, today_utc, zone)),
        bone=bone,
    )


def _questions_to_come(
    session: Session, patient: User, since: datetime, zone: str
) -> Iterable[AppointmentLine]:
    """Every appointment from today on (not cancelled) with the patient's questions for it."""
    for appointment in list_appointments(session, patient, since, include_cancelled=False):
        line = _appointment_line(appointment, zone)
        if line.questions:
            yield line


# --------------------------------------------------------------------------- reading the diary


def _with_authors(session: Session, days: dict[date, Day]) -> dict[date, Day]:
    """Days a caregiver entered carry their name ("entered by <name>", issue 16)."""
    ids = [d.checkin_id for d in days.values() if d.checkin_id is not None]
    if not ids:
        return days
    names = dict(
        session.execute(
            select(CheckInAuthor.checkin_id, CheckInAuthor.name).where(
                CheckInAuthor.checkin_id.in_(ids)
            )
        ).all()
    )
    if not names:
        return days
    return {
        k: d.model_copy(update={"entered_by": names.get(d.checkin_id or 0)})
        for k, d in days.items()
    }


def _warnings(session: Session, patient: User, period: Period) -> list[WarningEvent]:
    """The patient's warning signs on the diary days of the period (not when they were entered:
    a fever entered today for last Tuesday belongs to last Tuesday)."""
    return list(
        session.scalars(
            select(WarningEvent)
            .where(
                WarningEvent.user_id == patient.id,
                WarningEvent.day >= period.start,
                WarningEvent.day <= period.end,
            )
            .order_by(WarningEvent.day, WarningEvent.occurred_at, WarningEvent.id)
        )
    )


def _checkins(session: Session, patient: User, start: date, end: date) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.user_id == patient.id, CheckIn.date >= start, CheckIn.date <= end)
            .order_by(CheckIn.date, CheckIn.created_at, CheckIn.id)
        )
    )


def latest_per_day(checkins: Iterable[CheckIn]) -> dict[date, Day]:
    """One Day per date from the LATEST check-in of that date; the count of entries is kept."""
    checkins = list(checkins)
    counts = Counter(checkin.date for checkin in checkins)
    latest = latest_checkin_per_day(checkins)
    return {d: _day(c, counts[d]) for d, c in sorted(latest.items())}


def _day(c: CheckIn, entries: int) -> Day:
    answers = CheckInRecord.from_row(c, signs=[])
    return Day.model_construct(**dict(answers), day=c.date, entries=entries, checkin_id=c.id)


def pain_baseline(
    session: Session, patient: Patient, end: date, procedure_date: date | None
) -> Baseline | None:
    """The patient's own starting point (CLINICAL.md section 5).

    The days logged before the procedure when there are any, otherwise the first 3 logged days
    of the whole diary, so the baseline stays the same whichever period is chosen. The one
    baseline rule: the check-in's `pain_not_improving` sign reads it too.
    """
    if procedure_date is not None:
        before = latest_per_day(
            session.scalars(
                select(CheckIn)
                .where(
                    CheckIn.user_id == patient.id,
                    CheckIn.date < procedure_date,
                    CheckIn.date <= end,
                )
                .order_by(CheckIn.date, CheckIn.created_at, CheckIn.id)
            )
        )
        if before:
            return Baseline(_mean(d.pain for d in before.values()), tuple(before), True)
    first_dates = (
        select(CheckIn.date)
        .where(CheckIn.user_id == patient.id, CheckIn.date <= end)
        .distinct()
        .order_by(CheckIn.date)
        .limit(3)
        .scalar_subquery()
    )
    first = latest_per_day(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.user_id == patient.id, CheckIn.date.in_(first_dates))
            .order_by(CheckIn.date, CheckIn.created_at, CheckIn.id)
        )
    )
    if not first:
        return None
    return Baseline(_mean(d.pain for d in first.values()), tuple(first), False)


# --------------------------------------------------------------------------- summaries


def _key_numbers(period: Period, days: dict[date, Day], baseline: Baseline | None) -> KeyNumbers:
    """The figures at the top of the report: the recent week against the patient's start."""
    recent_period = Period(
        max(period.start, period.end - timedelta(days=RECENT_DAYS - 1)), period.end
    )
    first_week = Period(period.start, min(period.end, period.start + timedelta(days=6)))
    recent = [d for d in days.values() if recent_period.start <= d.day]
    first = [d for d in days.values() if d.day <= first_week.end]
    recent_mean = _mean(d.pain for d in recent) if recent else None
    comparison = _compare_with_start(days, baseline, recent, recent_mean)
    return KeyNumbers(
        baseline=baseline,
        recent=recent_mean,
        recent_period=recent_period,
        recent_logged=len(recent),
        change_points=comparison.change,
        change_percent=comparison.percent,
        meaningful=comparison.meaningful,
        no_comparison_reason=comparison.reason,
        worst_recent=max((max(d.pain, d.pain_worst or 0) for d in recent), default=None),
        high_pain_days=sum(1 for d in days.values() if d.pain >= HIGH_PAIN),
        logged_days=len(days),
        limited_first=_yes_count(d.limited_activity for d in first),
        limited_last=_yes_count(d.limited_activity for d in recent),
        bed_rest_first=_yes_count(d.bed_rest for d in first),
        bed_rest_last=_yes_count(d.bed_rest for d in recent),
        first_week=first_week,
        best=None,  # set with the pain course (summary.py) in build_report
        worse_than_best=False,
        **_first_and_last_answers(days),
    )


@dataclass(frozen=True)
class _Comparison:
    change: Fraction | None = None
    percent: Fraction | None = None
    meaningful: bool = False
    reason: str | None = None  # why there is no comparison


def _compare_with_start(
    days: dict[date, Day],
    baseline: Baseline | None,
    recent: list[Day],
    recent_mean: Fraction | None,
) -> _Comparison:
    """The change from the start to the recent week, or why it cannot be told yet."""
    if not days:
        return _Comparison(reason="No check-ins in this period.")
    if baseline is None:
        return _Comparison(reason="No starting value yet.")
    if not recent or recent_mean is None:
        return _Comparison(
            reason="No check-ins in the last 7 days of this period, so no recent average."
        )
    if not any(d.day > baseline.days[-1] for d in recent):
        return _Comparison(
            reason="Not enough days yet to compare with the start: "
            "the recent days are the starting days."
        )
    change = recent_mean - baseline.value
    fall = -change
    return _Comparison(
        change=change,
        percent=change * 100 / baseline.value if baseline.value else None,
        meaningful=fall >= MEANINGFUL_POINTS and fall >= MEANINGFUL_FRACTION * baseline.value,
    )


def _first_and_last_answers(days: dict[date, Day]) -> dict[str, Dated | None]:
    """The walking aid at the start and now, and the latest weekly "compared with before"."""
    aids = [d for d in days.values() if d.walking_aid]
    weekly = [d for d in days.values() if d.weekly_change]
    return {
        "walking_then": Dated(aids[0].day, aids[0].walking_aid_label) if aids else None,
        "walking_now": Dated(aids[-1].day, aids[-1].walking_aid_label) if len(aids) > 1 else None,
        "weekly_change": (
            Dated(weekly[-1].day, weekly[-1].weekly_change_label) if weekly else None
        ),
    }


def _chart_days(period: Period, diary: dict[date, Day]) -> Iterable[ChartDay]:
    pain = {d: day.pain for d, day in diary.items()}
    for d in period.dates():
        today = diary.get(d)
        yield ChartDay(
            d,
            today.pain if today else None,
            rolling_mean(pain, d),
            today.minutes_walked if today else None,
        )


def _markers(
    period: Period, procedure_date: date | None, days: dict[date, Day], events: list[Event]
) -> Iterable[Marker]:
    if procedure_date and period.start <= procedure_date <= period.end:
        yield Marker(procedure_date, "procedure", "Procedure")
    for event in events:
        if event.kind == "visit":
            yield Marker(event.day, "visit", "Visit")
        elif event.kind == "warning" and not event.entry_deleted:
            yield Marker(event.day, "warning", event.text, event.tier)
    for d in days.values():
        if d.fell:
            yield Marker(d.day, "fall", "Fall, injured" if d.fall_injured else "Fall")


def _weeks(period: Period, days: dict[date, Day]) -> Iterable[Week]:
    """Seven-day blocks counted back from the end, so the last block is 'the last 7 days'."""
    blocks = []
    end = period.end
    while end >= period.start:
        start = max(period.start, end - timedelta(days=6))
        blocks.append((start, end))
        end = start - timedelta(days=1)
    for start, end in reversed(blocks):
        week = [d for d in days.values() if start <= d.day <= end]
        minutes = [d.minutes_walked for d in week if d.minutes_walked is not None]
        yield Week(
            start,
            end,
            logged=len(week),
            limited=sum(1 for d in week if d.limited_activity),
            bed_rest=sum(1 for d in week if d.bed_rest),
            minutes_mean=_mean(minutes) if minutes else None,
        )


def _medicines(period: Period, days: dict[date, Day]) -> Medicines:
    recent_start = period.end - timedelta(days=RECENT_DAYS - 1)
    answered = [d for d in days.values() if d.medicines_answered]
    opioid = [d for d in answered if d.opioid_doses]
    braced = [d for d in days.values() if d.brace_hours]
    return Medicines(
        answered_days=len(answered),
        opioid_days=len(opioid),
        opioid_doses=sum(d.opioid_doses or 0 for d in opioid),
        opioid_days_recent=sum(1 for d in opioid if d.day >= recent_start),
        nsaid_days=sum(1 for d in answered if d.nsaid_doses),
        acetaminophen_days=sum(1 for d in answered if d.acetaminophen_doses),
        other_days=sum(1 for d in answered if d.other_pain_med_doses),
        osteoporosis=_yes_count(d.osteoporosis_med_taken for d in days.values()),
        calcium=_yes_count(d.calcium_taken for d in days.values()),
        vitamin_d=_yes_count(d.vitamin_d_taken for d in days.values()),
        brace_days=len(braced),
        brace_hours_mean=_mean(d.brace_hours or 0 for d in braced) if braced else None,
    )


def _events(
    days: dict[date, Day],
    warnings: Iterable[WarningEvent],
    visits: Iterable[Appointment],
    zone: str,
) -> list[Event]:
    events: list[Event] = []
    for w in warnings:
        events.append(
            Event(
                day=w.day,
                at=utc_to_local(w.occurred_at, zone),
                kind="warning",
                text=sign_label(w.sign),
                tier=w.tier,
                action=WARNING_ACTIONS.get(w.action, w.action) if w.action else None,
                computed=w.computed,
                code=w.sign,
                entry_deleted=w.entry_deleted_at is not None,
            )
        )
    for v in visits:
        local = utc_to_local(v.starts_at, zone)
        who = f" with {v.with_whom}" if v.with_whom else ""
        events.append(
            Event(
                local.date(),
                local,
                "visit",
                f"{APPOINTMENT_KINDS.get(v.kind, v.kind)}{who}",
                visit_notes=v.visit_notes,
            )
        )
    for d in days.values():
        if d.fell:
            text = "Fall, injured" if d.fall_injured else "Fall"
            if d.fall_injured is False:
                text = "Fall, not injured"
            events.append(Event(d.day, None, "fall", text))
    order = {"fall": 0, "warning": 1, "visit": 2}
    events.sort(key=lambda e: (e.day, e.at.timetz() if e.at else time(0), order[e.kind]))
    return events


def _header(patient: User, period: Period, next_appointment: AppointmentLine | None) -> Header:
    p = patient.profile
    return Header(
        name=patient.name,
        date_of_birth=p.date_of_birth if p else None,
        period=period,
        fracture_levels=p.fracture_levels if p else None,
        fracture_date=p.fracture_date if p else None,
        fracture_cause=FRACTURE_CAUSES.get(p.fracture_cause) if p and p.fracture_cause else None,
        treatment=TREATMENTS.get(p.treatment, p.treatment) if p and p.treatment else None,
        procedure_date=p.procedure_date if p else None,
        procedure_levels=p.procedure_levels if p else None,
        recovery_start=p.start_date if p else None,
        recovery_start_is_procedure=bool(p and p.procedure_date),
        brace_prescribed=p.brace_prescribed if p else None,
        doctor_name=p.doctor_name if p else None,
        clinic_phone=p.clinic_phone if p else None,
        next_appointment=next_appointment,
        osteoporosis_medicine=p.osteoporosis_medicine if p else None,
        osteoporosis_medicine_start=p.osteoporosis_medicine_start if p else None,
        last_dexa_date=p.last_dexa_date if p else None,
    )


def _appointment_line(a: Appointment, zone: str) -> AppointmentLine:
    return AppointmentLine(
        starts_at=utc_to_local(a.starts_at, zone),
        kind=APPOINTMENT_KINDS.get(a.kind, a.kind),
        with_whom=a.with_whom,
        location=a.location,
        questions=tuple(q for q in (a.questions or []) if q and q.strip()),
    )


def sign_label(code: str) -> str:
    """The warning sign's wording from the check-in's list; a readable code if it is unknown."""
    sign = ALL_SIGNS.get(code)
    return sign.label if sign else code.replace("_", " ").capitalize()


# --------------------------------------------------------------------------- numbers as text


def _mean(values: Iterable[int]) -> Fraction:
    values = list(values)
    return Fraction(sum(values), len(values))


def _yes_count(answers: Iterable[bool | None]) -> YesCount:
    answered = [a for a in answers if a is not None]
    return YesCount(sum(1 for a in answered if a), len(answered))


def _round(value: Fraction, places: int) -> Decimal:
    """Half away from zero, as people round (Python's round() goes to even)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    quantum = Decimal(1).scaleb(-places)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def one_decimal(value: Fraction | float | None) -> str:
    if value is None:
        return ""
    return str(_round(Fraction(value), 1))


def signed_points(value: Fraction) -> str:
    text = str(_round(value, 1))
    return text if text.startswith("-") else f"+{text}"


def signed_percent(value: Fraction) -> str:
    text = str(_round(value, 0))
    if text in {"0", "-0"}:
        return "0%"
    return f"{text}%" if text.startswith("-") else f"+{text}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _span(first: date, last: date) -> str:
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"


def period_text(period: Period) -> str:
    return _span(period.start, period.end)
