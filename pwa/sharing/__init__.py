"""Sharing with the doctor: read-only report links (and, below, caregivers)."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

from . import views  # noqa: E402,F401
