"""Error pages for people, JSON errors for the API. Nothing answers with a bare 500 page."""

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db


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

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        if wants_json():
            return json_error(500, "server_error")
        return render_template("errors/500.html"), 500
