"""Daily check-ins over JSON, idempotent by the client's UUID; the rules are the record's."""

from flask import jsonify, request
from flask_login import current_user

from ..checkin.services import find_checkin, list_checkins, save_checkin, ticked_signs
from ..errors import json_error
from ..extensions import db, db_session
from ..models import CheckIn, utcnow
from ..records.checkin import CheckInRecord
from ..records.types import canonical_uuid, validate
from ..validators import query_dates
from . import bp
from .payload import BadPayload, json_body


def entry_json(checkin: CheckIn) -> dict:
    """The API's `Entry`: the check-in's record, plus what the server adds."""
    data = CheckInRecord.from_row(checkin, ticked_signs(checkin)).model_dump(mode="json")
    data["warnings_raised"] = [
        {"sign": e.sign, "tier": e.tier, "computed": e.computed} for e in checkin.warning_events
    ]
    data["created_at"] = checkin.created_at.isoformat() + "Z"
    data["updated_at"] = checkin.updated_at.isoformat() + "Z"
    return data


def validation_error(fields: dict[str, list[str]]):
    return json_error(422, "validation", fields=fields)


@bp.post("/entries")
def create_entry():
    try:
        data = json_body()
    except BadPayload as bad:
        return json_error(400, "bad_request", message=bad.message)
    uuid = canonical_uuid(data.get("id"))
    if uuid is None:
        return validation_error({"id": ["Must be a UUID made by the app (crypto.randomUUID())."]})
    record, errors = validate(CheckInRecord, data, today=current_user.today())
    if errors:
        if stored := find_checkin(db_session(), current_user, uuid):
            return jsonify(entry_json(stored)), 200  # a repeat answers what was stored
        return validation_error(errors)
    checkin, created = save_checkin(
        db_session(),
        current_user,
        record.column_values(),
        record.warning_signs,
        now=utcnow(),
        uuid=uuid,
    )
    body = entry_json(checkin)  # before the commit expires it, saving two reloads
    db.session.commit()
    return jsonify(body), 201 if created else 200


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
