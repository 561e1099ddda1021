"""The patient's data is theirs: export (JSON, CSV, FHIR), import, deletion and the access log."""

from flask import Blueprint

bp = Blueprint("data", __name__)

from . import views  # noqa: E402,F401
