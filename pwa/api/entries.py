"""Daily check-ins over JSON, idempotent by the client's UUID."""

from uuid import UUID

from flask import jsonify, request
from flask_login import current_user

from ..checkin.forms import CheckInForm
from ..checkin.services import (
    BOOL_FIELDS,
    find_checkin,
    list_checkins,
    save_checkin,
    ticked_signs,
    values_from_form,
)
from ..errors import json_error
from ..extensions import db
from ..models import CheckIn, utcnow
from ..validators import query_dates
from . import bp
from .payload import BadPayload, json_body, to_formdata

LIST_FIELDS = {"locations", "warning_signs"}


def entry_json(checkin: CheckIn) -> dict:
    data = {
        "id": checkin.uuid,
        "date": checkin.date.isoformat(),
        "pain": checkin.pain_avg,
        "pain_worst": checkin.pain_worst,
        "pain_activity": checkin.pain_activity,
        "locations": list(checkin.locations or []),
        "walking_aid": checkin.walking_aid,
        "minutes_walked": checkin.minutes_walked,
        "brace_hours": checkin.brace_hours,
        "acetaminophen_doses": checkin.acetaminophen_doses,
        "nsaid_doses": checkin.nsaid_doses,
        "opioid_doses": checkin.opioid_doses,
        "other_pain_med_doses": checkin.other_pain_med_doses,
        "weekly_change": checkin.weekly_change,
        "notes": checkin.notes,
        "warning_signs": ticked_signs(checkin),
        "warnings_raised": [
            {"sign": e.sign, "tier": e.tier, "computed": e.computed} for e in checkin.warning_events
        ],
        "created_at": checkin.created_at.isoformat() + "Z",
        "updated_at": checkin.updated_at.isoformat() + "Z",
    }
    data.update({name: getattr(checkin, name) for name in BOOL_FIELDS})
    return data


def validation_error(fields: dict[str, list[str]]):
    return json_error(422, "validation", fields=fields)


def parse_uuid(value) -> str | None:
    try:
        return str(UUID(str(value)))
    except ValueError:
        return None


@bp.post("/entries")
def create_entry():
    try:
        data = json_body()
        formdata = to_formdata(data, lists=LIST_FIELDS, booleans=set(BOOL_FIELDS))
    except BadPayload as bad:
        if bad.fields:
            return validation_error(bad.fields)
        return json_error(400, "bad_request", message=bad.message)
    uuid = parse_uuid(data.get("id"))
    if uuid is None:
        return validation_error({"id": ["Must be a UUID made by the app (crypto.randomUUID())."]})
    existing = find_checkin(db.session, current_user, uuid)
    if existing is not None:
        return jsonify(entry_json(existing)), 200
    form = CheckInForm(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        return validation_error(form.errors)
    checkin, created = save_checkin(
        db.session,
        current_user,
        values_from_form(form.data),
        form.warning_signs.data or [],
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
    checkins = list_checkins(db.session, current_user, dates.get("from"), dates.get("to"))
    return jsonify({"entries": [entry_json(c) for c in checkins]})


@bp.get("/entries/<id>")
def get_entry(id: str):  # noqa: A002 - the API calls it id
    checkin = find_checkin(db.session, current_user, id)
    if checkin is None:
        return json_error(404, "not_found")
    return jsonify(entry_json(checkin))
