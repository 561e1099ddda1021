"""JSON API for medicines and their doses: /api/v1/medicines[/<id>] and /api/v1/doses.

The same contract as appointments (DESIGN.md): the client's UUID makes a create idempotent,
`version` guards updates (stale: 409 with the current record), removing keeps the row so the
doses recorded stay in the report. A medicine checks with the reminders page's MedicineRecord,
a dose with DoseRecord; a dose's `due` must be one of its medicine's scheduled moments.
"""

from __future__ import annotations

from flask import Response, jsonify
from flask_login import current_user, login_required

from ..errors import json_error
from ..extensions import db, db_session
from ..models import Reminder, new_uuid, utcnow
from ..records.medicine import DoseRecord, Medicine, MedicineInput, MedicineUpdate
from ..records.schemas import components
from ..records.types import canonical_uuid, validate
from ..reminders.medicines import (
    NotScheduled,
    StaleMedicine,
    answer_dose,
    create_medicine,
    dose_json,
    find_dose,
    find_medicine_by_uuid,
    medicine_json,
    medicines,
    remove_medicine,
    update_medicine,
)
from ..reminders.settings import ensure_defaults
from . import bp
from .payload import BadPayload, json_body

UUID_MESSAGE = "The id must be a UUID, for example from crypto.randomUUID()."


def _validation(fields: dict[str, list[str]]) -> Response:
    return json_error(422, "validation", fields=fields)


def _one(reminder: Reminder, status: int = 200) -> Response:
    response = jsonify(medicine_json(reminder))
    response.status_code = status
    return response


def _not_found() -> Response:
    return json_error(404, "not_found", message="There is no such medicine.")


@bp.get("/medicines")
@login_required
def list_medicines_json():
    """The patient's medicines (removed ones left out), by name."""
    found = medicines(db_session(), current_user)
    return jsonify({"medicines": [medicine_json(reminder) for reminder in found]})


@bp.post("/medicines")
@login_required
def create_medicine_json():
    """First time 201; the same `id` again 200 with the stored medicine and no second row."""
    try:
        data = json_body()
    except BadPayload as bad:
        return json_error(400, "bad_request", message=bad.message)
    uuid = new_uuid() if data.get("id") is None else canonical_uuid(data.get("id"))
    if uuid is None:
        return _validation({"id": [UUID_MESSAGE]})
    existing = find_medicine_by_uuid(db_session(), current_user, uuid, removed=True)
    if existing is not None:
        return _one(existing)
    record, errors = validate(MedicineInput, data)
    if errors:
        return _validation(errors)
    now = utcnow()
    settings = ensure_defaults(db_session(), current_user, now)
    values = record.model_dump(exclude={"id"})
    reminder, created = create_medicine(db_session(), current_user, uuid, values, settings, now)
    body = medicine_json(reminder)
    db.session.commit()
    return jsonify(body), 201 if created else 200


@bp.put("/medicines/<id>")
@login_required
def update_medicine_json(id: str):  # noqa: A002 - the API calls it id
    """Changes a medicine at `version`; fields left out keep their values."""
    reminder = find_medicine_by_uuid(db_session(), current_user, id)
    if reminder is None:
        return _not_found()
    try:
        data = json_body()
    except BadPayload as bad:
        return json_error(400, "bad_request", message=bad.message)
    record, errors = validate(MedicineUpdate, {**medicine_json(reminder), **data})
    if errors:
        return _validation(errors)
    now = utcnow()
    settings = ensure_defaults(db_session(), current_user, now)
    values = record.model_dump(exclude={"version"})
    try:
        update_medicine(db_session(), current_user, reminder, values, record.version, settings, now)
    except StaleMedicine as stale:
        db.session.rollback()
        return json_error(
            409,
            "version_conflict",
            message="This medicine was changed elsewhere. Here is the current version.",
            current=medicine_json(stale.current),
        )
    db.session.commit()
    return _one(reminder)


@bp.delete("/medicines/<id>")
@login_required
def remove_medicine_json(id: str):  # noqa: A002 - the API calls it id
    """Removes the medicine from the list (its doses stay); 200 also the second time."""
    reminder = find_medicine_by_uuid(db_session(), current_user, id, removed=True)
    if reminder is None:
        return _not_found()
    if reminder.deleted_at is None:
        remove_medicine(db_session(), current_user, reminder, utcnow())
        db.session.commit()
    return _one(reminder)


@bp.post("/doses")
@login_required
def record_dose_json():
    """One dose answered: first time 201, the same `id` again 200 with the stored dose."""
    try:
        data = json_body()
    except BadPayload as bad:
        return json_error(400, "bad_request", message=bad.message)
    uuid = canonical_uuid(data.get("id"))
    if uuid is None:
        return _validation({"id": [UUID_MESSAGE]})
    existing = find_dose(db_session(), current_user, uuid)
    if existing is not None:
        return jsonify(dose_json(existing, current_user)), 200
    record, errors = validate(DoseRecord, data)
    errors = {**_dose_required(record, data), **errors}
    if errors:
        return _validation(errors)
    reminder = find_medicine_by_uuid(
        db_session(), current_user, record.medicine_id or "", removed=True
    )
    if reminder is None:
        return _validation({"medicine_id": ["There is no such medicine on your list."]})
    try:
        dose = answer_dose(
            db_session(),
            current_user,
            reminder,
            uuid,
            record.due,
            record.status,
            record.taken_at,
            utcnow(),
        )
    except NotScheduled:
        return _validation({"due": ["No dose of this medicine is due at that time."]})
    db.session.flush()
    body = dose_json(dose, current_user)
    db.session.commit()
    return jsonify(body), 201


def _dose_required(record: DoseRecord | None, data: dict) -> dict[str, list[str]]:
    """The API needs what a page's form carries implicitly: which medicine and which dose."""
    missing: dict[str, list[str]] = {}
    if not data.get("medicine_id"):
        missing["medicine_id"] = ["Please say which medicine (its id)."]
    if not data.get("due"):
        missing["due"] = ["Please say which dose: its scheduled time, YYYY-MM-DDTHH:MM."]
    return missing


# --- OpenAPI 3.1 fragments, collected by pwa/api/openapi.py --------------------------------

_REF = "#/components/schemas/"


def _json(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + schema}}},
    }


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": _REF + schema}}}}


_ERRORS = {"401": _json("Error", "Not signed in.")}
_WRITE_ERRORS = {
    **_ERRORS,
    "400": _json("Error", "Malformed JSON, or a missing or wrong CSRF token."),
    "422": _json("Error", "Invalid fields; `fields` says what to fix."),
}
_CSRF = {"$ref": "#/components/parameters/CSRF"}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The medicine's client UUID.",
    "schema": {"type": "string", "format": "uuid"},
}
_NOT_FOUND = {"404": _json("Error", "No such medicine for this patient.")}

OPENAPI_SCHEMAS: dict = {
    **components(
        {
            "Medicine": Medicine,
            "MedicineInput": MedicineInput,
            "MedicineUpdate": MedicineUpdate,
            "DoseInput": DoseRecord,
        }
    ),
    "MedicineList": {
        "type": "object",
        "required": ["medicines"],
        "properties": {"medicines": {"type": "array", "items": {"$ref": _REF + "Medicine"}}},
    },
    "MedicineConflict": {
        "type": "object",
        "required": ["error", "current"],
        "properties": {
            "error": {"const": "version_conflict"},
            "message": {"type": "string"},
            "current": {"$ref": _REF + "Medicine"},
        },
    },
    "Dose": {
        "type": "object",
        "required": ["id", "medicine_id", "due", "status", "taken_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "medicine_id": {"type": "string", "format": "uuid"},
            "due": {"type": "string", "description": "Scheduled local date-time, YYYY-MM-DDTHH:MM"},
            "status": {"enum": ["taken", "skipped"]},
            "taken_at": {"type": ["string", "null"], "description": "Local YYYY-MM-DDTHH:MM"},
        },
    },
}

OPENAPI_PATHS: dict = {
    "/api/v1/medicines": {
        "get": {
            "operationId": "listMedicines",
            "summary": "The signed-in patient's medicines with their schedules",
            "tags": ["medicines"],
            "responses": {"200": _json("MedicineList", "The medicines."), **_ERRORS},
        },
        "post": {
            "operationId": "createMedicine",
            "summary": "Add a medicine (idempotent by its client id)",
            "tags": ["medicines"],
            "parameters": [_CSRF],
            "requestBody": _body("MedicineInput"),
            "responses": {
                "201": _json("Medicine", "Created."),
                "200": _json("Medicine", "Already saved with this id: the stored record."),
                **_WRITE_ERRORS,
            },
        },
    },
    "/api/v1/medicines/{id}": {
        "put": {
            "operationId": "updateMedicine",
            "summary": "Change a medicine at the version the client last saw",
            "tags": ["medicines"],
            "parameters": [_ID, _CSRF],
            "requestBody": _body("MedicineUpdate"),
            "responses": {
                "200": _json("Medicine", "Saved; `version` went up by one."),
                "409": _json("MedicineConflict", "Stale version: the current record."),
                **_NOT_FOUND,
                **_WRITE_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeMedicine",
            "summary": "Take a medicine off the list (its recorded doses stay)",
            "tags": ["medicines"],
            "parameters": [_ID, _CSRF],
            "responses": {
                "200": _json("Medicine", "The removed medicine."),
                **_NOT_FOUND,
                **_ERRORS,
                "400": _json("Error", "A missing or wrong CSRF token."),
            },
        },
    },
    "/api/v1/doses": {
        "post": {
            "operationId": "recordDose",
            "summary": "One scheduled dose answered: taken or skipped (idempotent by its id)",
            "tags": ["medicines"],
            "parameters": [_CSRF],
            "requestBody": _body("DoseInput"),
            "responses": {
                "201": _json("Dose", "Recorded."),
                "200": _json("Dose", "Already recorded with this id: the stored dose."),
                **_WRITE_ERRORS,
            },
        },
    },
}
