"""Your data: downloads, import, the access log and deleting the account. Thin views."""

from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from ..extensions import db, db_session
from ..models import utcnow
from . import bp
from .access import access_log, kind_label, record_access
from .deletion import (
    WrongPassword,
    delete_account_checked,
    deletion_summary,
    send_deletion_confirmation,
)
from .export import csv_zip, export_data
from .fhir import fhir_bundle
from .forms import DeleteAccountForm, ImportForm
from .importer import ImportRefused, import_export, read_export

KIND_NAMES = {
    "checkins": "check-ins",
    "warning_events": "warning signs",
    "appointments": "appointments",
    "medicines": "medicines",
    "doses": "doses",
    "heights": "height measurements",  # issue 12
    "bone_checklist": "bone health checklist answers",  # issue 12
}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/data")
@login_required
def index():
    return _no_store(
        Response(
            render_template(
                "data/index.html",
                form=ImportForm(),
                summary=deletion_summary(db_session(), current_user),
            )
        )
    )


def _download(body: bytes | str, mimetype: str, suffix: str, label: str) -> Response:
    now = utcnow()
    record_access(db_session(), current_user, "export", label, now)
    db.session.commit()
    response = Response(body, mimetype=mimetype)
    name = f"upright-export-{current_user.today(now):%Y-%m-%d}{suffix}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


def _data() -> dict:
    return export_data(db_session(), current_user, utcnow(), current_app.config["APP_VERSION"])


@bp.get("/account/data/export.json")
@login_required
def export_json():
    body = json.dumps(_data(), indent=2, ensure_ascii=False)
    return _download(body, "application/json", ".json", "JSON file")


@bp.get("/account/data/export.csv.zip")
@login_required
def export_csv():
    return _download(csv_zip(_data()), "application/zip", "-csv.zip", "Spreadsheet (CSV) files")


@bp.get("/account/data/export.fhir.json")
@login_required
def export_fhir():
    body = json.dumps(fhir_bundle(_data()), indent=2, ensure_ascii=False)
    return _download(body, "application/fhir+json", "-fhir.json", "FHIR file")


@bp.post("/account/data/import")
@login_required
def import_data():
    form = ImportForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            data = read_export(form.file.data.read())
            result = import_export(db_session(), current_user, data, now)
        except ImportRefused as refused:
            db.session.rollback()
            form.file.errors.append(str(refused))
        else:
            parts = [f"{n} {KIND_NAMES[k]}" for k, n in result.added.items() if n]
            detail = ", ".join(parts) or "nothing new"
            record_access(db_session(), current_user, "import", detail, now)
            db.session.commit()
            flash(
                f"Imported: {detail}." if parts else "Nothing new: you have every record already.",
                "success",
            )
            return redirect(url_for("data.index"))
    summary = deletion_summary(db_session(), current_user)
    return _no_store(
        Response(render_template("data/index.html", form=form, summary=summary), status=400)
    )


@bp.get("/account/access-log")
@login_required
def log():
    entries = access_log(db_session(), current_user)
    return _no_store(
        Response(render_template("data/access_log.html", entries=entries, label=kind_label))
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            gone = delete_account_checked(db_session(), current_user, form.password.data)
        except WrongPassword:
            form.password.errors.append("That is not your password.")
        else:
            logout_user()
            send_deletion_confirmation(
                current_app, name=gone.name, email=gone.email, summary=gone.summary, now=utcnow()
            )
            return _deleted(gone.email)
    summary = deletion_summary(db_session(), current_user)
    status = 400 if form.errors else 200
    return _no_store(
        Response(render_template("data/delete.html", form=form, summary=summary), status=status)
    )


def _deleted(email: str) -> Response:
    """Answered to the deleting POST itself (not after a redirect), so that only the person
    who deleted the account makes the browser forget the site's stored data."""
    response = Response(render_template("data/deleted.html", email=email))
    # Asks the browser to drop this site's cached pages, cookies and stored data (the outbox
    # too); the page's own script clears the outbox where the header is not honoured.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return _no_store(response)
