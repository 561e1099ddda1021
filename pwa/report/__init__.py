from flask import Blueprint

bp = Blueprint("report", __name__)

from . import views  # noqa: E402,F401
