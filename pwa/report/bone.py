"""Page 1's bone-health box and report.json's `bone_health` (CLINICAL.md sections 6 and 7).

After a spine fracture the next fracture is the danger, so the doctor reads in one place what
has happened of the follow-through a fracture liaison nurse would check: the bone density scan,
the osteoporosis medicine and how it is being taken, vitamin D and calcium, falls, height, and
the referrals. The box states what is recorded, never whether it is enough.

Figures the report already has are taken from it, not counted again: each medicine's adherence
is its line of the medicines table, vitamin D and calcium are the daily answers of the period,
falls are the diary's falls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..bone.checklist import Answer, answers, dexa_date
from ..bone.drugs import DRUGS, Drug, find
from ..models import HeightMeasurement, Profile, User
from .adherence import Adherence
from .summary import ALERT_RANK, Alert

if TYPE_CHECKING:
    from .services import Period, YesCount

# No scan yet this many whole weeks after the fracture is an alert. CLINICAL.md section 6: the
# scan belongs to the work-up "after any fragility fracture" and about 3 months is the first
# decision point; the checklist's 12-week nudge is the one by which it is usually done.
SCAN_ALERT_WEEKS = 12
REFERRALS = ("falls_review", "exercise", "fls")
SOURCES = "IOF Capture the Fracture; ASBMR fracture prevention coalition; Siminoski 2006"


@dataclass(frozen=True)
class BoneMedicine:
    name: str
    drug: Drug | None
    adherence: Adherence | None  # its line of the medicines table; None: known from the profile
    since: date | None = None  # the profile's start date, for one known only from the profile


@dataclass(frozen=True)
class Height:
    day: date
    mm: int
    place: str  # clinic | home


@dataclass(frozen=True)
class BoneHealth:
    fracture_date: date | None
    weeks_since_fracture: int | None
    dexa_date: date | None
    checklist: tuple[Answer, ...]
    medicines: tuple[BoneMedicine, ...]
    vitamin_d: YesCount
    calcium: YesCount
    days_logged: int
    fall_days: tuple[date, ...]
    first_height: Height | None
    latest_height: Height | None
    heights_recorded: int
    tallest_mm: int | None

    def answer(self, code: str) -> Answer:
        return next(answer for answer in self.checklist if answer.item.code == code)

    @property
    def scan_since_fracture(self) -> bool:
        """A scan is on record from the fracture on (or marked done without its date)."""
        scan = self.answer("dexa")
        if scan.state == "done" and scan.on_date is None:
            return True
        if self.dexa_date is None:
            return False
        return self.fracture_date is None or self.dexa_date >= self.fracture_date

    @property
    def t_score(self) -> float | None:
        scan = self.answer("dexa")
        return scan.t_score if scan.state == "done" else None

    @property
    def scan_booked_for(self) -> date | None:
        scan = self.answer("dexa")
        return scan.on_date if scan.state == "booked" else None

    @property
    def scan_missing(self) -> bool:
        """No scan SCAN_ALERT_WEEKS or more whole weeks after the fracture: page 1's alert."""
        weeks = self.weeks_since_fracture
        return weeks is not None and weeks >= SCAN_ALERT_WEEKS and not self.scan_since_fracture

    @property
    def height_change_mm(self) -> int | None:
        """Latest minus first recorded height (negative: shorter); None with fewer than two."""
        if self.heights_recorded < 2 or not self.first_height or not self.latest_height:
            return None
        return self.latest_height.mm - self.first_height.mm

    @property
    def below_tallest_mm(self) -> int | None:
        if self.tallest_mm is None or self.latest_height is None:
            return None
        return self.tallest_mm - self.latest_height.mm


def bone_health(
    session: Session,
    patient: User,
    period: Period,
    *,
    weeks_since_fracture: int | None,
    adherence: tuple[Adherence, ...],
    vitamin_d: YesCount,
    calcium: YesCount,
    days_logged: int,
    fall_days: tuple[date, ...],
) -> BoneHealth:
    """The box's facts for `patient` at the end of `period`, from the report's own figures."""
    profile = patient.profile
    first, latest, count = _heights(session, patient, period.end)
    return BoneHealth(
        fracture_date=profile.fracture_date if profile else None,
        weeks_since_fracture=weeks_since_fracture,
        dexa_date=dexa_date(session, patient.id, profile),
        checklist=tuple(answers(session, patient.id)),
        medicines=_bone_medicines(adherence, profile),
        vitamin_d=vitamin_d,
        calcium=calcium,
        days_logged=days_logged,
        fall_days=fall_days,
        first_height=first,
        latest_height=latest,
        heights_recorded=count,
        tallest_mm=profile.tallest_height_mm if profile else None,
    )


def scan_alert(bone: BoneHealth, end: date) -> Alert | None:
    """'No bone density scan recorded in the 13 weeks since the fracture', dated the period's
    last day (the day it is true on), ranked right after falls."""
    if not bone.scan_missing:
        return None
    label = (
        f"No bone density scan recorded in the {bone.weeks_since_fracture} weeks since the fracture"
    )
    if bone.scan_booked_for:
        label += f" (booked for {bone.scan_booked_for.day} {bone.scan_booked_for:%b %Y})"
    elif bone.answer("dexa").state == "not_for_me":
        label += " (the patient marked it 'not for me')"
    return Alert(end, "routine", "no_bone_scan", label, None, ALERT_RANK["no_bone_scan"])


def _bone_medicines(
    adherence: tuple[Adherence, ...], profile: Profile | None
) -> tuple[BoneMedicine, ...]:
    """The medicine list's bone medicines (a known drug, or the profile's medicine by name),
    then the profile's osteoporosis medicine when the list does not have it."""
    named = (profile.osteoporosis_medicine or "").strip() if profile else ""
    found = [
        BoneMedicine(line.name, DRUGS.get(line.drug or ""), line)
        for line in adherence
        if line.drug or (named and line.name.strip().casefold() == named.casefold())
    ]
    if named:
        drug = find(named)
        listed = any(
            (drug is not None and m.drug == drug) or m.name.strip().casefold() == named.casefold()
            for m in found
        )
        if not listed:
            since = profile.osteoporosis_medicine_start if profile else None
            found.append(BoneMedicine(named, drug, None, since))
    return tuple(found)


def _heights(
    session: Session, patient: User, end: date
) -> tuple[Height | None, Height | None, int]:
    """The first and the latest height recorded up to `end`, and how many there are."""
    mine = select(HeightMeasurement).where(
        HeightMeasurement.user_id == patient.id, HeightMeasurement.measured_on <= end
    )
    order = (HeightMeasurement.measured_on, HeightMeasurement.created_at, HeightMeasurement.id)
    first = session.scalars(mine.order_by(*order).limit(1)).first()
    latest = session.scalars(mine.order_by(*(c.desc() for c in order)).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    return _height(first), _height(latest), count


def _height(row: HeightMeasurement | None) -> Height | None:
    return Height(row.measured_on, row.height_mm, row.place) if row else None
