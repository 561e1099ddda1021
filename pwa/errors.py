"""Error pages for people, JSON errors for the API. Nothing answers with a bare 500 page."""

import contextlib

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .extensions import db
from .storage import RETRY_AFTER_SECONDS, storage_fault

STORAGE_MESSAGE = (
    "We could not save this just now: the server's storage is not taking new entries. "
    "Please try again in a few minutes."
)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, error: str, **extra):
    response = jsonify({"error": error, **extra})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if wants_json():
            return json_error(400, "csrf", message=error.description)
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if wants_json():
            return json_error(error.code or 500, (error.name or "error").lower().replace(" ", "_"))
        template = "errors/404.html" if error.code == 404 else "errors/generic.html"
        return render_template(template, error=error), error.code

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(error: Exception):
        """A read-only, full, locked or unreachable database: 503 and when to try again."""
        fault = storage_fault(error)
        if fault is None:
            return unexpected_error(error)
        app.logger.error("Storage fault (%s) on %s: %s", fault, request.path, error)
        with contextlib.suppress(DBAPIError):  # the connection itself may be gone
            db.session.rollback()
        response = storage_unavailable(fault)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        if wants_json():
            return json_error(500, "server_error")
        return render_template("errors/500.html"), 500


def storage_unavailable(fault: str) -> Response:
    """The 503 answer: JSON under /api/, else a plain page that needs no database to render."""
    if wants_json():
        return json_error(503, "storage_unavailable", message=STORAGE_MESSAGE, fault=fault)
    try:
        body = render_template("errors/503.html", message=STORAGE_MESSAGE)
    except Exception:  # noqa: BLE001 - the page must not fail on the very fault it reports
        body = STORAGE_MESSAGE
        return Response(body, 503, mimetype="text/plain")
    return Response(body, 503)
