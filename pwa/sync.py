"""The outbox's batch (POST /api/v1/sync): many records, each checked and saved as its own route
does it, each answered on its own.

A record is a check-in (`entry`), an appointment or a dose, with its client `id`. Each one is
validated by its record (pwa/records), as its single-record route validates it, and saved by
the same service that route calls (create_appointment/update_appointment, answer_dose; for
check-ins see below), so the rules cannot drift. A bad record is answered 422 and changes
nothing; the others are still saved.

Idempotent by each record's id: the ids the patient already has are read in one query per kind
first and answered 200, as is an id repeated within the batch. The whole batch is then one
transaction, committed before the answer, so a dropped answer loses nothing and the retry gives
200s. Should a save roll the session back (the same id committed by a concurrent request just
now), what this batch had saved went with it: the batch starts again, committing record by
record through the single routes' services, so nothing answered 201 is lost.

Check-ins are many (a phone offline for a week holds dozens), so the batch takes save_checkin's
steps but reads the patient's diary around the batch's days once (`Diary`) instead of twice per
check-in, and inserts them together: the warning signs come from the same function
(raised_signs, on the batch's diary), and tests/test_sync.py holds a batch's signs equal to the
single route's. The record-by-record pass
after a rollback uses save_checkin itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .appointments.services import (
    StaleVersion,
    appointment_input,
    appointment_json,
    create_appointment,
    find_appointment,
    parse_appointment,
    update_appointment,
)
from .checkin.services import (
    CHECKIN_ANSWERS,
    ROLLING_DAYS,
    Raised,
    new_warning_event,
    note_repeats,
    raised_signs,
    save_checkin,
)
from .checkin.services import Diary as CheckInDiary
from .models import Appointment, CheckIn, MedicineDose, User, WarningEvent
from .records.appointment import FIELDS as APPOINTMENT_FIELDS
from .records.appointment import AppointmentUpdate
from .records.checkin import CheckInRecord
from .records.medicine import DoseRecord
from .records.types import canonical_uuid, parse_date, validate
from .reminders.medicines import NotScheduled, answer_dose, find_medicine_by_uuid

MAX_RECORDS = 200
KINDS = ("entry", "appointment", "dose")
# In a sync record `kind` names the record's kind, so an appointment's own kind (spine,
# imaging, ...) travels as `appointment_kind`.
APPOINTMENT_KIND = "appointment_kind"
UUID_MESSAGE = "The id must be a UUID, for example from crypto.randomUUID()."
CHANGEABLE = {*APPOINTMENT_FIELDS, "version", "cancelled"}  # what a change may send
CONFLICT_MESSAGE = "This appointment was changed elsewhere. Here is the current version."

Errors = dict[str, list[str]]


class BadBatch(ValueError):
    """A batch refused as a whole: the HTTP status, and what to say (per field for a 422)."""

    def __init__(self, status: int, message: str, fields: Errors | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


@dataclass
class Result:
    """One record's answer: what its single-record route would have answered."""

    id: str | None
    status: int
    errors: Errors | None = None
    current: dict | None = None  # a 409's stored appointment

    def json(self) -> dict:
        answer: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.errors is not None:
            answer["errors"] = self.errors
        if self.current is not None:
            answer["current"] = self.current
        return answer


def batch_records(data: Mapping[str, Any]) -> list[dict]:
    """The batch's records, or BadBatch: a list of at most MAX_RECORDS objects with a kind."""
    records = data.get("records")
    if not isinstance(records, list):
        raise BadBatch(422, "Send the records as a list.", {"records": ["Please send a list."]})
    if len(records) > MAX_RECORDS:
        raise BadBatch(
            413,
            f"At most {MAX_RECORDS} records per request (this one has {len(records)}); "
            "send the rest in another.",
        )
    fields: Errors = {}
    for n, record in enumerate(records):
        if not isinstance(record, dict):
            fields[f"records[{n}]"] = ["Each record must be a JSON object."]
        elif record.get("kind") not in KINDS:
            fields[f"records[{n}].kind"] = ["Please say which kind: entry, appointment or dose."]
    if fields:
        raise BadBatch(422, "Some records say no kind we know.", fields)
    return records


@dataclass
class Batch:
    """What one pass over the records knows: the patient's stored ids, and those saved in it."""

    session: Session
    patient: User
    now: datetime
    today: date
    records: list[dict]
    stored: set[tuple[str, str]] = field(default_factory=set)
    diary: Diary | None = None  # read on the first check-in


class Diary:
    """The patient's check-ins around the batch's days, read in one query, with the batch's
    own added as they are saved: the latest answers of each day, as the warning signs read them
    (save_checkin reads the same from the database for each check-in)."""

    def __init__(self, session: Session, patient: User, records: list[dict]) -> None:
        days = [
            day
            for record in records
            if record["kind"] == "entry"
            and isinstance(record.get("date"), str)
            and (day := parse_date(record["date"])) is not None
        ]
        self.latest: dict[date, Mapping[str, Any]] = {}
        if days:
            columns = [getattr(CheckIn, name) for name in CHECKIN_ANSWERS]
            rows = session.execute(
                select(*columns)
                .where(
                    CheckIn.user_id == patient.id,
                    CheckIn.date >= min(days) - timedelta(days=ROLLING_DAYS),
                    CheckIn.date <= max(days),
                )
                .order_by(CheckIn.date, CheckIn.created_at, CheckIn.id)
            )
            for row in rows:  # later rows of a day overwrite earlier ones
                self.latest[row.date] = row._asdict()
        self.acted: dict[tuple[str, date], WarningEvent | None] = {}

    def raised(
        self, session: Session, patient: User, values: Mapping[str, Any], ticked: list[str]
    ) -> Raised:
        """What raised_signs finds for a new check-in with these answers, on this diary."""
        day: date = values["date"]
        diary = CheckInDiary(day, self.latest)
        return raised_signs(session, patient, values, ticked, diary=diary, acted_cache=self.acted)

    def add(self, values: Mapping[str, Any]) -> None:
        self.latest[values["date"]] = values  # the newest check-in of its day


def sync_records(
    session: Session, patient: User, records: list[dict], now: datetime
) -> list[Result]:
    """Saves the records in order and commits; one Result per record, in the same order."""
    results = _one_pass(session, patient, records, now, commit_each=False)
    if results is None:  # a save rolled the batch back: again, keeping each record at once
        results = _one_pass(session, patient, records, now, commit_each=True)
    assert results is not None  # committing each record, no rollback can take another
    return results


def _one_pass(
    session: Session, patient: User, records: list[dict], now: datetime, *, commit_each: bool
) -> list[Result] | None:
    stored = _stored_ids(session, patient, records)
    batch = Batch(session, patient, now, patient.today(now), records, stored)
    connection = session.connection()  # a new one after a rollback
    results = []
    try:
        for record in records:
            result = _sync_one(batch, record, commit_each)
            if commit_each:
                session.commit()
            elif session.connection() is not connection:
                return None
            results.append(result)
        session.flush()
    except IntegrityError:
        if commit_each:
            raise
        session.rollback()  # an id saved meanwhile by another request
        return None
    session.commit()
    return results


def _stored_ids(session: Session, patient: User, records: list[dict]) -> set[tuple[str, str]]:
    """(kind, id) of the batch's records the patient already has: one query per kind."""
    wanted: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for record in records:
        uuid = canonical_uuid(record.get("id"))
        if uuid is not None:
            wanted[record["kind"]].add(uuid)
    columns = {
        "entry": (CheckIn.uuid, CheckIn.user_id),
        "appointment": (Appointment.uuid, Appointment.user_id),
        "dose": (MedicineDose.uuid, MedicineDose.user_id),
    }
    stored: set[tuple[str, str]] = set()
    for kind, uuids in wanted.items():
        if uuids:
            uuid_column, owner = columns[kind]
            found = session.scalars(
                select(uuid_column).where(owner == patient.id, uuid_column.in_(uuids))
            )
            stored.update((kind, uuid) for uuid in found if uuid is not None)
    return stored


def _sync_one(batch: Batch, record: dict, one_by_one: bool) -> Result:
    kind = record["kind"]
    uuid = canonical_uuid(record.get("id"))
    if uuid is None:
        sent = record.get("id")
        return Result(sent if isinstance(sent, str) else None, 422, {"id": [UUID_MESSAGE]})
    data = {name: value for name, value in record.items() if name != "kind"}
    if kind == "appointment" and "version" in data:
        return _change_appointment(batch, uuid, data)
    if (kind, uuid) in batch.stored:
        return Result(uuid, 200)
    save = _save_entry if one_by_one and kind == "entry" else SAVERS[kind]
    result = save(batch, uuid, data)
    if result.status in (200, 201):
        batch.stored.add((kind, uuid))
    return result


def _save_entry(batch: Batch, uuid: str, data: dict) -> Result:
    """As POST /api/v1/entries."""
    record, errors = validate(CheckInRecord, data, today=batch.today)
    if errors:
        return Result(uuid, 422, errors)
    _, created = save_checkin(
        batch.session,
        batch.patient,
        record.column_values(),
        record.warning_signs,
        now=batch.now,
        uuid=uuid,
    )
    return Result(uuid, 201 if created else 200)


def _add_entry(batch: Batch, uuid: str, data: dict) -> Result:
    """As POST /api/v1/entries, save_checkin's steps on the batch's Diary; the insert goes with
    the batch's next flush."""
    record, errors = validate(CheckInRecord, data, today=batch.today)
    if errors:
        return Result(uuid, 422, errors)
    if batch.diary is None:
        batch.diary = Diary(batch.session, batch.patient, batch.records)
    values = record.column_values()
    raised = batch.diary.raised(batch.session, batch.patient, values, record.warning_signs)
    now, day = batch.now, values["date"]
    checkin = CheckIn(user_id=batch.patient.id, uuid=uuid, created_at=now, updated_at=now, **values)
    checkin.warning_events = [
        new_warning_event(batch.patient, code, now, day, computed=computed)
        for code, computed in raised.signs.items()
    ]
    batch.session.add(checkin)
    note_repeats(raised.repeats, day)
    batch.diary.add(values)
    return Result(uuid, 201)


def _appointment_fields(data: dict) -> dict:
    fields = {name: value for name, value in data.items() if name != APPOINTMENT_KIND}
    fields.pop("kind", None)
    if APPOINTMENT_KIND in data:
        fields["kind"] = data[APPOINTMENT_KIND]
    return fields


def _appointment_errors(errors: Errors) -> Errors:
    """Errors named as the sync record names its fields."""
    return {(APPOINTMENT_KIND if name == "kind" else name): text for name, text in errors.items()}


def _save_appointment(batch: Batch, uuid: str, data: dict) -> Result:
    """As POST /api/v1/appointments."""
    fields = _appointment_fields(data)
    values, errors = parse_appointment(fields, batch.patient.timezone, batch.today)
    if errors:
        return Result(uuid, 422, _appointment_errors(errors))
    _, created = create_appointment(batch.session, batch.patient, uuid, values)
    return Result(uuid, 201 if created else 200)


def _change_appointment(batch: Batch, uuid: str, data: dict) -> Result:
    """As PUT /api/v1/appointments/<id>: fields left out keep their values; a stale `version`
    is 409 with the stored appointment, unless the stored one is exactly this change (the
    answer to it was lost, and this is the retry): then 200."""
    session, zone = batch.session, batch.patient.timezone
    appointment = find_appointment(session, batch.patient, uuid)
    if appointment is None:
        return Result(uuid, 422, {"id": ["There is no such appointment."]})
    fields = _appointment_fields(data)
    wanted = {name: fields[name] for name in fields if name in CHANGEABLE}
    record, errors = validate(
        AppointmentUpdate, {**appointment_input(appointment, zone), **wanted}, today=batch.today
    )
    if errors:
        return Result(uuid, 422, _appointment_errors(errors))
    values = record.column_values(zone)
    if record.cancelled is not None and record.cancelled != appointment.cancelled:
        values["cancelled_at"] = batch.now if record.cancelled else None
    try:
        update_appointment(session, appointment, values, record.version, batch.now)
    except StaleVersion as stale:
        if _already_applied(stale.current, values, record):
            return Result(uuid, 200)
        current = appointment_json(stale.current, zone)
        return Result(uuid, 409, {"version": [CONFLICT_MESSAGE]}, current)
    return Result(uuid, 200)


def _already_applied(stored: Appointment, values: dict, record: AppointmentUpdate) -> bool:
    if stored.version != record.version + 1:
        return False
    if record.cancelled is not None and record.cancelled != stored.cancelled:
        return False
    return all(
        getattr(stored, name) == value for name, value in values.items() if name != "cancelled_at"
    )


def _save_dose(batch: Batch, uuid: str, data: dict) -> Result:
    """As POST /api/v1/doses."""
    from .api.medicines import _dose_required  # the single route's own rule (import cycle)

    record, errors = validate(DoseRecord, data)
    errors = {**_dose_required(record, data), **errors}
    if errors:
        return Result(uuid, 422, errors)
    reminder = find_medicine_by_uuid(
        batch.session, batch.patient, record.medicine_id or "", removed=True
    )
    if reminder is None:
        return Result(uuid, 422, {"medicine_id": ["There is no such medicine on your list."]})
    try:
        answer_dose(
            batch.session,
            batch.patient,
            reminder,
            uuid,
            record.due,
            record.status,
            record.taken_at,
            batch.now,
        )
    except NotScheduled:
        return Result(uuid, 422, {"due": ["No dose of this medicine is due at that time."]})
    batch.session.flush()
    return Result(uuid, 201)


SAVERS: dict[str, Callable[[Batch, str, dict], Result]] = {
    "entry": _add_entry,
    "appointment": _save_appointment,
    "dose": _save_dose,
}
