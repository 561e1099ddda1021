"""The patient invites and removes caregivers; a caregiver accepts and then only reads (and, if
allowed, enters a check-in). Every caregiver page goes through `_access`, which answers 404 to
anyone the patient has not let in, and to anyone removed since."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from ..appointments.services import appointment_lists
from ..bone.services import checklist as bone_checklist
from ..checkin.services import list_checkins
from ..checkin.views import checklist_context, new_checkin_form, save_from_form
from ..extensions import db, db_session
from ..main.services import home_summary
from ..models import APPOINTMENT_KINDS, Caregiver, User, utcnow
from ..sharing.rendering import report_html, report_pdf
from . import care_bp, caregivers_bp
from .forms import ConfirmForm, InviteForm, NotifyForm, PermissionForm
from .mail import send_invitation
from .services import (
    InviteError,
    accept,
    access_for,
    authors,
    caregivers_of,
    find_invitation,
    invite,
    mark_entered_by,
    own_row,
    patients_of,
    record_view,
    remove,
)

NEW_INVITE = "new_caregiver_invite"
REPORT_DAYS = {"14": 14, "30": 30, "90": 90}


def _private(response: Response | str, status: int = 200) -> Response:
    if not isinstance(response, Response):
        response = Response(response, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- the patient's side


@caregivers_bp.route("/caregivers", methods=["GET", "POST"])
@login_required
def index():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            row, token = invite(
                db_session(), current_user, form.email.data, form.can_check_in.data, utcnow()
            )
        except InviteError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            url = url_for("care.accept_invitation", token=token, _external=True)
            sent = send_invitation(current_app, row.email, current_user.name, url, row.can_check_in)
            session[NEW_INVITE] = {"url": url, "email": row.email, "sent": sent}
            return redirect(url_for("caregivers.index"))
    page = render_template(
        "caregivers/index.html",
        form=form,
        rows=caregivers_of(db_session(), current_user),
        new=session.pop(NEW_INVITE, None),
        confirm=ConfirmForm(),
    )
    return _private(page, 400 if form.errors else 200)


@caregivers_bp.post("/caregivers/<int:row_id>/remove")
@login_required
def remove_caregiver(row_id: int):
    row = own_row(db_session(), current_user, row_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        who = row.caregiver.name if row.caregiver else row.email
        remove(db_session(), current_user, row, utcnow())
        db.session.commit()
        flash(f"{who} no longer has access to your diary.", "success")
    return redirect(url_for("caregivers.index"))


@caregivers_bp.post("/caregivers/<int:row_id>/permission")
@login_required
def permission(row_id: int):
    row = own_row(db_session(), current_user, row_id) or abort(404)
    form = PermissionForm()
    if form.validate_on_submit():
        row.can_check_in = form.can_check_in.data
        db.session.commit()
        who = row.caregiver.name if row.caregiver else row.email
        flash(
            f"{who} may enter check-ins for you."
            if row.can_check_in
            else f"{who} can no longer enter check-ins for you.",
            "success",
        )
    return redirect(url_for("caregivers.index"))


# --------------------------------------------------------------------------- the caregiver's side


@care_bp.get("/care")
@login_required
def people():
    return _private(
        render_template("caregivers/people.html", rows=patients_of(db_session(), current_user))
    )


@care_bp.route("/care/accept/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    row = find_invitation(db_session(), token) or abort(404)
    patient = db.session.get(User, row.patient_id) or abort(404)
    form = ConfirmForm()
    error = None
    if current_user.is_authenticated and form.validate_on_submit():
        try:
            accept(db_session(), row, current_user, utcnow())
        except InviteError as refused:
            error = str(refused)
        else:
            db.session.commit()
            flash(f"You now follow {patient.name}'s diary.", "success")
            return redirect(url_for("care.home", patient_id=patient.id))
    page = render_template(
        "caregivers/accept.html", patient=patient, form=form, error=error, row=row
    )
    return _private(page, 400 if error else 200)


def _access(patient_id: int, what: str) -> tuple[Caregiver, User]:
    access = access_for(db_session(), current_user, patient_id) or abort(404)
    patient = db.session.get(User, patient_id) or abort(404)
    if request.method == "GET":
        record_view(db_session(), access, what, utcnow())
        db.session.commit()
    return access, patient


@care_bp.get("/care/<int:patient_id>")
@login_required
def home(patient_id: int):
    access, patient = _access(patient_id, "home")
    page = render_template(
        "caregivers/home.html",
        access=access,
        patient=patient,
        summary=home_summary(db_session(), patient, utcnow()),
        notify=NotifyForm(notify_warnings=access.notify_warnings),
    )
    return _private(page)


@care_bp.get("/care/<int:patient_id>/history")
@login_required
def history(patient_id: int):
    access, patient = _access(patient_id, "history")
    checkins = list_checkins(db_session(), patient)[:60]
    page = render_template(
        "caregivers/history.html",
        access=access,
        patient=patient,
        checkins=checkins,
        authors=authors(db_session(), [c.id for c in checkins]),
    )
    return _private(page)


@care_bp.get("/care/<int:patient_id>/appointments")
@login_required
def appointments(patient_id: int):
    access, patient = _access(patient_id, "appointments")
    lists = appointment_lists(db_session(), patient, utcnow())
    page = render_template(
        "caregivers/appointments.html",
        access=access,
        patient=patient,
        lists=lists,
        kinds=APPOINTMENT_KINDS,
    )
    return _private(page)


@care_bp.get("/care/<int:patient_id>/bone-health")
@login_required
def bone_health(patient_id: int):
    """Issue 12: the patient's bone-health checklist, read-only (only the patient changes it)."""
    access, patient = _access(patient_id, "bone health checklist")
    page = render_template(
        "caregivers/bone_health.html",
        access=access,
        patient=patient,
        checklist=bone_checklist(db_session(), patient, utcnow()),
    )
    return _private(page)


def _report(patient_id: int, *, paper: bool) -> tuple[User, str]:
    _access_row, patient = _access(patient_id, "report (PDF)" if paper else "report")
    days = REPORT_DAYS.get(request.args.get("days", "30"), 30)
    end = patient.today()
    start = end.fromordinal(end.toordinal() - days + 1)
    html = report_html(
        db_session(),
        patient,
        start,
        end,
        paper=paper,
        banner=f"{patient.name}'s report for the last {days} days. You see it as their caregiver.",
        pdf_url=url_for("care.report_pdf_view", patient_id=patient.id, days=days),
        back_url=url_for("care.home", patient_id=patient.id),
    )
    return patient, html


@care_bp.get("/care/<int:patient_id>/report")
@login_required
def report(patient_id: int):
    _patient, html = _report(patient_id, paper=False)
    return _private(html)


@care_bp.get("/care/<int:patient_id>/report.pdf")
@login_required
def report_pdf_view(patient_id: int):
    patient, html = _report(patient_id, paper=True)
    response = Response(report_pdf(html), mimetype="application/pdf")
    name = f"upright-report-{patient.today():%Y-%m-%d}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


@care_bp.route("/care/<int:patient_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(patient_id: int):
    access = access_for(db_session(), current_user, patient_id)
    if access is None or not access.can_check_in:
        abort(404)
    patient = db.session.get(User, patient_id) or abort(404)
    form = new_checkin_form(patient)
    if form.validate_on_submit():
        saved, created = save_from_form(form, patient)
        if created:
            mark_entered_by(db_session(), patient, saved, current_user, utcnow())
        db.session.commit()
        flash(f"The check-in for {patient.name} is saved, marked as entered by you.", "success")
        return redirect(url_for("care.history", patient_id=patient.id))
    page = render_template(
        "caregivers/checkin.html",
        patient=patient,
        form=form,
        **checklist_context(patient),
    )
    return _private(page, 400 if form.errors else 200)


@care_bp.post("/care/<int:patient_id>/notifications")
@login_required
def notifications(patient_id: int):
    access = access_for(db_session(), current_user, patient_id) or abort(404)
    form = NotifyForm()
    if form.validate_on_submit():
        access.notify_warnings = form.notify_warnings.data
        db.session.commit()
        flash(
            "You will be e-mailed about emergency and urgent warning signs."
            if access.notify_warnings
            else "You will not be e-mailed about warning signs.",
            "success",
        )
    return redirect(url_for("care.home", patient_id=patient_id))


@care_bp.app_template_filter("entered_by")
def entered_by(checkin) -> str | None:
    """The caregiver's name on a check-in they entered (for the patient's own history)."""
    return authors(db_session(), [checkin.id]).get(checkin.id)
