from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..data.access import record_access
from ..extensions import db, db_session
from ..learn.services import what_to_expect
from ..models import WARNING_ACTIONS, CheckIn, User, new_uuid, utcnow
from ..records.checkin import CheckInRecord
from ..records.forms import RecordForm, form_data
from ..reminders.doses import record_checkin_doses
from ..reminders.medicines import medicines
from . import bp
from .forms import CheckInForm, WarningActionForm
from .history import FILTERS, build_history
from .services import (
    also_on_text,
    delete_checkin,
    find_checkin,
    latest_today,
    list_checkins,
    record_action,
    save_checkin,
    ticked_signs,
    update_checkin,
    weekly_question_due,
)
from .signs import (
    ALL_SIGNS,
    SIGNS,
    TIER_GUIDANCE,
    TIER_HEADINGS,
    TIER_ORDER,
    Applicability,
    applicability,
    checklist,
    signs_by_tier,
    top_tier,
)


def own_checkin_or_404(uuid: str):
    checkin = find_checkin(db_session(), current_user, uuid)
    if checkin is None:
        abort(404)
    return checkin


def patient_applicability(patient: User) -> Applicability:
    names = [m.name or "" for m in medicines(db_session(), patient)]
    return applicability(patient.profile, names)


def checklist_context(patient: User | None) -> dict:
    """What the warning-sign checklist needs: the signs that can apply to `patient` (all of
    them without one: the offline shell), their tiers and advice, the clinic's number."""
    profile = patient.profile if patient else None
    applies = patient_applicability(patient) if patient else Applicability(everyone=True)
    return {
        "sign_groups": checklist(applies),
        "applies": applies,
        "tier_headings": TIER_HEADINGS,
        "guidance": TIER_GUIDANCE,
        "tier_order": TIER_ORDER,
        "clinic_phone": getattr(profile, "clinic_phone", None),
    }


def render_form(form: RecordForm, patient: User | None = None, **context: object) -> str:
    """The check-in form page; without a patient (the offline shell) it shows no articles and
    every warning sign (there is no profile to leave any out)."""
    profile = patient.profile if patient else None
    signs = checklist_context(patient)
    treatment = getattr(profile, "treatment", None)
    procedure = treatment not in (None, "nonsurgical")
    return render_template(
        "checkin/form.html",
        form=form,
        **signs,
        brace=signs["applies"].brace or signs["applies"].everyone,
        weekly_label="Compared with before your procedure, your back is now:"
        if procedure
        else "Compared with right after your fracture, your back is now:",
        expect_articles=what_to_expect(patient.profile, patient.today()) if patient else None,
        **{"weekly_due": True, "today_checkin": None, **context},
    )


def new_checkin_form(patient: User) -> RecordForm:
    """A new check-in for `patient`'s today, with a fresh client id (the patient's own page and
    a caregiver's page both start from it)."""
    form = CheckInForm(context={"today": patient.today()})
    if not form.is_submitted():
        form.id.data = new_uuid()
        form.date.data = patient.today()
    return form


def save_from_form(form: RecordForm, patient: User) -> tuple[CheckIn, bool]:
    """Saves the validated form's record for `patient`; (checkin, created)."""
    record = form.record
    return save_checkin(
        db_session(),
        patient,
        record.column_values(),
        record.warning_signs,
        now=utcnow(),
        uuid=record.id,
    )


@bp.route("/checkin", methods=["GET", "POST"])
@login_required
def new():
    form = new_checkin_form(current_user)
    if form.validate_on_submit():
        checkin, created = save_from_form(form, current_user)
        if created:  # issue 11: the doses due today, asked on the form
            record_checkin_doses(db_session(), current_user, request.form, utcnow())
        db.session.commit()  # the result page's heading says it is saved: no flash as well
        return redirect(url_for("checkin.done", uuid=checkin.uuid))
    today = current_user.today()
    return render_form(
        form,
        current_user,
        editing=False,
        today_checkin=latest_today(db_session(), current_user, today),
        weekly_due=weekly_question_due(db_session(), current_user, today)
        or bool(form.weekly_change.data),
    )


def render_done(checkin, action_form: WarningActionForm):
    """The result screen: the most urgent tier's guidance first, then what the patient did."""
    codes = [event.sign for event in checkin.warning_events]
    return render_template(
        "checkin/done.html",
        checkin=checkin,
        grouped=signs_by_tier(codes),
        top_tier=top_tier(codes),
        guidance=TIER_GUIDANCE,
        action_form=action_form,
        actions=WARNING_ACTIONS,
        expect_articles=what_to_expect(current_user.profile, current_user.today()),
    )


@bp.get("/checkin/<uuid>/done")
@login_required
def done(uuid: str):
    return render_done(own_checkin_or_404(uuid), WarningActionForm())


@bp.post("/checkin/<uuid>/action")
@login_required
def action(uuid: str):
    checkin = own_checkin_or_404(uuid)
    form = WarningActionForm()
    if form.validate_on_submit():
        record_action(checkin, form.action.data, now=utcnow())
        db.session.commit()
        flash("Thank you. What you did is saved and will be on your report.", "success")
        return redirect(url_for("checkin.done", uuid=uuid))
    return render_done(checkin, form), 422


@bp.route("/checkin/<uuid>/edit", methods=["GET", "POST"])
@login_required
def edit(uuid: str):
    checkin = own_checkin_or_404(uuid)
    stored = CheckInRecord.from_row(checkin, ticked_signs(checkin))
    form = CheckInForm(data=form_data(stored), context={"today": current_user.today()})
    if not form.is_submitted() and stored.worried is None and stored.warning_signs:
        form.worried.data = "yes"  # saved before the screening question existed
    if form.validate_on_submit():
        update_checkin(
            db_session(),
            current_user,
            checkin,
            form.record.column_values(),
            form.record.warning_signs,
            now=utcnow(),
        )
        db.session.commit()
        return redirect(url_for("checkin.done", uuid=uuid))
    return render_form(
        form,
        current_user,
        editing=True,
        checkin=checkin,
        weekly_due=weekly_question_due(db_session(), current_user, checkin.date)
        or checkin.weekly_change is not None
        or bool(form.weekly_change.data),
    )


@bp.route("/checkin/<uuid>/delete", methods=["GET", "POST"])
@login_required
def delete(uuid: str):
    checkin = own_checkin_or_404(uuid)
    if request.method == "POST":
        detail = f"Check-in of {checkin.date.isoformat()}, pain {checkin.pain_avg}"
        delete_checkin(db_session(), checkin, now=utcnow())
        record_access(db_session(), current_user, "record_deleted", detail, utcnow())  # issue 16
        db.session.commit()
        flash("The check-in is deleted.", "success")
        return redirect(url_for("checkin.history"))
    return render_template("checkin/delete.html", checkin=checkin)


@bp.get("/history")
@login_required
def history():
    history = build_history(
        list_checkins(db_session(), current_user),
        current_user,
        utcnow(),
        show=request.args.get("show", "all"),
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "checkin/history.html",
        history=history,
        filters=FILTERS,
        signs=ALL_SIGNS,
        actions=WARNING_ACTIONS,
        also_on_text=also_on_text,
    )


def render_act_now(clinic_phone: str | None, **context: object) -> str:
    return render_template(
        "checkin/act_now.html",
        clinic_phone=clinic_phone,
        sign_groups=signs_by_tier(code for code in SIGNS),
        tier_headings=TIER_HEADINGS,
        guidance=TIER_GUIDANCE,
        **context,
    )


@bp.get("/warning-signs")
def act_now():
    """The header's red button: call buttons first, the three tiers, then the full article.
    Open to everyone; a signed-in patient also gets a button for their clinic."""
    profile = current_user.profile if current_user.is_authenticated else None
    return render_act_now(getattr(profile, "clinic_phone", None))


@bp.get("/offline/shell/warning-signs")
def act_now_shell():
    """The same page with no patient data, kept by the worker for offline use: the default
    emergency number and no clinic."""
    return render_act_now(
        None,
        emergency_number=current_app.config["EMERGENCY_NUMBER"],
        offline_shell="warning-signs",
    )
