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
