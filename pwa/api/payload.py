"""Reading the JSON body of an API request."""

from flask import request

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
