"""Turning a JSON body into form data, so the API validates with the same forms as the pages."""

from flask import request
from werkzeug.datastructures import MultiDict

# A list field (pain locations, warning signs) offers a handful of choices; a client sending
# more than this is broken, and its list must not be stored (issue 13).
MAX_LIST_FIELD_ITEMS = 50


class BadPayload(ValueError):
    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


def json_body() -> dict:
    """The request's JSON object, or BadPayload with a plain reason."""
    if not request.is_json:
        raise BadPayload("Send the data as JSON with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None:
        raise BadPayload("The body is not valid JSON.")
    if not isinstance(data, dict):
        raise BadPayload("The body must be a JSON object.")
    return data


def to_formdata(data: dict, *, lists: set[str], booleans: set[str]) -> MultiDict:
    """JSON values as the strings a browser would post; wrong shapes become field errors."""
    form = MultiDict()
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key in lists:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[key] = ["Must be a list of strings."]
                continue
            if len(value) > MAX_LIST_FIELD_ITEMS:
                errors[key] = [f"At most {MAX_LIST_FIELD_ITEMS} items, please."]
                continue
            for item in value:
                form.add(key, item)
        elif isinstance(value, (list, dict)):
            errors[key] = ["Must be a single value, not a list or object."]
        elif key in booleans and isinstance(value, bool):
            form.add(key, "yes" if value else "no")
        elif isinstance(value, bool):
            errors[key] = ["Must not be true or false."]
        else:
            form.add(key, str(value))
    if errors:
        raise BadPayload("validation", errors)
    return form
