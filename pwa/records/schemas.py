"""The records' JSON schemas: OpenAPI 3.1 components, and the field types the outbox reads.

`static/js/record-fields.js` is written from `outbox_field_types()` by
`flask records build-js`; tests/test_records.py fails when it is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..config import ROOT

REF = "#/components/schemas/{model}"
RECORD_FIELDS_JS = ROOT / "static" / "js" / "record-fields.js"


def components(models: dict[str, type[BaseModel]]) -> dict[str, Any]:
    """{component name: JSON schema} for each model, plus the models they refer to."""
    schemas: dict[str, Any] = {}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schema["title"] = name
        schemas[name] = schema
    return schemas


def all_required(schema: dict[str, Any]) -> None:
    """json_schema_extra for answers: every property is always present (perhaps null)."""
    schema["required"] = list(schema.get("properties", {}))


def outbox_field_types() -> dict[str, dict[str, list[str]]]:
    """Per outbox kind, which form fields the API takes as whole numbers and which as lists."""
    from .appointment import AppointmentUpdate
    from .checkin import CheckInRecord

    kinds: dict[str, type[BaseModel]] = {
        "entries": CheckInRecord,
        "appointments": AppointmentUpdate,
    }
    return {kind: _field_types(model) for kind, model in kinds.items()}


def _field_types(model: type[BaseModel]) -> dict[str, list[str]]:
    properties = model.model_json_schema()["properties"]
    types = {name: _types(prop) for name, prop in properties.items()}
    return {
        "integer": sorted(name for name, found in types.items() if "integer" in found),
        "list": sorted(name for name, found in types.items() if found - {"null"} == {"array"}),
    }


def _types(prop: dict[str, Any]) -> set[str]:
    found = {prop["type"]} if isinstance(prop.get("type"), str) else set(prop.get("type") or ())
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        found |= _types(option)
    return found


def record_fields_js() -> str:
    return (
        "// Generated from pwa/records by `flask records build-js`; do not edit by hand.\n"
        "// The outbox (sync-core.js) reads it to send form answers as the API's JSON types.\n"
        f"self.UprightRecordFields = {json.dumps(outbox_field_types(), indent=2)};\n"
    )


def write_record_fields_js(path: Path = RECORD_FIELDS_JS) -> Path:
    path.write_text(record_fields_js(), encoding="utf-8")
    return path
