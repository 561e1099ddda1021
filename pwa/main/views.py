from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from ..extensions import db
from ..models import utcnow
from . import bp
from .services import home_summary


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.profile is None:
        return redirect(url_for("profile.edit", welcome=1))
    return render_template(
        "main/home.html", summary=home_summary(db.session, current_user, utcnow())
    )


@bp.get("/more")
@login_required
def more():
    """The bottom bar's "More": every page a patient reaches less often."""
    return render_template("main/more.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
