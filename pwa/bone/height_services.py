"""Measured height (CLINICAL.md section 6): reading what the patient types, storing it, and the
routine sign `height_loss`.

Height loss can be the only sign of a new spine fracture: many cause no pain. The rule:
a loss of 2 cm (20 mm) or more between the first recorded measurement and a later one, or a
measurement more than 6 cm (60 mm) below the tallest height the patient remembers as an adult
(Siminoski 2006: a historical loss over 6 cm has LR+ 2.8 for a vertebral fracture, over 8 cm
LR+ 9.8).

Clinic and home measurements do not mix. The sign is computed from clinic measurements only
(a stadiometer, as the guide asks): the first clinic measurement is the starting point and each
later one is compared with it. A tape against a wall at home can be off by a centimetre or two,
as much as the loss we look for, so a home measurement never raises the sign; when it would
have, the patient is asked to have their height measured at the next visit (`home_note`).

Once per crossing: a sign is raised by the measurement that first shows a loss, and again only
when the loss grows by a further 2 cm (since the first: 4 cm, 6 cm...; below the tallest:
more than 8 cm, 10 cm...). Which measurements raise it is decided by replaying the clinic
measurements in date order, so adding, changing or deleting any of them, or changing the
tallest height, leaves the events exactly where the measurements put them (`sync_height_loss`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..checkin.services import new_warning_event
from ..models import HEIGHT_PLACES, HeightMeasurement, Profile, User, WarningEvent, new_uuid

SIGN = "height_loss"
LOWEST_MM, HIGHEST_MM = 1000, 2300  # 100 to 230 cm: anything else is a typing slip
LOSS_SINCE_FIRST_MM = 20  # 2 cm or more between measurements
LOSS_BELOW_TALLEST_MM = 60  # more than 6 cm below the tallest remembered height
FURTHER_LOSS_MM = 20  # raised again when the loss grows by a further 2 cm
MM_PER_INCH = Decimal("25.4")

HEIGHT_MESSAGE = (
    "Please enter your height in centimetres, for example 162 or 162.5, "
    "or in feet and inches, for example 5'4\"."
)

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_FEET = r"(?:'|’|′|ft\.?|foot|feet)"
_INCHES = r"(?:\"|”|″|''|’’|in\.?|inch|inches)"
_CENTIMETRES = re.compile(rf"^{_NUMBER}\s*(?:cm|centimet(?:re|er)s?)?$", re.IGNORECASE)
_METRES = re.compile(rf"^{_NUMBER}\s*(?:m|metres?|meters?)$", re.IGNORECASE)
_FEET_INCHES = re.compile(
    rf"^(\d+)\s*{_FEET}\s*(?:{_NUMBER}\s*{_INCHES}?)?$|^{_NUMBER}\s*{_INCHES}$", re.IGNORECASE
)


class HeightError(ValueError):
    """What the patient typed is not a height we can take; the message says why, plainly."""


def parse_height(text: str) -> int:
    """The height in whole millimetres from what the patient typed: "162", "162.5", "162,5",
    "162 cm", "1.62 m", 5'4", "5 ft 4 in", "64 in". Raises HeightError with a plain message."""
    typed = " ".join(text.strip().split())
    mm = _millimetres(typed)
    if mm is None:
        raise HeightError(HEIGHT_MESSAGE)
    if not LOWEST_MM <= mm <= HIGHEST_MM:
        raise HeightError(
            f"Please check the height: {format_height(mm)} is not a grown-up's height. "
            "Enter it in centimetres (100 to 230), for example 162, or in feet and inches, "
            "for example 5'4\"."
        )
    return mm


def _millimetres(typed: str) -> int | None:
    if match := _CENTIMETRES.match(typed):
        cm = _decimal(match[1])
        if cm is not None and cm < 3:  # "1.62": a height in metres
            cm *= 100
        return _round(cm * 10) if cm is not None else None
    if match := _METRES.match(typed):
        metres = _decimal(match[1])
        return _round(metres * 1000) if metres is not None else None
    if match := _FEET_INCHES.match(typed):
        if match[3] is not None:  # inches only
            inches = _decimal(match[3])
        else:
            extra = _decimal(match[2]) if match[2] else Decimal(0)
            inches = None if extra is None or extra >= 12 else int(match[1]) * 12 + extra
        return _round(inches * MM_PER_INCH) if inches is not None else None
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_height(mm: int) -> str:
    """1625 -> "162.5 cm", 1620 -> "162 cm"."""
    return f"{_cm(mm)} cm"


def _cm(mm: int) -> str:
    return f"{mm // 10}" if mm % 10 == 0 else f"{mm / 10:.1f}"


def feet_and_inches(mm: int) -> str:
    """1625 -> "5 ft 4 in", to the nearest inch, for patients who think in feet."""
    inches = _round(Decimal(mm) / MM_PER_INCH)
    return f"{inches // 12} ft {inches % 12} in"


def form_text(mm: int | None) -> str:
    """A stored height as the form shows it: "162.5"."""
    return "" if mm is None else _cm(mm)


def change_text(mm: int) -> str:
    """A change in height in plain words: "2.1 cm shorter", "0.5 cm taller", "the same"."""
    if mm == 0:
        return "the same"
    return f"{_cm(abs(mm))} cm {'shorter' if mm < 0 else 'taller'}"


# --------------------------------------------------------------------------- the records


def list_heights(session: Session, patient: User) -> list[HeightMeasurement]:
    """The patient's measurements, oldest first (the order the rule replays them in)."""
    return list(
        session.scalars(
            select(HeightMeasurement)
            .where(HeightMeasurement.user_id == patient.id)
            .order_by(
                HeightMeasurement.measured_on,
                HeightMeasurement.created_at,
                HeightMeasurement.id,
            )
        )
    )


def find_height(session: Session, patient: User, uuid: str) -> HeightMeasurement | None:
    """The patient's own measurement with this id; another patient's never matches."""
    return session.scalar(
        select(HeightMeasurement).where(
            HeightMeasurement.user_id == patient.id, HeightMeasurement.uuid == uuid
        )
    )


@dataclass(frozen=True)
class HeightValues:
    measured_on: date
    height_mm: int
    place: str  # a key of HEIGHT_PLACES
    method: str | None  # how it was measured at home; None at a clinic

    def __post_init__(self) -> None:
        if self.place not in HEIGHT_PLACES:
            raise ValueError(f"unknown place {self.place!r}")


def add_height(
    session: Session, patient: User, values: HeightValues, now: datetime, uuid: str | None = None
) -> tuple[HeightMeasurement, list[WarningEvent]]:
    """Stores a measurement (idempotent by its client id: the same id again changes nothing,
    also when two requests race: the unique constraint decides) and raises or clears
    `height_loss`; (the measurement, the events newly raised). Call it with no other changes
    pending in the session."""
    if uuid and (existing := find_height(session, patient, uuid)) is not None:
        return existing, []
    measurement = HeightMeasurement(
        user_id=patient.id, uuid=uuid or new_uuid(), created_at=now, **_columns(values)
    )
    session.add(measurement)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        stored = find_height(session, patient, measurement.uuid)
        if stored is None:
            raise
        return stored, []
    return measurement, sync_height_loss(session, patient, now)


def update_height(
    session: Session,
    patient: User,
    measurement: HeightMeasurement,
    values: HeightValues,
    now: datetime,
) -> list[WarningEvent]:
    """Corrects a measurement; the sign follows the corrected figures."""
    for name, value in _columns(values).items():
        setattr(measurement, name, value)
    session.flush()
    return sync_height_loss(session, patient, now)


def delete_height(
    session: Session, patient: User, measurement: HeightMeasurement, now: datetime
) -> None:
    """Deletes a mistaken measurement. A sign it raised goes with it unless the patient already
    acted on it: then it stays on its day, marked "entry deleted" (as for a deleted check-in)."""
    session.delete(measurement)
    session.flush()
    sync_height_loss(session, patient, now)


def set_tallest_height(session: Session, patient: User, mm: int | None, now: datetime) -> None:
    """Stores the tallest height the patient remembers and re-judges the measurements."""
    if patient.profile is None:
        patient.profile = Profile()
    patient.profile.tallest_height_mm = mm
    session.flush()
    sync_height_loss(session, patient, now)


def _columns(values: HeightValues) -> dict[str, object]:
    return {
        "measured_on": values.measured_on,
        "height_mm": values.height_mm,
        "place": values.place,
        "method": values.method if values.place == "home" else None,
    }


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class Loss:
    """How far one measurement is below the starting points, and the rule's step reached."""

    since_first_mm: int
    below_tallest_mm: int | None

    @property
    def since_first_step(self) -> int:
        """0 under 2 cm, 1 from 2 cm, 2 from 4 cm..."""
        return max(self.since_first_mm, 0) // LOSS_SINCE_FIRST_MM

    @property
    def below_tallest_step(self) -> int:
        """0 up to 6 cm, 1 over 6 cm, 2 over 8 cm..."""
        below = self.below_tallest_mm
        if below is None or below <= LOSS_BELOW_TALLEST_MM:
            return 0
        return 1 + (below - LOSS_BELOW_TALLEST_MM - 1) // FURTHER_LOSS_MM

    @property
    def crosses(self) -> bool:
        return self.since_first_step > 0 or self.below_tallest_step > 0


def loss_of(mm: int, first_mm: int, tallest_mm: int | None) -> Loss:
    return Loss(first_mm - mm, None if tallest_mm is None else tallest_mm - mm)


def raising_measurements(
    measurements: Sequence[HeightMeasurement], tallest_mm: int | None
) -> list[HeightMeasurement]:
    """The clinic measurements that raise `height_loss`, replayed oldest first: each one whose
    loss reaches a step of either rule that no earlier measurement reached."""
    clinic = [m for m in measurements if m.place == "clinic"]
    if not clinic:
        return []
    first = clinic[0].height_mm
    reached_first = reached_tallest = 0
    raising = []
    for measurement in clinic:
        loss = loss_of(measurement.height_mm, first, tallest_mm)
        if loss.since_first_step > reached_first or loss.below_tallest_step > reached_tallest:
            raising.append(measurement)
        reached_first = max(reached_first, loss.since_first_step)
        reached_tallest = max(reached_tallest, loss.below_tallest_step)
    return raising


def home_note(measurements: Sequence[HeightMeasurement], tallest_mm: int | None) -> str | None:
    """When the latest measurement was taken at home and would cross the rule: the plain advice
    to have it measured at the next visit (a home reading alone does not raise the sign)."""
    if not measurements or measurements[-1].place != "home":
        return None
    latest = measurements[-1]
    clinic = [m for m in measurements if m.place == "clinic"]
    first = (clinic or list(measurements))[0]
    if not loss_of(latest.height_mm, first.height_mm, tallest_mm).crosses:
        return None
    return (
        "Your home measurement is lower than before. Home measurements can be off by a "
        "centimetre or two, so please have your height measured at your next visit, and tell "
        "the doctor you may have lost height."
    )


def height_loss_events(session: Session, patient: User) -> list[WarningEvent]:
    """The computed `height_loss` events (not the ones ticked in a check-in), deleted or not."""
    return list(
        session.scalars(
            select(WarningEvent).where(
                WarningEvent.user_id == patient.id,
                WarningEvent.sign == SIGN,
                WarningEvent.computed.is_(True),
                WarningEvent.checkin_id.is_(None),
            )
        )
    )


def sync_height_loss(session: Session, patient: User, now: datetime) -> list[WarningEvent]:
    """Makes the `height_loss` events match the measurements: one on the day of each raising
    measurement. An event no measurement raises any more is removed, or, when the patient
    already acted on it, kept and marked "entry deleted". Returns the events newly raised."""
    tallest = patient.profile.tallest_height_mm if patient.profile else None
    days = {m.measured_on for m in raising_measurements(list_heights(session, patient), tallest)}
    present = set()
    for event in height_loss_events(session, patient):
        if event.entry_deleted_at is not None:
            continue
        if event.day in days:
            present.add(event.day)
        elif event.action is None:
            session.delete(event)
        else:
            event.entry_deleted_at = now
    raised = [
        new_warning_event(patient, SIGN, now, day, computed=True) for day in sorted(days - present)
    ]
    session.add_all(raised)
    session.flush()
    return raised


def events_of(
    session: Session, patient: User, measurement: HeightMeasurement
) -> list[WarningEvent]:
    """The live `height_loss` events on this measurement's day (what its result screen shows)."""
    return [
        event
        for event in height_loss_events(session, patient)
        if event.day == measurement.measured_on and event.entry_deleted_at is None
    ]


def record_height_action(
    session: Session, patient: User, measurement: HeightMeasurement, action: str, now: datetime
) -> int:
    """Stores what the patient did about the sign this measurement raised; returns how many."""
    events = events_of(session, patient, measurement)
    for event in events:
        event.action = action
        event.action_at = now
    return len(events)


# --------------------------------------------------------------------------- the page's list


@dataclass(frozen=True)
class HeightRow:
    measurement: HeightMeasurement
    since_first: int | None  # mm, negative = shorter; None for the first itself
    since_tallest: int | None  # mm, negative = shorter; None without a tallest height


def height_rows(
    measurements: Sequence[HeightMeasurement], tallest_mm: int | None
) -> list[HeightRow]:
    """Each measurement, newest first, with its change since the first recorded one and since
    the tallest remembered height (for the patient to see; the sign reads clinic ones only)."""
    if not measurements:
        return []
    first = measurements[0]
    rows = [
        HeightRow(
            m,
            None if m is first else m.height_mm - first.height_mm,
            None if tallest_mm is None else m.height_mm - tallest_mm,
        )
        for m in measurements
    ]
    return rows[::-1]
