"""Appointments: checking one against its record, and saving it safely.

The HTML form and the JSON API both check with AppointmentRecord (pwa/records/appointment.py),
so a message such as "Please enter the date" reads the same everywhere. Saving is idempotent by
the client's UUID (per patient), and every change goes through a compare-and-set on `version`,
so two devices editing the same appointment never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from difflib import SequenceMatcher

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..bone.checklist import scan_open
from ..models import TREATMENTS, Appointment, Profile, User
from ..records.appointment import FIELDS as FIELDS
from ..records.appointment import AppointmentRecord
from ..records.appointment import split_questions as split_questions
from ..records.types import canonical_uuid, parse_clock, validate
from ..records.types import parse_date as parse_date
from ..timezones import local_to_utc, utc_to_local

Errors = dict[str, list[str]]
parse_time = parse_clock  # the one clock-time parser, for the pages' "?time=" and the tests
SAME_QUESTION = 0.6  # an edit this close to the old wording is the same question (a typo fixed)


class StaleVersion(Exception):
    """The appointment changed (on another device) since the version the client had."""

    def __init__(self, current: Appointment) -> None:
        super().__init__(f"appointment {current.uuid} is at version {current.version}")
        self.current = current


# --- Reading input ---------------------------------------------------------------------------


def parse_appointment(data: Mapping[str, object], zone: str, today: date) -> tuple[dict, Errors]:
    """Checks an appointment as the patient typed it (AppointmentRecord's rules); returns the
    model's values, with `starts_at` in naive UTC, and the messages per field."""
    record, errors = validate(AppointmentRecord, data, today=today)
    return ({} if record is None else record.column_values(zone)), errors


def appointment_input(appointment: Appointment, zone: str) -> dict:
    """An appointment in the shape `parse_appointment` reads (local date and time as text)."""
    local = utc_to_local(appointment.starts_at, zone)
    return {
        "date": local.date().isoformat(),
        "time": f"{local:%H:%M}",
        "kind": appointment.kind,
        "with_whom": appointment.with_whom,
        "location": appointment.location,
        "phone": appointment.phone,
        "notes": appointment.notes,
        "questions": list(appointment.questions or []),
    }


# --- Reading the database --------------------------------------------------------------------


def find_appointment(session: Session, patient: User, uuid: str) -> Appointment | None:
    """The patient's own appointment with this client id; another patient's never matches."""
    key = canonical_uuid(uuid)
    if key is None:
        return None
    return session.scalar(
        select(Appointment).where(Appointment.user_id == patient.id, Appointment.uuid == key)
    )


def list_appointments(
    session: Session,
    patient: User,
    start: datetime | None = None,
    end: datetime | None = None,
    include_cancelled: bool = True,
) -> list[Appointment]:
    """The patient's appointments, earliest first; `start` inclusive, `end` exclusive (UTC)."""
    query = select(Appointment).where(Appointment.user_id == patient.id)
    if start is not None:
        query = query.where(Appointment.starts_at >= start)
    if end is not None:
        query = query.where(Appointment.starts_at < end)
    if not include_cancelled:
        query = query.where(Appointment.cancelled_at.is_(None))
    return list(session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))


@dataclass
class AppointmentLists:
    upcoming: list[Appointment] = field(default_factory=list)
    past: list[Appointment] = field(default_factory=list)
    cancelled: list[Appointment] = field(default_factory=list)


def appointment_lists(session: Session, patient: User, now: datetime) -> AppointmentLists:
    """Upcoming (soonest first), past (latest first) and cancelled appointments.

    An appointment stays "upcoming" for the whole of its day in the patient's zone, so one
    that is running late this morning is not filed under "past".
    """
    start_of_today = local_to_utc(patient.today(now), time(0, 0), patient.timezone)
    lists = AppointmentLists()
    for appointment in list_appointments(session, patient):
        if appointment.cancelled:
            lists.cancelled.append(appointment)
        elif appointment.starts_at >= start_of_today:
            lists.upcoming.append(appointment)
        else:
            lists.past.append(appointment)
    lists.past.reverse()
    return lists


def next_appointment(session: Session, patient: User, now: datetime) -> Appointment | None:
    """The next appointment that is not cancelled (for the home screen and reminders)."""
    return session.scalar(
        select(Appointment)
        .where(
            Appointment.user_id == patient.id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at >= now,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )


# --- Changing the database -------------------------------------------------------------------


def create_appointment(
    session: Session, patient: User, uuid: str, values: dict
) -> tuple[Appointment, bool]:
    """Adds the appointment unless this patient already has one with `uuid`.

    Returns (appointment, created). Sending the same UUID again returns the stored appointment
    unchanged, which is what makes a retried or double-submitted form safe. Another patient's
    use of the same UUID is irrelevant: UUIDs are unique per patient.
    """
    existing = find_appointment(session, patient, uuid)
    if existing is not None:
        return existing, False
    appointment = Appointment(user_id=patient.id, uuid=canonical_uuid(uuid), version=1, **values)
    session.add(appointment)
    try:
        session.flush()
    except IntegrityError:
        # The same UUID committed by a concurrent request (another worker) a moment ago.
        session.rollback()
        existing = find_appointment(session, patient, uuid)
        if existing is None:
            raise
        return existing, False
    return appointment, True


def _change(
    session: Session, appointment: Appointment, expected_version: int, now: datetime, **values
) -> Appointment:
    """Applies `values` only if the stored version is still `expected_version`; bumps it.

    The check is part of the UPDATE statement itself, so it also holds between two workers.
    """
    if appointment.version != expected_version:
        raise StaleVersion(appointment)
    result = session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.version == expected_version)
        .values(**values, version=expected_version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(appointment)
    if getattr(result, "rowcount", 1) != 1:  # an UPDATE's CursorResult counts its rows
        raise StaleVersion(appointment)
    return appointment


def update_appointment(
    session: Session, appointment: Appointment, values: dict, version: int, now: datetime
) -> Appointment:
    """Saves the patient's changes; raises StaleVersion when `version` is not the stored one.

    Edited questions keep their "asked" ticks where it makes sense (carry_ticks)."""
    if "questions" in values:
        asked = carry_ticks(
            appointment.questions or [], values["questions"], appointment.questions_asked or []
        )
        values = {**values, "questions_asked": asked}
    return _change(session, appointment, version, now, **values)


def carry_ticks(old: Iterable[str], new: Iterable[str], asked: Iterable[str]) -> list[str]:
    """The ticks after the questions were edited: a question kept word for word keeps its tick;
    one edited in place (same position, wording close to the old: a typo fixed) keeps it too;
    a question replaced by a different one, or deleted, loses it."""
    old_list, new_list, asked_set = list(old), list(new), set(asked)
    kept = []
    for position, question in enumerate(new_list):
        if question in asked_set:
            kept.append(question)
        elif question not in old_list and position < len(old_list):
            before = old_list[position]
            if before in asked_set and before not in new_list and _close(before, question):
                kept.append(question)
    return kept


def _close(a: str, b: str) -> bool:
    return SequenceMatcher(None, a.casefold(), b.casefold()).ratio() >= SAME_QUESTION


def cancel_appointment(session: Session, appointment: Appointment, now: datetime) -> Appointment:
    """Marks the appointment cancelled; the row stays (it belongs in the history and report).

    Cancelling twice changes nothing the second time.
    """
    return _set_cancelled(session, appointment, now, now)


def restore_appointment(session: Session, appointment: Appointment, now: datetime) -> Appointment:
    """Undoes a cancellation made by mistake."""
    return _set_cancelled(session, appointment, None, now)


def _set_cancelled(
    session: Session, appointment: Appointment, cancelled_at: datetime | None, now: datetime
) -> Appointment:
    """Cancel or restore whatever version is stored: the choice does not depend on other fields,
    so an edit saved meanwhile on another device is kept rather than reported as a conflict."""
    for _attempt in range(3):
        if appointment.cancelled == (cancelled_at is not None):
            return appointment
        try:
            return _change(
                session, appointment, appointment.version, now, cancelled_at=cancelled_at
            )
        except StaleVersion:
            continue  # _change refreshed the appointment; look again
    raise StaleVersion(appointment)


# --- Showing ---------------------------------------------------------------------------------


def _utc_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def appointment_json(appointment: Appointment, zone: str) -> dict:
    """The API's representation: local date and time in the patient's zone, instants in UTC."""
    local = appointment_input(appointment, zone)
    return {
        "id": appointment.uuid,
        "version": appointment.version,
        "date": local["date"],
        "time": local["time"],
        "starts_at": _utc_iso(appointment.starts_at),
        "kind": appointment.kind,
        "with_whom": appointment.with_whom,
        "location": appointment.location,
        "phone": appointment.phone,
        "notes": appointment.notes,
        "questions": local["questions"],
        "cancelled": appointment.cancelled,
        "cancelled_at": _utc_iso(appointment.cancelled_at),
        "created_at": _utc_iso(appointment.created_at),
        "updated_at": _utc_iso(appointment.updated_at),
    }


@dataclass(frozen=True)
class Suggestion:
    """A follow-up visit that usually happens (CLINICAL.md section 6), to prompt the patient."""

    title: str
    when: str
    kind: str
    day: date | None = None  # pre-fills the new-appointment form when it is still ahead


def follow_up_suggestions(
    session: Session, patient: User, now: datetime, upcoming: list[Appointment]
) -> list[Suggestion]:
    """The appointments page's suggestions: each shown until a visit of its kind is booked,
    the scan's while the checklist's scan item is open (issue 12)."""
    profile = patient.profile
    return suggested_follow_ups(
        profile,
        patient.today(now),
        booked={a.kind for a in upcoming if not a.cancelled},
        scan_open=scan_open(session, patient.id, profile),
    )


def suggested_follow_ups(
    profile: Profile | None,
    today: date,
    booked: set[str] | frozenset[str] = frozenset(),
    scan_open: bool | None = None,
) -> list[Suggestion]:
    """Follow-ups that usually come next, from the profile's treatment and dates, leaving out
    the kinds of visit already `booked`. `scan_open`: the checklist's answer on the bone scan
    (None: judged from the profile's last scan and fracture dates alone).

    These are prompts, not advice: the page says the doctor's office decides.
    """
    suggestions: list[Suggestion] = []
    if profile is None:
        return suggestions
    procedure = profile.procedure_date
    treated = profile.treatment in ("kyphoplasty", "vertebroplasty")
    if treated and procedure:
        first, last = procedure + timedelta(days=10), procedure + timedelta(days=14)
        if last >= today:
            name = TREATMENTS[profile.treatment or "other"].lower()
            suggestions.append(
                Suggestion(
                    "A check of the wound and your pain",
                    f"10 to 14 days after your {name}: between {_day(first)} and {_day(last)}",
                    "spine",
                    max(first, today),
                )
            )
    start = profile.start_date
    since = "procedure" if treated and procedure else "fracture"
    if start:
        for weeks, title, kind in (
            (6, "A review of your pain and how you move", "spine"),
            (13, "A check on your back: if pain is still strong, what to do next", "spine"),
        ):
            target = start + timedelta(weeks=weeks)
            if target >= today - timedelta(days=7):
                label = f"About {weeks} weeks" if weeks == 6 else "About 3 months"
                suggestions.append(
                    Suggestion(
                        title,
                        f"{label} after your {since}: around {_day(target)}",
                        kind,
                        target if target >= today else None,
                    )
                )
    fracture = profile.fracture_date
    if scan_open is None:
        scan_open = bool(
            fracture and (profile.last_dexa_date is None or profile.last_dexa_date < fracture)
        )
    if scan_open:
        suggestions.append(
            Suggestion(
                "A bone density (DEXA) scan and a talk about osteoporosis medicine",
                "After a fracture like yours, usually in the first months",
                "bone_density",
            )
        )
    suggestions.append(
        Suggestion(
            "A yearly check: your height, any falls and your osteoporosis medicine",
            "Every year",
            "primary_care",
        )
    )
    return [s for s in suggestions if s.kind not in booked]


def _day(value: date) -> str:
    return f"{value:%A} {value.day} {value:%B}"
