"""The OpenAPI 3.1 description of /api/v1. Each API module contributes its own paths."""

import sys

from flask import current_app

from ..records.checkin import CheckInRecord, Entry
from ..records.schemas import components

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": json_response("Not signed in", ref("Error")),
    "422": json_response("Invalid fields, with a message per field", ref("Error")),
}

ENTRY_PATHS = {
    "/api/v1/entries": {
        "get": {
            "summary": "The signed-in patient's check-ins, newest first",
            "operationId": "listEntries",
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
            ],
            "responses": {
                "200": json_response(
                    "Check-ins",
                    {"type": "object", "properties": {"entries": {"type": "array",
                                                                  "items": ref("Entry")}}},
                ),
                **ERRORS,
            },
        },
        "post": {
            "summary": "Save one daily check-in (idempotent by its id)",
            "operationId": "createEntry",
            "parameters": [{"$ref": "#/components/parameters/CSRF"}],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref("EntryInput")}}},
            "responses": {
                "201": json_response("Saved", ref("Entry")),
                "200": json_response("Already saved earlier with this id", ref("Entry")),
                "400": json_response("Not JSON, or a missing CSRF token", ref("Error")),
                **ERRORS,
            },
        },
    },
    "/api/v1/entries/{id}": {
        "get": {
            "summary": "One check-in",
            "operationId": "getEntry",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": {"200": json_response("The check-in", ref("Entry")),
                          "404": json_response("Not found", ref("Error")), **ERRORS},
        }
    },
    "/api/v1/csrf": {
        "get": {
            "summary": "A fresh CSRF token for this session (send it as X-CSRFToken)",
            "operationId": "getCsrfToken",
            "responses": {"200": json_response(
                "Token", {"type": "object", "properties": {"csrf_token": {"type": "string"}}})},
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "operationId": "getOpenApi",
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        }
    },
}  # fmt: skip


def openapi_document() -> dict:
    """The whole document: entries here, plus OPENAPI_PATHS/OPENAPI_SCHEMAS of other modules."""
    paths = dict(ENTRY_PATHS)
    schemas = {"Error": ERROR, **components({"EntryInput": CheckInRecord, "Entry": Entry})}
    for module in contributing_modules():
        paths.update(module.OPENAPI_PATHS)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    paths = with_common_responses(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Upright API",
            "version": current_app.config["APP_VERSION"],
            "description": "Daily check-ins and appointments of the signed-in patient. "
            "JSON in and out, errors too. Uses the session cookie; writes need the X-CSRFToken "
            "header (GET /api/v1/csrf).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "CSRF": {
                    "name": "X-CSRFToken",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                },
            },
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
        "security": [{"session": []}],
    }


def contributing_modules() -> list:
    """API modules (pwa.api.*) loaded by the blueprint that describe their own routes."""
    return [
        module
        for name, module in sorted(sys.modules.items())
        if name.startswith("pwa.api.") and hasattr(module, "OPENAPI_PATHS")
    ]


# Issue 13: answers any route can give, whatever its module describes: a request refused before
# the view (422: a NUL or lone surrogate, JSON nested too deep), a body over the size limit
# (413) and a database that cannot take writes just now (503, with Retry-After).
COMMON_RESPONSES = {
    "422": json_response("Invalid input, with a message per field", ref("Error")),
    "503": {
        **json_response("The server's storage cannot save just now; try again later", ref("Error")),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}
BODY_RESPONSES = {"413": json_response("The body is larger than the server accepts", ref("Error"))}


def with_common_responses(paths: dict) -> dict:
    """A copy of `paths` in which every operation also lists COMMON_RESPONSES (and, when it
    takes a body, BODY_RESPONSES), without changing what a module says itself."""
    result: dict[str, dict] = {}
    for path, item in paths.items():
        result[path] = {}
        for method, operation in item.items():
            extra = {**COMMON_RESPONSES, **(BODY_RESPONSES if "requestBody" in operation else {})}
            responses = {**extra, **operation.get("responses", {})}
            result[path][method] = {**operation, "responses": responses}
    return result
