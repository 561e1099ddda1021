from flask import current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..bone.late import check_patient as check_late_medicines
from ..extensions import db_session
from ..models import utcnow
from ..storage import RETRY_AFTER_SECONDS, check_database
from . import bp
from .services import home_summary


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.profile is None:
        return redirect(url_for("profile.edit", welcome=1))
    check_late_medicines(db_session(), current_user, utcnow())  # issue 12: medicine_late
    return render_template(
        "main/home.html", summary=home_summary(db_session(), current_user, utcnow())
    )


@bp.get("/more")
@login_required
def more():
    """The bottom bar's "More": every page a patient reaches less often."""
    return render_template("main/more.html")


@bp.get("/healthz")
def healthz():
    """200 only while the database takes a write; else 503 saying why ("read_only", "full")."""
    state = check_database(db_session(), utcnow(), current_app.config["STORAGE_MIN_FREE_BYTES"])
    if state != "ok":
        response = jsonify({"status": "error", "database": state})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return jsonify({"status": "ok", "database": "ok"})
