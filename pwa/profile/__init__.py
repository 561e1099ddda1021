from flask import Blueprint

bp = Blueprint("profile", __name__)

from . import views  # noqa: E402,F401
