"""Limits every request meets before a view sees it.

The body's size is Flask's MAX_CONTENT_LENGTH (413). Here, for the rest of what no patient ever
sends but a broken client or an attacker might: JSON nested deeper than any record (which would
otherwise exhaust the parser's recursion), more list items than any form has choices, and text
no database can store (NUL, a lone UTF-16 surrogate from a JSON "\\ud800" escape). They answer
422 with a plain reason, JSON when the client sent JSON or asked under /api/.

Per-field rules (lengths, dates, choices) belong to the forms and schemas; these are the
request-wide bounds that hold whatever route is added later.
"""

from __future__ import annotations

import re

from flask import Flask, Response, abort, render_template, request
from werkzeug.exceptions import BadRequest

from .errors import json_error

MAX_JSON_DEPTH = 8  # a sync batch is {"records": [{"locations": [...]}]}: depth 4
MAX_LIST_ITEMS = 500  # JSON arrays, and repeats of one form field; a sync batch holds 200
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and the UTF-16 surrogates
MAX_RECORD_ID = 2**31 - 1  # PostgreSQL's integer; SQLite refuses past 2**63


class Refused(ValueError):
    """Input refused before any view: why, and where (a field name or a JSON path)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def check_text(text: str, where: str) -> None:
    found = UNSTORABLE.search(text)  # one scan in C: every request's every string comes here
    if found is None:
        return
    if found.group() == "\x00":
        raise Refused("Text cannot contain the NUL character.", where)
    raise Refused("Text cannot contain a lone UTF-16 surrogate.", where)


def check_json(value: object) -> None:
    """Walks a parsed JSON value (without recursion) and raises Refused at the first excess."""
    stack: list[tuple[object, str, int]] = [(value, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, where)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise Refused(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.", where)
        if len(item) > MAX_LIST_ITEMS:
            raise Refused(f"At most {MAX_LIST_ITEMS} items are accepted here.", where)
        if isinstance(item, dict):
            for key, child in item.items():
                path = f"{where}.{key}" if where else str(key)
                check_text(str(key), path)
                stack.append((child, path, depth + 1))
        else:
            stack.extend((child, f"{where}[{n}]", depth + 1) for n, child in enumerate(item))


def no_such_record() -> bool:
    """A whole number in the path no database column can hold: no record has that id."""
    return any(
        isinstance(value, int) and not 0 <= value <= MAX_RECORD_ID
        for value in (request.view_args or {}).values()
    )


def check_request() -> None:
    """Raises Refused for a request no view should see."""
    for name, values in request.args.lists():
        for value in values:
            check_text(value, name)
    if request.is_json:
        try:
            data = request.get_json(silent=True)  # parsed once; views read the cached value
        except RecursionError:
            raise Refused(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.") from None
        check_json(data)
    elif request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for name, values in request.form.lists():
            if len(values) > MAX_LIST_ITEMS:
                raise Refused(f"At most {MAX_LIST_ITEMS} answers are accepted here.", name)
            for value in values:
                check_text(value, name)


def refused(error: Refused) -> Response:
    if request.path.startswith("/api/") or request.is_json:
        fields = {error.where: [error.message]} if error.where else {}
        return json_error(422, "validation", message=error.message, fields=fields)
    page = render_template("errors/refused.html", message=error.message)
    return Response(page, 422)


def register(app: Flask) -> None:
    @app.before_request
    def refuse_what_no_view_should_see():
        if no_such_record():
            abort(404)
        try:
            check_request()
        except Refused as error:
            return refused(error)
        except BadRequest:
            return None  # malformed bodies: each view answers them its own way (400)
        return None
