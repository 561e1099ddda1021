"""Daily check-ins over JSON, idempotent by the client's UUID; the rules are the record's."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from flask import jsonify, request, session
from flask_login import current_user

from ..auth.devices import SignedIn
from ..auth.web import SESSION_ID, policy
from ..checkin.services import (
    Diary,
    SavedCheckIn,
    find_checkin,
    list_checkins,
    save_new_checkin,
    signed_in_with_week,
    stored_checkin,
    ticked_signs,
)
from ..errors import json_error
from ..extensions import db, db_session
from ..models import CheckIn, WarningEvent, utcnow
from ..records.checkin import CheckInRecord
from ..records.types import Day, Invalid, canonical_uuid, validate
from ..validators import query_dates
from . import bp, not_signed_in, require_csrf
from .payload import BadPayload, json_body


def entry_json(checkin: CheckIn) -> dict:
    """The API's `Entry`: the check-in's record, plus what the server adds."""
    record = CheckInRecord.from_row(checkin, ticked_signs(checkin))
    return _entry(record, checkin.warning_events, checkin.created_at, checkin.updated_at)


def saved_entry_json(saved: SavedCheckIn) -> dict:
    """The `Entry` of a check-in just saved, from the row as inserted (nothing read back)."""
    ticked = [event.sign for event in saved.events if not event.computed]
    record = CheckInRecord.from_row(SimpleNamespace(**saved.row), ticked)
    return _entry(record, saved.events, saved.row["created_at"], saved.row["updated_at"])


def _entry(
    record: CheckInRecord, events: list[WarningEvent], created_at: datetime, updated_at: datetime
) -> dict:
    data = record.model_dump(mode="json")
    data["warnings_raised"] = [
        {"sign": e.sign, "tier": e.tier, "computed": e.computed} for e in events
    ]
    data["created_at"] = created_at.isoformat() + "Z"
    data["updated_at"] = updated_at.isoformat() + "Z"
    return data


def validation_error(fields: dict[str, list[str]]):
    return json_error(422, "validation", fields=fields)


@bp.post("/entries")
def create_entry():
    """The API's hot write (issue 18): the signed-in patient and the week before the entry's
    day in one query, no ORM object for the patient or the check-in, the insert deciding
    whether it is new, and the answer made from what was inserted. Sign-in is checked before
    CSRF, as for every API route."""
    now = utcnow()
    data = request.get_json(silent=True)  # parsed once, by pwa.limits; errors are answered below
    day = _day_of(data) or now.date()
    found = signed_in_with_week(
        db_session(), session.get(SESSION_ID), day, now=now, policy=policy()
    )
    diary: Diary | None
    if found is not None:
        patient, diary = found
    elif current_user.is_authenticated:  # a remembered browser, signed in again by Flask-Login
        patient, diary = SignedIn.of(current_user), None
    else:
        return not_signed_in()
    require_csrf()
    try:
        data = json_body()
    except BadPayload as bad:
        return json_error(400, "bad_request", message=bad.message)
    uuid = canonical_uuid(data.get("id"))
    if uuid is None:
        return validation_error({"id": ["Must be a UUID made by the app (crypto.randomUUID())."]})
    record, errors = validate(CheckInRecord, data, today=patient.today(now))
    if errors:
        if stored := find_checkin(db_session(), patient, uuid):
            return jsonify(entry_json(stored)), 200  # a repeat answers what was stored
        return validation_error(errors)
    saved = save_new_checkin(
        db_session(),
        patient,
        record.column_values(),
        record.warning_signs,
        now=now,
        uuid=uuid,
        diary=diary if record.date == day else None,
    )
    if saved is None:  # a repeat: the answer is what was stored the first time
        stored = stored_checkin(db_session(), patient, uuid)
        if stored is None:  # deleted between the two statements: nothing to answer with
            raise LookupError(f"check-in {uuid} conflicted but is not there")
        return jsonify(entry_json(stored)), 200
    body = saved_entry_json(saved)
    db.session.commit()
    return jsonify(body), 201


def _day_of(data: Any) -> date | None:
    """The entry's date as sent, if the record's own date rule takes it: the week before it is
    read with the sign-in (a body without a good one reads an unused week, and the record's
    validation answers it)."""
    try:
        return Day().check(data.get("date") if isinstance(data, dict) else None)
    except Invalid:
        return None


@bp.get("/entries")
def list_entries():
    dates, errors = query_dates(request.args)
    if errors:
        return validation_error(errors)
    checkins = list_checkins(db_session(), current_user, dates.get("from"), dates.get("to"))
    return jsonify({"entries": [entry_json(c) for c in checkins]})


@bp.get("/entries/<id>")
def get_entry(id: str):  # noqa: A002 - the API calls it id
    checkin = find_checkin(db_session(), current_user, id)
    if checkin is None:
        return json_error(404, "not_found")
    return jsonify(entry_json(checkin))
