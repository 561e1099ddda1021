"""POST /api/v1/sync: the offline outbox's batch of check-ins, appointments and doses.

Each record is answered as its own route would answer it (201, 200, 409 or 422), in the order
sent; see pwa/sync.py for how they are saved. Only the batch itself can be refused whole: not
JSON (400), no `records` list or a record without a kind (422), more than 200 records (413).
"""

from __future__ import annotations

from flask import Response, jsonify
from flask_login import current_user, login_required

from ..errors import json_error
from ..extensions import db_session
from ..models import utcnow
from ..sync import APPOINTMENT_KIND, MAX_RECORDS, BadBatch, batch_records, sync_records
from . import bp
from .appointments import OPENAPI_SCHEMAS as APPOINTMENT_SCHEMAS
from .payload import BadPayload, json_body


@bp.post("/sync")
@login_required
def sync_batch() -> Response | tuple[Response, int]:
    """Up to 200 records of any kind; 200 with one result per record, in the same order."""
    try:
        records = batch_records(json_body())
    except BadPayload as bad:
        return json_error(400, "bad_request", message=bad.message)
    except BadBatch as bad:
        error = "too_many_records" if bad.status == 413 else "validation"
        return json_error(bad.status, error, message=bad.message, fields=bad.fields)
    results = sync_records(db_session(), current_user, records, utcnow())
    return jsonify({"results": [result.json() for result in results]})


# --- OpenAPI 3.1 fragments, collected by pwa/api/openapi.py --------------------------------

_REF = "#/components/schemas/"


def _kind(name: str) -> dict:
    return {"kind": {"const": name, "description": "Which kind of record this is."}}


def _appointment_fields() -> dict:
    """AppointmentUpdate's fields (all of AppointmentInput's, and `version` and `cancelled`),
    its `kind` renamed."""
    fields = dict(APPOINTMENT_SCHEMAS["AppointmentUpdate"]["properties"])
    fields[APPOINTMENT_KIND] = fields.pop("kind")
    return fields


def _json(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + schema}}},
    }


OPENAPI_SCHEMAS: dict = {
    "SyncEntry": {
        "description": "A check-in (as EntryInput), with `kind: entry`.",
        "allOf": [
            {"$ref": _REF + "EntryInput"},
            {"type": "object", "required": ["kind", "id"], "properties": _kind("entry")},
        ],
    },
    "SyncAppointment": {
        "description": "An appointment: without `version` a new one (as AppointmentInput), "
        "with `version` a change (as AppointmentUpdate; fields left out keep their values). "
        f"The appointment's own kind is sent as `{APPOINTMENT_KIND}`, since `kind` says "
        "which kind of record this is.",
        "type": "object",
        "required": ["kind", "id"],
        "properties": {
            **_kind("appointment"),
            "id": {"type": "string", "format": "uuid"},
            **_appointment_fields(),
        },
    },
    "SyncDose": {
        "description": "One dose answered (as DoseInput), with `kind: dose`.",
        "allOf": [
            {"$ref": _REF + "DoseInput"},
            {"type": "object", "required": ["kind", "id"], "properties": _kind("dose")},
        ],
    },
    "SyncBatch": {
        "type": "object",
        "required": ["records"],
        "properties": {
            "records": {
                "type": "array",
                "maxItems": MAX_RECORDS,
                "items": {
                    "oneOf": [
                        {"$ref": _REF + "SyncEntry"},
                        {"$ref": _REF + "SyncAppointment"},
                        {"$ref": _REF + "SyncDose"},
                    ]
                },
            }
        },
    },
    "SyncResults": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "status"],
                    "properties": {
                        "id": {"type": ["string", "null"], "description": "The record's id."},
                        "status": {
                            "enum": [201, 200, 409, 422],
                            "description": "201 saved, 200 already saved, 409 a stale "
                            "version, 422 invalid: as the record's own route answers.",
                        },
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        "current": {"$ref": _REF + "Appointment"},
                    },
                },
            }
        },
    },
}

OPENAPI_PATHS: dict = {
    "/api/v1/sync": {
        "post": {
            "operationId": "syncRecords",
            "summary": "The offline outbox's batch: up to 200 check-ins, appointments and doses",
            "description": "Each record is saved, or refused, on its own and answered in the "
            "order sent; each is idempotent by its `id`. The answer comes after the commit.",
            "tags": ["sync"],
            "parameters": [{"$ref": "#/components/parameters/CSRF"}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": _REF + "SyncBatch"}}},
            },
            "responses": {
                "200": _json("SyncResults", "One result per record, in the order sent."),
                "400": _json("Error", "Not JSON, or a missing or wrong CSRF token."),
                "401": _json("Error", "Not signed in."),
                "413": _json("Error", "More than 200 records, or a body over the size limit."),
                "422": _json("Error", "No `records` list, or a record without a kind."),
            },
        }
    }
}
