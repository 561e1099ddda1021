from flask import jsonify
from flask_wtf.csrf import generate_csrf

from . import appointments, bp, entries, medicines, sync  # noqa: F401
from .openapi import openapi_document


@bp.get("/csrf")
def csrf_token():
    """A fresh CSRF token for this session, fetched by the offline outbox before sending."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
