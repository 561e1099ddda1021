"""JSON API for appointments: /api/v1/appointments[/<id>].

Idempotent by the client's UUID (per patient), optimistic concurrency through `version`
(a stale one answers 409 with the current record), cancelling keeps the row. The rules for a
valid appointment are the HTML form's: both check with pwa/records/appointment.py.
"""

from __future__ import annotations

from datetime import time, timedelta

from flask import jsonify, request
from flask_login import current_user, login_required

from ..appointments.services import (
    StaleVersion,
    appointment_input,
    appointment_json,
    cancel_appointment,
    canonical_uuid,
    create_appointment,
    find_appointment,
    list_appointments,
    parse_appointment,
    update_appointment,
)
from ..errors import json_error
from ..extensions import db, db_session
from ..models import Appointment, new_uuid, utcnow
from ..records.appointment import FIELDS, AppointmentInput, AppointmentUpdate
from ..records.appointment import Appointment as AppointmentOut
from ..records.schemas import components
from ..records.types import validate
from ..timezones import local_to_utc
from ..validators import query_dates
from . import bp
from .payload import BadPayload, json_body


def _validation(fields: dict[str, list[str]]):
    return json_error(422, "validation", fields=fields)


def _bad_body(bad: BadPayload):
    return json_error(400, "bad_request", message=bad.message)


def _one(appointment: Appointment, status: int = 200):
    response = jsonify(appointment_json(appointment, current_user.timezone))
    response.status_code = status
    return response


def _not_found():
    return json_error(404, "not_found", message="There is no such appointment.")


FIELDS_AND_VERSION = {*FIELDS, "version", "cancelled"}


@bp.get("/appointments")
@login_required
def list_appointments_json():
    """The patient's appointments, earliest first; cancelled ones included and flagged."""
    zone = current_user.timezone
    bounds, errors = query_dates(request.args)
    if errors:
        return _validation(errors)
    first, last = bounds.get("from"), bounds.get("to")
    start = local_to_utc(first, time(0), zone) if first else None
    end = local_to_utc(last + timedelta(days=1), time(0), zone) if last else None
    include = request.args.get("include_cancelled", "1").lower() not in ("0", "false", "no")
    found = list_appointments(db_session(), current_user, start, end, include_cancelled=include)
    return jsonify({"appointments": [appointment_json(a, zone) for a in found]})


@bp.post("/appointments")
@login_required
def create_appointment_json():
    """First time 201; the same `id` again 200 with the stored record and no second row."""
    try:
        data = json_body()
    except BadPayload as bad:
        return _bad_body(bad)
    raw_id = data.get("id")
    uuid = new_uuid() if raw_id is None else canonical_uuid(raw_id)
    if uuid is None:
        return _validation({"id": ["The id must be a UUID, for example from crypto.randomUUID()."]})
    existing = find_appointment(db_session(), current_user, uuid)
    if existing is not None:
        return _one(existing, 200)
    values, errors = parse_appointment(data, current_user.timezone, current_user.today())
    if errors:
        return _validation(errors)
    appointment, created = create_appointment(db_session(), current_user, uuid, values)
    db.session.commit()
    return _one(appointment, 201 if created else 200)


@bp.get("/appointments/<id>")
@login_required
def get_appointment_json(id: str):  # noqa: A002 - the API calls it id
    appointment = find_appointment(db_session(), current_user, id)
    return _not_found() if appointment is None else _one(appointment)


@bp.put("/appointments/<id>")
@login_required
def update_appointment_json(id: str):  # noqa: A002 - the API calls it id
    """Changes an appointment at `version`; fields left out keep their values."""
    appointment = find_appointment(db_session(), current_user, id)
    if appointment is None:
        return _not_found()
    try:
        data = json_body()
    except BadPayload as bad:
        return _bad_body(bad)
    current = appointment_input(appointment, current_user.timezone)
    merged = {**current, **{name: data[name] for name in data if name in FIELDS_AND_VERSION}}
    record, errors = validate(AppointmentUpdate, merged, today=current_user.today())
    if errors:
        return _validation(errors)
    values = record.column_values(current_user.timezone)
    now = utcnow()
    if record.cancelled is not None and record.cancelled != appointment.cancelled:
        values["cancelled_at"] = now if record.cancelled else None
    try:
        update_appointment(db_session(), appointment, values, record.version, now)
    except StaleVersion as stale:
        db.session.rollback()
        return json_error(
            409,
            "version_conflict",
            message="This appointment was changed elsewhere. Here is the current version.",
            current=appointment_json(stale.current, current_user.timezone),
        )
    db.session.commit()
    return _one(appointment)


@bp.delete("/appointments/<id>")
@login_required
def cancel_appointment_json(id: str):  # noqa: A002 - the API calls it id
    """Marks the appointment cancelled and keeps it; 200 with the record, also the second time."""
    appointment = find_appointment(db_session(), current_user, id)
    if appointment is None:
        return _not_found()
    cancel_appointment(db_session(), appointment, utcnow())
    db.session.commit()
    return _one(appointment)


# --- OpenAPI 3.1 fragments, collected by pwa/api/openapi.py --------------------------------
# They use its shared `Error` schema and `CSRF` header parameter.

_REF = "#/components/schemas/"

OPENAPI_SCHEMAS: dict = {
    **components(
        {
            "Appointment": AppointmentOut,
            "AppointmentInput": AppointmentInput,
            "AppointmentUpdate": AppointmentUpdate,
        }
    ),
    "AppointmentList": {
        "type": "object",
        "required": ["appointments"],
        "properties": {"appointments": {"type": "array", "items": {"$ref": _REF + "Appointment"}}},
    },
    "AppointmentConflict": {
        "type": "object",
        "required": ["error", "current"],
        "properties": {
            "error": {"const": "version_conflict"},
            "message": {"type": "string"},
            "current": {"$ref": _REF + "Appointment"},
        },
    },
}


def _json(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + schema}}},
    }


_ERRORS = {
    "401": _json("Error", "Not signed in."),
}
_WRITE_ERRORS = {
    **_ERRORS,
    "400": _json("Error", "Malformed JSON, or a missing or wrong CSRF token."),
    "422": _json("Error", "Invalid fields; `fields` says what to fix."),
}
_CSRF = {"$ref": "#/components/parameters/CSRF"}  # defined by pwa/api/openapi.py
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The appointment's client UUID.",
    "schema": {"type": "string", "format": "uuid"},
}
_NOT_FOUND = {"404": _json("Error", "No such appointment for this patient.")}

OPENAPI_PATHS: dict = {
    "/api/v1/appointments": {
        "get": {
            "operationId": "listAppointments",
            "summary": "The signed-in patient's appointments, earliest first",
            "tags": ["appointments"],
            "parameters": [
                {
                    "name": "from",
                    "in": "query",
                    "description": "First local date, inclusive.",
                    "schema": {"type": "string", "format": "date"},
                },
                {
                    "name": "to",
                    "in": "query",
                    "description": "Last local date, inclusive.",
                    "schema": {"type": "string", "format": "date"},
                },
                {
                    "name": "include_cancelled",
                    "in": "query",
                    "description": "Cancelled appointments are included (flagged) unless 0.",
                    "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
                },
            ],
            "responses": {
                "200": _json("AppointmentList", "The appointments."),
                "422": _json("Error", "A bad date in from or to."),
                **_ERRORS,
            },
        },
        "post": {
            "operationId": "createAppointment",
            "summary": "Add an appointment (idempotent by its client id)",
            "tags": ["appointments"],
            "parameters": [_CSRF],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": _REF + "AppointmentInput"}}},
            },
            "responses": {
                "201": _json("Appointment", "Created."),
                "200": _json("Appointment", "Already saved with this id: the stored record."),
                **_WRITE_ERRORS,
            },
        },
    },
    "/api/v1/appointments/{id}": {
        "get": {
            "operationId": "getAppointment",
            "summary": "One appointment",
            "tags": ["appointments"],
            "parameters": [_ID],
            "responses": {"200": _json("Appointment", "The appointment."), **_NOT_FOUND, **_ERRORS},
        },
        "put": {
            "operationId": "updateAppointment",
            "summary": "Change an appointment at the version the client last saw",
            "tags": ["appointments"],
            "parameters": [_ID, _CSRF],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": _REF + "AppointmentUpdate"}}},
            },
            "responses": {
                "200": _json("Appointment", "Saved; `version` went up by one."),
                "409": _json("AppointmentConflict", "Stale version: the current record."),
                **_NOT_FOUND,
                **_WRITE_ERRORS,
            },
        },
        "delete": {
            "operationId": "cancelAppointment",
            "summary": "Cancel an appointment (kept, marked cancelled)",
            "tags": ["appointments"],
            "parameters": [_ID, _CSRF],
            "responses": {
                "200": _json("Appointment", "The cancelled appointment."),
                **_NOT_FOUND,
                **_ERRORS,
                "400": _json("Error", "A missing or wrong CSRF token."),
            },
        },
    },
}
