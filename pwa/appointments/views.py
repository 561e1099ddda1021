"""Appointment pages: list, add, see, change, cancel (asks first) and restore."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..bone.questions import suggested_questions
from ..extensions import db, db_session
from ..models import APPOINTMENT_KINDS, Appointment, utcnow
from . import bp
from .forms import (
    CancelForm,
    EditAppointmentForm,
    NewAppointmentForm,
    RestoreForm,
    SuggestionForm,
    TicksForm,
    VisitNotesForm,
)
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
from .visit import (
    QuestionError,
    add_question,
    dismiss_suggestion,
    save_ticks,
    save_visit_notes,
    visit_has_started,
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
    return _detail_page(_own_or_404(uuid))


def _detail_page(
    appointment: Appointment,
    notes_form: VisitNotesForm | None = None,
    edit_error: tuple[str, str, str] | None = None,  # (key, text typed, message)
    status: int = 200,
):
    """The appointment's page: its facts, the questions (ticked as asked), the suggested
    questions before the visit, and what the doctor said after it."""
    now = utcnow()
    started = visit_has_started(appointment, now)
    if notes_form is None:
        notes_form = VisitNotesForm(visit_notes=appointment.visit_notes)
    page = render_template(
        "appointments/detail.html",
        appointment=appointment,
        restore_form=RestoreForm(),
        suggestions=suggested_questions(db_session(), current_user, appointment, now),
        suggestion_form=SuggestionForm(),
        ticks_form=TicksForm(),
        asked=set(appointment.questions_asked or []),
        notes_form=notes_form if started else None,
        edit_error=edit_error,
    )
    return page, status


@bp.route("/appointments/<uuid>/suggestions", methods=["POST"])
@login_required
def suggestion(uuid: str):
    """Add a suggested question as it is, add it in the patient's own words, or remove it."""
    appointment = _own_or_404(uuid)
    form = SuggestionForm()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in SuggestionForm.ACTIONS:
        abort(400)
    now = utcnow()
    current = {s.key: s for s in suggested_questions(db_session(), current_user, appointment, now)}
    found = current.get(form.key.data or "")
    if found is None:
        flash("That suggestion is no longer on the list. Here is the list as it is now.", "info")
        return redirect(url_for("appointments.detail", uuid=appointment.uuid, _anchor="suggested"))
    if action == "remove":
        dismiss_suggestion(appointment, found.key)
        message = "The suggestion is removed. It will not be suggested again for this visit."
    else:
        text = found.text if action == "add" else form.text.data or ""
        try:
            add_question(db_session(), appointment, text, found.key, now)
        except QuestionError as error:
            db.session.rollback()
            return _detail_page(appointment, edit_error=(found.key, text, str(error)), status=400)
        message = "The question is added to your questions for this visit."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("appointments.detail", uuid=appointment.uuid, _anchor="suggested"))


@bp.route("/appointments/<uuid>/asked", methods=["POST"])
@login_required
def asked(uuid: str):
    """Saves the ticks on the questions; JavaScript sends the same form on every tick."""
    appointment = _own_or_404(uuid)
    if not TicksForm().validate_on_submit():
        abort(400)
    ticked = save_ticks(appointment, request.form.getlist("shown"), request.form.getlist("asked"))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(asked=ticked)
    flash("Your ticks are saved.", "success")
    return redirect(url_for("appointments.detail", uuid=appointment.uuid, _anchor="questions"))


@bp.route("/appointments/<uuid>/visit-notes", methods=["POST"])
@login_required
def visit_notes(uuid: str):
    """What the doctor said, once the visit's time has come."""
    appointment = _own_or_404(uuid)
    if not visit_has_started(appointment, utcnow()):
        flash("You can note what the doctor said once the visit has taken place.", "info")
        return redirect(url_for("appointments.detail", uuid=appointment.uuid))
    form = VisitNotesForm()
    if not form.validate_on_submit():
        return _detail_page(appointment, notes_form=form, status=400)
    save_visit_notes(appointment, form.visit_notes.data or "")
    db.session.commit()
    flash("What the doctor said is saved.", "success")
    return redirect(url_for("appointments.detail", uuid=appointment.uuid, _anchor="visit-notes"))


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
