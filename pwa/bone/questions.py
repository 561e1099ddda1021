"""Questions to ask at a visit, suggested from the diary and the open checklist items.

CLINICAL.md section 6: before each visit, up to 5 questions, most important first, each in the
patient's own voice and carrying the facts ("On 12 Nov I had sudden new pain in my lower back.
Could it be a new fracture?"), because a doctor answers a dated fact better than a worry.
Question prompts raise question-asking without longer visits (Kinnersley, BMJ 2008).

Each suggestion has a stable key naming the fact it rests on (`falls:2026-11-10`, `dexa`), so a
suggestion the patient removed or added is not proposed again for that visit
(`Appointment.suggestions_dismissed` holds the keys of both), while a new fact (a later fall)
is a new key and is proposed.

The order follows the warning-sign tiers of CLINICAL.md section 4: urgent signs first (a
possible new fracture, a late long-interval dose, a fall with an injury), then the signs for
the next visit (a fall, pain not improving, height loss), then the open checklist items in the
checklist's own order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..checkin.services import (
    PainProgress,
    is_pain_not_improving,
    latest_per_day,
    rolling_mean,
)
from ..models import (
    Appointment,
    CheckIn,
    HeightMeasurement,
    Profile,
    Reminder,
    User,
    WarningEvent,
)
from . import drugs
from .checklist import answers, dexa_date

if TYPE_CHECKING:
    from ..report.services import Baseline

MAX_SUGGESTIONS = 5
URGENT, ROUTINE, CHECKLIST = 0, 1, 2  # the tiers, most important first

# Where the pain is, as the patient would say it in a sentence (PAIN_LOCATIONS' keys).
WHERE = {
    "upper_back": "in my upper back",
    "middle_back": "in my middle back",
    "lower_back": "in my lower back",
    "belly_chest": "spreading to my belly or chest",
    "legs": "spreading to my legs",
}
CHECKLIST_QUESTIONS = {
    "bloods": "Should I have blood tests for vitamin D, calcium and kidney function?",
    "medicine": "Should I start a medicine for osteoporosis, and which one would suit me?",
    "falls_review": "Could I have a falls review, to find out what makes me likely to fall?",
    "exercise": "Could you refer me to physiotherapy or an exercise programme for my back, "
    "strength and balance?",
    "fls": "Is there a fracture liaison service or bone health clinic you could refer me to?",
}


@dataclass(frozen=True)
class SuggestedQuestion:
    key: str  # stable: the fact it rests on
    text: str
    tier: int  # URGENT, ROUTINE or CHECKLIST


def suggested_questions(
    session: Session, patient: User, appointment: Appointment, now: datetime
) -> list[SuggestedQuestion]:
    """Up to 5 questions for `appointment`, most important first; none once it has started,
    or when it is cancelled. `now` is naive UTC."""
    if appointment.cancelled or appointment.starts_at <= now:
        return []
    handled = set(appointment.suggestions_dismissed or [])
    asked = {question.casefold() for question in appointment.questions or []}
    found = [
        s
        for s in all_suggestions(session, patient, appointment, now)
        if s.key not in handled and s.text.casefold() not in asked
    ]
    found.sort(key=lambda s: s.tier)  # stable: each tier keeps its own order
    return found[:MAX_SUGGESTIONS]


def all_suggestions(
    session: Session, patient: User, appointment: Appointment, now: datetime
) -> list[SuggestedQuestion]:
    """Every question the diary and the checklist suggest for this visit, in tier order."""
    today = patient.today(now)
    profile = patient.profile
    since = _since_last_visit(session, patient, appointment, now, profile)
    days = latest_per_day(
        list(session.scalars(select(CheckIn).where(CheckIn.user_id == patient.id)))
    )
    events = list(
        session.scalars(
            select(WarningEvent)
            .where(
                WarningEvent.user_id == patient.id,
                WarningEvent.day >= since,
                WarningEvent.entry_deleted_at.is_(None),
            )
            .order_by(WarningEvent.day, WarningEvent.id)
        )
    )
    found: list[SuggestedQuestion | None] = [
        _new_pain(days, events, since, today),
        _late_dose(session, patient, events, today),
        *_falls(days, since, today),
        _pain_not_improving(session, patient, profile, events, days, today),
        _height_loss(session, patient, events, today),
        *_checklist(session, patient, profile, today),
    ]
    return [s for s in found if s is not None]


# --------------------------------------------------------------------------- the period


def _since_last_visit(
    session: Session,
    patient: User,
    appointment: Appointment,
    now: datetime,
    profile: Profile | None,
) -> date:
    """The first diary day of "since the last visit": the day of the latest visit that has
    already started (not cancelled, not this one), else the fracture (or the diary's start)."""
    last = session.scalar(
        select(Appointment.starts_at)
        .where(
            Appointment.user_id == patient.id,
            Appointment.id != appointment.id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at < now,
        )
        .order_by(Appointment.starts_at.desc())
        .limit(1)
    )
    if last is not None:
        return patient.today(last)
    if profile is not None and profile.fracture_date is not None:
        return profile.fracture_date
    return date.min


# --------------------------------------------------------------------------- the diary


def _new_pain(
    days: dict[date, CheckIn], events: Iterable[WarningEvent], since: date, today: date
) -> SuggestedQuestion | None:
    """A possible new fracture: the latest `sudden_pain` sign, or the latest day a pain
    location was reported for the first time in the diary, since the last visit."""
    # As the report's alert: a place not reported before, the diary's first day being the start.
    new_places: dict[date, list[str]] = {}
    known: set[str] | None = None
    for day in sorted(days):
        locations = days[day].locations or []
        new = [code for code in locations if known is not None and code not in known]
        if new:
            new_places[day] = new
        known = (known or set()) | set(locations)
    found: list[tuple[date, str]] = []
    for event in events:
        if event.sign == "sudden_pain":
            checkin = days.get(event.day)
            where = _where(new_places.get(event.day) or (checkin.locations if checkin else []))
            what = f"sudden new pain {where}" if where else "sudden new or much worse back pain"
            found.append((event.day, what))
    for day, places in new_places.items():
        if day >= since:
            found.append((day, f"new pain {_where(places)}, where I had not had it before"))
    if not found:
        return None
    day, what = max(found, key=lambda pair: pair[0])  # the latest; a sign wins a tie (first)
    return SuggestedQuestion(
        f"new_pain:{day.isoformat()}",
        f"On {_day(day, today)} I had {what}. Could it be a new fracture?",
        URGENT,
    )


def _late_dose(
    session: Session, patient: User, events: Iterable[WarningEvent], today: date
) -> SuggestedQuestion | None:
    late = [event.day for event in events if event.sign == "medicine_late"]
    if not late:
        return None
    day = max(late)
    name = _long_interval_medicine(session, patient)
    what = f"My {name} dose" if name else "My bone medicine dose"
    return SuggestedQuestion(
        f"medicine_late:{day.isoformat()}",
        f"{what} is overdue (the app noted it on {_day(day, today)}). How soon can I have it, "
        "and is a late dose a risk for my spine?",
        URGENT,
    )


def _long_interval_medicine(session: Session, patient: User) -> str | None:
    """The name of the patient's one long-interval bone medicine, as they wrote it; None when
    there is none or several (a late sign does not say which)."""
    names = [
        reminder.name
        for reminder in session.scalars(
            select(Reminder).where(
                Reminder.user_id == patient.id,
                Reminder.kind == "medicine",
                Reminder.deleted_at.is_(None),
            )
        )
        if reminder.name and _long_interval(reminder)
    ]
    return names[0] if len(names) == 1 else None


def _long_interval(reminder: Reminder) -> bool:
    drug = drugs.DRUGS.get(reminder.drug or "") or drugs.find(reminder.name)
    return drug is not None and drug.long_interval


def _falls(
    days: dict[date, CheckIn], since: date, today: date
) -> Iterable[SuggestedQuestion | None]:
    falls = sorted(day for day, checkin in days.items() if checkin.fell and day >= since)
    if not falls:
        return
    injured = any(days[day].fall_injured for day in falls)
    shown = [_day(day, today) for day in falls[-3:]]
    when = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    more = len(falls) - len(shown)
    if more:
        when = f"{when} (and {more} more {'time' if more == 1 else 'times'})"
    hurt = " and was hurt" if injured else ""
    yield SuggestedQuestion(
        f"falls:{falls[-1].isoformat()}",
        f"I fell on {when}{hurt}. Could you check why I fall, and what would help me not fall "
        "again?",
        URGENT if injured else ROUTINE,
    )


def _pain_not_improving(
    session: Session,
    patient: User,
    profile: Profile | None,
    events: Iterable[WarningEvent],
    days: dict[date, CheckIn],
    today: date,
) -> SuggestedQuestion | None:
    """Pain still 4 or more, or less than 30% better than at the start, 6-12 weeks after the
    fracture or procedure: the app's `pain_not_improving` sign, or the same rule read here from
    the diary with the report's baseline and the one rolling mean."""
    start = profile.start_date if profile else None
    signed = any(event.sign == "pain_not_improving" for event in events)
    if start is None:
        return None
    weeks = (today - start).days // 7
    now_pain = rolling_mean({day: c.pain_avg for day, c in days.items()}, today)
    baseline = _baseline(session, patient, today, profile)
    progress = PainProgress(
        day=today,
        days_since_start=(today - start).days,
        average=now_pain,
        baseline=baseline.value if baseline else None,
        baseline_end=baseline.days[-1] if baseline else None,
    )
    computed = is_pain_not_improving(progress)
    if baseline is not None and (
        baseline.value <= 0 or baseline.days[-1] >= today - timedelta(days=6)
    ):
        baseline = None  # no pain at the start, or the start is still this week: no comparison
    if not (signed or computed):
        return None
    since = "procedure" if profile and profile.procedure_date else "fracture"
    text = f"It is {_plural(weeks, 'week')} since my {since} and my pain has not got much better"
    if now_pain is not None:
        text += f": it is still about {_score(now_pain)} out of 10"
        if baseline is not None:
            text += f" (it was {_score(baseline.value)} at the start)"
    return SuggestedQuestion(
        "pain_not_improving",
        f"{text}. What else can we try, and should my back be checked?",
        ROUTINE,
    )


def _baseline(
    session: Session, patient: User, today: date, profile: Profile | None
) -> Baseline | None:
    """The report's baseline (CLINICAL.md section 5), so the two never disagree. Imported here:
    the report's services import the appointments package, which imports this module."""
    from ..report.services import pain_baseline

    return pain_baseline(session, patient, today, profile.procedure_date if profile else None)


def _height_loss(
    session: Session, patient: User, events: Iterable[WarningEvent], today: date
) -> SuggestedQuestion | None:
    noted = [event.day for event in events if event.sign == "height_loss"]
    if not noted:
        return None
    heights = list(
        session.scalars(
            select(HeightMeasurement)
            .where(HeightMeasurement.user_id == patient.id)
            .order_by(HeightMeasurement.measured_on, HeightMeasurement.id)
        )
    )
    if len(heights) >= 2 and heights[-1].height_mm < heights[0].height_mm:
        first, last = heights[0], heights[-1]
        fact = (
            f"My height went from {_cm(first.height_mm)} on {_day(first.measured_on, today)} "
            f"to {_cm(last.height_mm)} on {_day(last.measured_on, today)}."
        )
    else:
        fact = f"The app noted on {_day(max(noted), today)} that I have lost height."
    return SuggestedQuestion(
        "height_loss",
        f"{fact} Do I need a spine x-ray or a vertebral fracture assessment?",
        ROUTINE,
    )


# --------------------------------------------------------------------------- the checklist


def _checklist(
    session: Session, patient: User, profile: Profile | None, today: date
) -> Iterable[SuggestedQuestion]:
    """The items still "not yet" (booked ones are on their way; done and not-for-me settled)."""
    fracture = profile.fracture_date if profile else None
    for answer in answers(session, patient.id):
        code = answer.item.code
        if answer.state != "not_yet":
            continue
        if code == "dexa":
            scanned = dexa_date(session, patient.id, profile)
            if fracture is not None and scanned is not None and scanned >= fracture:
                continue
            if fracture is not None and fracture <= today:
                since = _since_text(fracture, today)
                text = (
                    f"It is {since} since my fracture and I have not had a bone density scan. "
                    "Should I have one?"
                )
            else:
                text = "I have not had a bone density scan since my fracture. Should I have one?"
            yield SuggestedQuestion("checklist:dexa", text, CHECKLIST)
        elif code in CHECKLIST_QUESTIONS:
            yield SuggestedQuestion(f"checklist:{code}", CHECKLIST_QUESTIONS[code], CHECKLIST)


# --------------------------------------------------------------------------- wording


def _where(codes: Iterable[str]) -> str:
    places = [WHERE.get(code, code.replace("_", " ")) for code in codes]
    if len(places) <= 1:
        return "".join(places)
    return f"{', '.join(places[:-1])} and {places[-1]}"


def _day(value: date, today: date) -> str:
    """'12 Nov', with the year when it is not this year's."""
    text = f"{value.day} {value:%b}"
    return text if value.year == today.year else f"{text} {value.year}"


def _since_text(start: date, today: date) -> str:
    days = (today - start).days
    return _plural(days, "day") if days < 14 else _plural(days // 7, "week")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _score(value: float | Fraction) -> str:
    """Pain to the nearest half point, as people say it: '5', '5.5'."""
    halves = round(Fraction(value) * 2)
    return str(halves // 2) if halves % 2 == 0 else f"{halves / 2:.1f}"


def _cm(height_mm: int) -> str:
    return f"{height_mm / 10:.1f} cm".replace(".0 cm", " cm")
