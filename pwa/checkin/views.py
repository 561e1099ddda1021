from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..data.access import record_access
from ..extensions import db, db_session
from ..learn.services import what_to_expect
from ..models import User, new_uuid, utcnow
from ..records.checkin import CheckInRecord
from ..records.forms import RecordForm, form_data
from ..reminders.doses import record_checkin_doses
from . import bp
from .forms import CheckInForm, WarningActionForm
from .history import FILTERS, build_history
from .services import (
    delete_checkin,
    find_checkin,
    list_checkins,
    record_action,
    save_checkin,
    ticked_signs,
    update_checkin,
)
from .signs import SIGNS, TIER_GUIDANCE, TIER_HEADINGS, signs_by_tier, top_tier


def own_checkin_or_404(uuid: str):
    checkin = find_checkin(db_session(), current_user, uuid)
    if checkin is None:
        abort(404)
    return checkin


def render_form(form: RecordForm, patient: User | None = None, **context: object) -> str:
    """The check-in form page; without a patient (the offline shell) it shows no articles."""
    return render_template(
        "checkin/form.html",
        form=form,
        sign_groups=signs_by_tier(SIGNS),
        tier_headings=TIER_HEADINGS,
        guidance=TIER_GUIDANCE,
        expect_articles=what_to_expect(patient.profile, patient.today()) if patient else None,
        **context,
    )


@bp.route("/checkin", methods=["GET", "POST"])
@login_required
def new():
    form = CheckInForm(context={"today": current_user.today()})
    if not form.is_submitted():
        form.id.data = new_uuid()
        form.date.data = current_user.today()
    if form.validate_on_submit():
        record = form.record
        checkin, created = save_checkin(
            db_session(),
            current_user,
            record.column_values(),
            record.warning_signs,
            now=utcnow(),
            uuid=record.id,
        )
        if created:  # issue 11: the doses due today, asked on the form
            record_checkin_doses(db_session(), current_user, request.form, utcnow())
        db.session.commit()  # the result page's heading says it is saved: no flash as well
        return redirect(url_for("checkin.done", uuid=checkin.uuid))
    return render_form(form, current_user, editing=False)


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
    return render_form(form, current_user, editing=True, checkin=checkin)


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
    return render_template("checkin/history.html", history=history, filters=FILTERS)
