"""The JSON API under /api/v1: JSON in and out, errors too; session cookie; CSRF by header.

Sign-in is checked before CSRF, so an expired session answers 401 (sign in again) rather than
a CSRF error, which is what the offline outbox needs to keep its entries and ask.
"""

from flask import Blueprint, current_app, request
from flask_login import current_user

from ..errors import json_error
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.csrf_token", "api.openapi"}
# Views that check the sign-in and then CSRF themselves, in this same order: saving a check-in
# reads the signed-in patient together with the week before in one query (api/entries.py).
SIGNS_IN_ITSELF = {"api.create_entry"}


@bp.before_request
def require_session_and_csrf():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in SIGNS_IN_ITSELF:
        return None
    if not current_user.is_authenticated:
        return not_signed_in()
    require_csrf()
    return None


def not_signed_in():
    return json_error(401, "not_signed_in", message="Please sign in again.")


def require_csrf() -> None:
    """A write carries the session's CSRF token in its header (CSRFError, 400, if not)."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


from . import views  # noqa: E402,F401
