"""Appointment pages: list, add, see, change, cancel (asks first) and restore."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db, db_session
from ..models import APPOINTMENT_KINDS, Appointment, utcnow
from . import bp
from .forms import CancelForm, EditAppointmentForm, NewAppointmentForm, RestoreForm
from .services import (
    StaleVersion,
    appointment_input,
    appointment_lists,
    cancel_appointment,
    create_appointment,
    find_appointment,
    follow_up_suggestions,
    parse_date,
    restore_appointment,
    update_appointment,
)

STALE_MESSAGE = (
    "This appointment was changed on another device while you were typing. What is saved now "
    "is shown below; your own changes are still in the form. Save again to keep yours."
)


@bp.context_processor
def kinds() -> dict:
    return {"appointment_kinds": APPOINTMENT_KINDS}


def _own_or_404(uuid: str) -> Appointment:
    appointment = find_appointment(db_session(), current_user, uuid)
    if appointment is None:
        abort(404)
    return appointment


def _form_kwargs() -> dict:
    return {"zone": current_user.timezone, "today": current_user.today()}


@bp.route("/appointments")
@login_required
def index():
    now = utcnow()
    lists = appointment_lists(db_session(), current_user, now)
    suggestions = follow_up_suggestions(db_session(), current_user, now, lists.upcoming)
    return render_template("appointments/index.html", lists=lists, suggestions=suggestions)


def _prefill(args) -> dict:
    """A suggested follow-up links here with its kind and date filled in."""
    day = parse_date(args.get("date", ""))
    kind = args.get("kind")
    return {
        "date": day.isoformat() if day else None,
        "kind": kind if kind in APPOINTMENT_KINDS else None,
    }


@bp.route("/appointments/new", methods=["GET", "POST"])
@login_required
def new():
    form = NewAppointmentForm(data=_prefill(request.args), **_form_kwargs())
    if form.validate_on_submit():
        appointment, created = create_appointment(
            db_session(), current_user, form.id.data, form.values
        )
        db.session.commit()
        flash(
            "Your appointment is saved." if created else "This appointment was already saved.",
            "success",
        )
        return redirect(url_for("appointments.detail", uuid=appointment.uuid))
    return render_template("appointments/form.html", form=form, appointment=None)


@bp.route("/appointments/<uuid>")
@login_required
def detail(uuid: str):
    appointment = _own_or_404(uuid)
    return render_template(
        "appointments/detail.html", appointment=appointment, restore_form=RestoreForm()
    )


@bp.route("/appointments/<uuid>/edit", methods=["GET", "POST"])
@login_required
def edit(uuid: str):
    appointment = _own_or_404(uuid)
    saved = appointment_input(appointment, current_user.timezone)
    data = {**saved, "questions": "\n".join(saved["questions"]), "version": appointment.version}
    form = EditAppointmentForm(data=data, **_form_kwargs())
    stale = False
    if form.validate_on_submit() and form.version_number is not None:
        try:
            update_appointment(
                db_session(), appointment, form.values, form.version_number, utcnow()
            )
        except StaleVersion as error:
            stale = True
            form.version.data = str(error.current.version)
            form.form_errors.append(STALE_MESSAGE)
        else:
            db.session.commit()
            flash("Your changes are saved.", "success")
            return redirect(url_for("appointments.detail", uuid=appointment.uuid))
    return render_template(
        "appointments/form.html", form=form, appointment=appointment, stale=stale
    )


@bp.route("/appointments/<uuid>/cancel", methods=["GET", "POST"])
@login_required
def cancel(uuid: str):
    appointment = _own_or_404(uuid)
    form = CancelForm()
    if form.validate_on_submit():
        cancel_appointment(db_session(), appointment, utcnow())
        db.session.commit()
        flash("The appointment is cancelled. It stays in your list, marked cancelled.", "success")
        return redirect(url_for("appointments.detail", uuid=appointment.uuid))
    if appointment.cancelled:
        return redirect(url_for("appointments.detail", uuid=appointment.uuid))
    return render_template("appointments/cancel.html", appointment=appointment, form=form)


@bp.route("/appointments/<uuid>/restore", methods=["POST"])
@login_required
def restore(uuid: str):
    appointment = _own_or_404(uuid)
    if RestoreForm().validate_on_submit():
        restore_appointment(db_session(), appointment, utcnow())
        db.session.commit()
        flash("The appointment is back in your list.", "success")
    return redirect(url_for("appointments.detail", uuid=appointment.uuid))
