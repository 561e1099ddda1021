"""Reading an Upright JSON export back into an account (this server or another).

Importing is idempotent: each record is matched by what identifies it in every copy (a check-in
or appointment by its client id, a warning sign by its sign and moment, a medicine by its name
and when it was added, a dose by its medicine and due time), so a second import adds nothing.
Nothing already in the account is overwritten except the reminder preferences; recovery details
only fill fields that are still empty. The access log, share links and caregivers are not
imported: they describe people and links of the server the file came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from ..bone.checklist import ITEMS as BONE_ITEMS
from ..bone.forms import T_SCORE_HIGH, T_SCORE_LOW
from ..bone.height_services import HIGHEST_MM, LOWEST_MM
from ..bone.services import after_profile_saved
from ..models import (
    BONE_STATES,
    HEIGHT_PLACES,
    Appointment,
    BoneCheckItem,
    CheckIn,
    CheckInAuthor,
    HeightMeasurement,
    MedicineDose,
    Profile,
    Reminder,
    ReminderSettings,
    User,
    WarningEvent,
)
from ..reminders.services import ensure_defaults, follow_medicine, reschedule_patient
from .export import FORMAT, REMINDER_DERIVED, ROW, VERSION
from .records import BadValue, values_for

MAX_BYTES = 20 * 1024 * 1024


class ImportRefused(ValueError):
    """The file cannot be imported; the message says why in plain words."""


@dataclass
class ImportResult:
    added: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.added.values())

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1


def read_export(raw: bytes) -> dict:
    """The export document in `raw`, or ImportRefused with a message meant for the patient."""
    if len(raw) > MAX_BYTES:
        raise ImportRefused("This file is too large to be an Upright export (over 20 MB).")
    if raw[:2] == b"PK":
        raise ImportRefused(
            "This is the spreadsheet (CSV) download. To import, choose the JSON file "
            "(upright-export-....json)."
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportRefused(
            "This file is not an Upright export. Choose the JSON file you downloaded from "
            "'Your data' (upright-export-....json)."
        ) from None
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        raise ImportRefused(
            "This is the FHIR file, meant for doctors' systems. To import, choose the JSON file "
            "(upright-export-....json)."
        )
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRefused(
            "This file is not an Upright export. Choose the JSON file you downloaded from "
            "'Your data' (upright-export-....json)."
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRefused("This export has no valid version number, so it cannot be read.")
    if version > VERSION:
        raise ImportRefused(
            f"This export was made by a newer Upright (format version {version}); this one "
            f"reads up to version {VERSION}. Please import it on an updated Upright."
        )
    return data


def _records(data: dict, key: str) -> list[dict]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ImportRefused(f"The export's '{key}' part is damaged, so nothing was imported.")
    return value


def import_export(session: Session, patient: User, data: dict, now: datetime) -> ImportResult:
    """Adds the records of `data` (checked by `read_export`) that `patient` does not have yet.

    All or nothing: on a damaged record ImportRefused is raised before anything is committed
    (the caller rolls back).
    """
    result = ImportResult()
    try:
        with session.no_autoflush:
            _profile(session, patient, data.get("profile"))
            by_uuid = _checkins(session, patient, _records(data, "checkins"), now, result)
            _warning_events(session, patient, _records(data, "warning_events"), by_uuid, result)
            _appointments(session, patient, _records(data, "appointments"), result)
            medicines = _reminders(session, patient, _records(data, "reminders"), now, result)
            _doses(session, patient, _records(data, "doses"), medicines, result)
            _settings(session, patient, data.get("reminder_settings"), now)
            _follow_ups(session, patient, medicines.values(), now)
            _bone_checklist(session, patient, _records(data, "bone_checklist"), result)
            _heights(session, patient, _records(data, "heights"), result)
        session.flush()
        # Issue 12: the checklist starts from the imported profile; its nudges follow it.
        session.expire(patient, ["profile"])
        after_profile_saved(session, patient, now)
        session.flush()
    except StatementError:
        raise ImportRefused(
            "A record in this export is missing a value it needs; nothing was imported."
        ) from None
    except (BadValue, KeyError, TypeError, AttributeError) as error:
        raise ImportRefused(
            f"A record in this export is damaged ({error}); nothing was imported."
        ) from None
    return result


def _profile(session: Session, patient: User, record: Any) -> None:
    if not isinstance(record, dict):
        return
    values = values_for(Profile.__table__, record, ROW | {"updated_at"})
    profile = session.scalar(select(Profile).where(Profile.user_id == patient.id))
    if profile is None:
        session.add(Profile(user_id=patient.id, **values))
        return
    for key, value in values.items():
        if getattr(profile, key) is None and value is not None:
            setattr(profile, key, value)


def _checkins(
    session: Session, patient: User, records: list[dict], now: datetime, result: ImportResult
) -> dict[str, CheckIn]:
    existing = {
        c.uuid: c for c in session.scalars(select(CheckIn).where(CheckIn.user_id == patient.id))
    }
    for record in records:
        uuid = str(record["id"])
        if uuid in existing:
            continue
        values = values_for(CheckIn.__table__, record, ROW | {"uuid"})
        if values.get("date") is None or values.get("pain_avg") is None:
            raise BadValue("a check-in without its date or average pain")
        for name in ("pain_avg", "pain_worst", "pain_activity"):
            if values.get(name) is not None and not 0 <= values[name] <= 10:
                raise BadValue(f"{name}: pain is from 0 to 10")
        checkin = CheckIn(user_id=patient.id, uuid=uuid, **values)
        session.add(checkin)
        if record.get("entered_by"):
            session.flush()
            session.add(CheckInAuthor(checkin_id=checkin.id, name=str(record["entered_by"])[:120]))
        existing[uuid] = checkin
        result.count("checkins")
    return existing


def _warning_events(
    session: Session,
    patient: User,
    records: list[dict],
    checkins: dict[str, CheckIn],
    result: ImportResult,
) -> None:
    known: set[tuple[str, datetime]] = {
        (sign, at)
        for sign, at in session.execute(
            select(WarningEvent.sign, WarningEvent.occurred_at).where(
                WarningEvent.user_id == patient.id
            )
        )
    }
    session.flush()  # the check-ins' row ids
    for record in records:
        values = values_for(WarningEvent.__table__, record, ROW | {"checkin_id"})
        key = (values["sign"], values["occurred_at"])
        if key in known:
            continue
        checkin = checkins.get(record.get("checkin") or "")
        session.add(
            WarningEvent(user_id=patient.id, checkin_id=checkin.id if checkin else None, **values)
        )
        known.add(key)
        result.count("warning_events")


def _appointments(
    session: Session, patient: User, records: list[dict], result: ImportResult
) -> None:
    known = set(session.scalars(select(Appointment.uuid).where(Appointment.user_id == patient.id)))
    for record in records:
        uuid = str(record["id"])
        if uuid in known:
            continue
        values = values_for(Appointment.__table__, record, ROW | {"uuid"})
        session.add(Appointment(user_id=patient.id, uuid=uuid, **values))
        known.add(uuid)
        result.count("appointments")


def _bone_checklist(
    session: Session, patient: User, records: list[dict], result: ImportResult
) -> None:
    """Issue 12: the checklist's answers, for the steps the patient has not answered here."""
    known = set(
        session.scalars(select(BoneCheckItem.item).where(BoneCheckItem.user_id == patient.id))
    )
    for record in records:
        item, state = record.get("item"), record.get("state")
        if item not in BONE_ITEMS or state not in BONE_STATES:
            raise BadValue(f"unknown bone health step or answer {item!r}: {state!r}")
        if item in known:
            continue
        values = values_for(BoneCheckItem.__table__, record, ROW)
        score = values.get("t_score")
        if score is not None and not T_SCORE_LOW <= score <= T_SCORE_HIGH:
            raise BadValue(f"t_score: {score} is not from {T_SCORE_LOW} to {T_SCORE_HIGH}")
        session.add(BoneCheckItem(user_id=patient.id, **values))
        known.add(item)
        result.count("bone_checklist")


def _heights(session: Session, patient: User, records: list[dict], result: ImportResult) -> None:
    """Issue 12: measured heights, by their client id; the bounds of the height page."""
    known = set(
        session.scalars(
            select(HeightMeasurement.uuid).where(HeightMeasurement.user_id == patient.id)
        )
    )
    for record in records:
        uuid = str(record["id"])
        if uuid in known:
            continue
        values = values_for(HeightMeasurement.__table__, record, ROW | {"uuid"})
        if not LOWEST_MM <= (values.get("height_mm") or 0) <= HIGHEST_MM:
            raise BadValue("height_mm: a height is from 1000 to 2300 mm")
        if values.get("place") not in HEIGHT_PLACES:
            raise BadValue("place: clinic or home")
        session.add(HeightMeasurement(user_id=patient.id, uuid=uuid, **values))
        known.add(uuid)
        result.count("heights")


def _reminders(
    session: Session, patient: User, records: list[dict], now: datetime, result: ImportResult
) -> dict[str, Reminder]:
    """Medicines by their key in the file; the daily check-in reminder takes the file's times."""
    mine = session.scalars(select(Reminder).where(Reminder.user_id == patient.id)).all()
    by_identity: dict[tuple[object, object], Reminder] = {
        (r.name, r.created_at): r for r in mine if r.kind == "medicine"
    }
    checkin_reminder = next((r for r in mine if r.kind == "checkin"), None)
    found: dict[str, Reminder] = {}
    skip = ROW | REMINDER_DERIVED
    for record in records:
        values = values_for(Reminder.__table__, record, skip)
        if values.get("kind") == "checkin":
            if checkin_reminder is not None:
                checkin_reminder.enabled = values.get("enabled", True)
                checkin_reminder.times = values.get("times") or checkin_reminder.times
                uuid = values.get("uuid")
                if uuid and all(r.uuid != uuid for r in mine if r is not checkin_reminder):
                    checkin_reminder.uuid = uuid  # the same record on both sides of a round trip
            continue
        if values.get("kind") != "medicine":
            continue
        identity = (values.get("name"), values.get("created_at"))
        reminder = by_identity.get(identity)
        if reminder is None:
            reminder = Reminder(user_id=patient.id, **values)
            session.add(reminder)
            by_identity[identity] = reminder
            result.count("medicines")
        found[str(record["id"])] = reminder
    session.flush()
    return found


def _follow_ups(
    session: Session, patient: User, medicines: Iterable[Reminder], now: datetime
) -> None:
    """Each medicine's own reminders (booking a dose ahead, a course's end, and after a stopped
    denosumab the talk with the doctor 6 months after its last dose), as saving it in the app
    makes them: the file's copies of them are not read."""
    for medicine in dict.fromkeys(medicines):  # two records of one medicine: once
        follow_medicine(session, patient, medicine, now)


def _doses(
    session: Session,
    patient: User,
    records: list[dict],
    medicines: dict[str, Reminder],
    result: ImportResult,
) -> None:
    known: set[tuple[int, datetime]] = {
        (reminder_id, at)
        for reminder_id, at in session.execute(
            select(MedicineDose.reminder_id, MedicineDose.occurrence_at).where(
                MedicineDose.user_id == patient.id
            )
        )
    }
    for record in records:
        reminder = medicines.get(str(record["reminder"]))
        if reminder is None:
            continue
        values = values_for(MedicineDose.__table__, record, ROW | {"reminder_id"})
        key = (reminder.id, values["occurrence_at"])
        if key in known:
            continue
        session.add(MedicineDose(user_id=patient.id, reminder_id=reminder.id, **values))
        known.add(key)
        result.count("doses")


def _settings(session: Session, patient: User, record: Any, now: datetime) -> None:
    settings = ensure_defaults(session, patient, now)
    if isinstance(record, dict):
        values = values_for(
            ReminderSettings.__table__, record, ROW | {"calendar_token", "created_at", "updated_at"}
        )
        for key, value in values.items():
            if value is not None:
                setattr(settings, key, value)
    session.flush()
    reschedule_patient(session, patient, settings, now)
