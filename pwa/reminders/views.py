"""Reminder pages: settings, medicines, the links in notifications and e-mails, push
subscriptions and the calendar files. Thin: form, service, flash, redirect."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ..bone.drugs import known_names, of, table_json
from ..bone.late import SIGN as LATE_SIGN
from ..bone.late import answered, find_open_event, margin_words, open_late
from ..bone.nudges import bone_reminder
from ..checkin.signs import ALL_SIGNS
from ..deployment import vapid_key
from ..extensions import csrf, db, db_session
from ..models import WARNING_ACTIONS, Reminder, ReminderSettings, utcnow
from ..records.types import canonical_uuid
from ..validators import utc_moment
from . import bp
from .calendar import appointments_ics, feed_ics, new_feed_token, patient_for_feed, revoke_feed
from .channels import application_server_key
from .doses import recent_doses
from .doses import todays_doses as todays_doses_of
from .followups import follow_up_lines
from .forms import ConfirmForm, DoseForm, MedicineForm, SettingsForm
from .schedules import quiet_clashes
from .services import (
    InvalidSubscription,
    SubscriptionTaken,
    checkin_reminder,
    clock_words,
    delete_subscription,
    delivery_for_token,
    describe_schedule,
    ensure_defaults,
    find_dose_reminder,
    find_medicine,
    follow_medicine,
    has_push,
    is_scheduled_occurrence,
    medicine_form_data,
    medicines,
    record_dose,
    recorded_dose,
    reminder_for_off_token,
    reminder_title,
    remove_medicine,
    save_medicine,
    save_settings,
    save_subscription,
    settings_form_data,
    snooze,
    turn_off,
)


@bp.app_template_global()
def todays_doses() -> list:
    """Today's due doses with their answers (templates/_partials/home_doses.html)."""
    if not current_user.is_authenticated:
        return []
    return todays_doses_of(db_session(), current_user, utcnow())


@bp.app_template_test("in_today_doses")
def in_today_doses(item, dose_times: list) -> bool:
    """A home reminder for a dose that today's medicines list already shows."""
    return item.kind == "medicine" and item.at in dose_times


@bp.app_template_global()
def describe_medicine(reminder) -> str:
    return describe_schedule(reminder)


@bp.app_template_global()
def medicine_notes(reminder: Reminder) -> list[str]:
    """Issue 12: a known bone medicine's note and the reminders that come with it."""
    drug = of(reminder.drug)
    lines = [drug.note] if drug is not None and drug.note else []
    return lines + medicine_follow_ups(reminder)


def medicine_follow_ups(reminder: Reminder) -> list[str]:
    """The reminders that come with a medicine, and when a dose of it counts as late."""
    lines = follow_up_lines(db_session(), reminder, current_user.zone)
    late = margin_words(reminder) if reminder.enabled else None
    return [*lines, late] if late else lines


@bp.app_template_global()
def late_medicines() -> dict:
    """Issue 12: the patient's open `medicine_late` signs for the home screen."""
    items = open_late(db_session(), current_user) if current_user.is_authenticated else []
    return {"items": items, "actions": WARNING_ACTIONS, "label": ALL_SIGNS[LATE_SIGN].label}


@bp.post("/reminders/late/<int:event_id>/action")
@login_required
def late_action(event_id: int):
    """What the patient did about a late bone medicine dose (the home screen's form)."""
    event = find_open_event(db_session(), current_user, event_id) or abort(404)
    action = request.form.get("action", "")
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if action not in WARNING_ACTIONS:
        flash("Please choose what you did, or 'Nothing yet'.", "error")
        return redirect(url_for("main.index") + f"#late-{event.id}-title")
    answered([event], action, utcnow())
    db.session.commit()
    flash(f"Saved: {WARNING_ACTIONS[action].lower()}.", "success")
    return redirect(url_for("main.index"))


# --- Settings ----------------------------------------------------------------------------------


@bp.route("/reminders", methods=["GET", "POST"])
@login_required
def index():
    now = utcnow()
    settings = ensure_defaults(db_session(), current_user, now)
    checkin = checkin_reminder(db_session(), current_user)
    nudges = bone_reminder(db_session(), current_user.id)  # issue 12
    form = SettingsForm(
        data={**settings_form_data(settings, checkin), "bone_enabled": not nudges or nudges.enabled}
    )
    if form.validate_on_submit():
        save_settings(db_session(), current_user, settings, form.data, now)
        db.session.commit()
        flash("Your reminder settings are saved.", "success")
        return redirect(url_for(".index"))
    db.session.commit()  # defaults made just now for an account older than reminders
    return render_template(
        "reminders/index.html",
        form=form,
        settings=settings,
        medicines=medicines(db_session(), current_user),
        recent_doses=recent_doses(db_session(), current_user, now),
        has_push=has_push(db_session(), current_user),
        feed_url=_feed_url(settings.calendar_token),
        link_form=ConfirmForm(),
    )


def _feed_url(token: str | None) -> str | None:
    return url_for(".feed", token=token, _external=True) if token else None


# --- Medicines ---------------------------------------------------------------------------------


@bp.route("/reminders/medicines/new", methods=["GET", "POST"])
@login_required
def medicine_new():
    form = MedicineForm()
    if not form.is_submitted():
        form.start_date.data = current_user.today()
        form.frequency.data = None  # unchosen: a known bone medicine brings its own (issue 12)
    if form.validate_on_submit():
        now = utcnow()
        settings = ensure_defaults(db_session(), current_user, now)
        save_medicine(db_session(), current_user, None, form.values(), settings, now)
        db.session.commit()
        flash(f"The reminder for {form.name.data.strip()} is saved.", "success")
        flash_quiet_clash(form, settings)
        return redirect(url_for(".index"))
    return render_medicine_form(form, None)


@bp.route("/reminders/medicines/<int:reminder_id>", methods=["GET", "POST"])
@login_required
def medicine_edit(reminder_id: int):
    reminder = find_medicine(db_session(), current_user, reminder_id) or abort(404)
    form = MedicineForm(data=medicine_form_data(reminder))
    if form.validate_on_submit():
        now = utcnow()
        settings = ensure_defaults(db_session(), current_user, now)
        save_medicine(db_session(), current_user, reminder, form.values(), settings, now)
        db.session.commit()
        flash(f"The reminder for {reminder.name} is saved.", "success")
        flash_quiet_clash(form, settings)
        return redirect(url_for(".index"))
    return render_medicine_form(form, reminder)


def render_medicine_form(form: MedicineForm, reminder: Reminder | None) -> str:
    """The medicine form, with the patient's quiet hours said next to the times (issue 17)."""
    settings = ensure_defaults(db_session(), current_user, utcnow())
    quiet = settings if settings.quiet_enabled else None
    clashes = quiet_clashes(form_times(form), settings.quiet_start, settings.quiet_end)
    return render_template(
        "reminders/medicine.html",
        form=form,
        reminder=reminder,
        quiet=quiet,
        clashes=clashes if quiet else [],
        clock_words=clock_words,
        drug=form.drug,
        known_names=known_names(),
        drug_table=table_json(),
        follow_up_lines=medicine_follow_ups(reminder) if reminder else [],
    )


def form_times(form: MedicineForm) -> list:
    """The clock times typed in the form's time boxes (a box left empty or wrong is skipped)."""
    return [form[name].data for name in form.TIME_FIELDS if form[name].data is not None]


def flash_quiet_clash(form: MedicineForm, settings: ReminderSettings) -> None:
    """Says so when a saved time is inside quiet hours, rather than moving it silently."""
    if not settings.quiet_enabled:
        return
    for at in quiet_clashes(form_times(form), settings.quiet_start, settings.quiet_end):
        flash(
            f"{clock_words(at)} is in your quiet hours ({clock_words(settings.quiet_start)} to "
            f"{clock_words(settings.quiet_end)}), so this reminder will come at "
            f"{clock_words(settings.quiet_end)} instead. Change the time, or your quiet hours, "
            "if that does not suit you.",
            "info",
        )


@bp.route("/reminders/medicines/<int:reminder_id>/remove", methods=["GET", "POST"])
@login_required
def medicine_remove(reminder_id: int):
    reminder = find_medicine(db_session(), current_user, reminder_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        remove_medicine(db_session(), current_user, reminder, utcnow())
        db.session.commit()
        flash(f"The reminder for {reminder.name} is removed.", "success")
        if reminder.drug == "denosumab":  # issue 12: never stopped without a plan
            flash(
                "If you are stopping denosumab, talk to your doctor about what comes next. "
                "Upright will remind you again about 6 months after your last dose.",
                "info",
            )
        return redirect(url_for(".index"))
    return render_template("reminders/medicine_remove.html", form=form, reminder=reminder)


@bp.post("/reminders/medicines/<int:reminder_id>/dose")
@login_required
def medicine_dose(reminder_id: int):
    """ "Taken" (or "Not taken") from the home screen."""
    reminder = find_dose_reminder(db_session(), current_user, reminder_id) or abort(404)
    form = DoseForm()
    occurrence = utc_moment(form.occurrence.data)
    if (
        not form.validate_on_submit()
        or occurrence is None
        or not is_scheduled_occurrence(reminder, current_user.zone, occurrence)
    ):
        flash("That reminder could not be found. Please try again.", "error")
        return redirect(url_for("main.index"))
    dose = record_dose(db_session(), reminder, occurrence, form.status.data, "app", utcnow())
    dose.uuid = dose.uuid or canonical_uuid(form.id.data)  # the same answer sent offline later
    db.session.commit()
    taken = form.status.data == "taken"
    flash(f"{reminder.name}: {'marked as taken' if taken else 'marked as not taken'}.", "success")
    return redirect(url_for("main.index"))


# --- Links in notifications and e-mails (a signed token instead of a session) -------------------


@bp.get("/reminders/act/<token>")
def act_page(token: str):
    secret = current_app.config["SECRET_KEY"]
    delivery = delivery_for_token(db_session(), secret, token) or abort(404)
    reminder = delivery.reminder
    return render_template(
        "reminders/act.html",
        token=token,
        reminder=reminder,
        title=reminder_title(reminder, reminder.user.zone, utcnow()),
        occurrence=delivery.occurrence_at,
        zone=reminder.user.timezone,
        dose=recorded_dose(db_session(), delivery.reminder_id, delivery.occurrence_at),
    )


@bp.post("/reminders/act/<token>/<action>")
@csrf.exempt  # the signed, per-delivery token is the credential; the service worker has no form
def act(token: str, action: str):
    secret = current_app.config["SECRET_KEY"]
    delivery = delivery_for_token(db_session(), secret, token) or abort(404)
    reminder = delivery.reminder
    now = utcnow()
    if action == "taken" and reminder.kind == "medicine":
        source = "push" if delivery.channel == "push" else "email"
        record_dose(db_session(), reminder, delivery.occurrence_at, "taken", source, now)
        message = f"{reminder.name}: marked as taken. Thank you."
    elif action == "snooze":
        snooze(delivery, now)
        message = "We will remind you again in one hour."
    else:
        abort(404)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"status": action, "message": message})
    if action != "taken":  # the page itself says "Marked as taken": not twice
        flash(message, "success")
    return redirect(url_for(".act_page", token=token))


@bp.route("/reminders/off/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail program posts with no form; the token authorises
def turn_off_link(token: str):
    """The e-mail's "turn this reminder off" link: a page with one button (a GET changes
    nothing, so link scanners in mail systems cannot switch reminders off)."""
    secret = current_app.config["SECRET_KEY"]
    reminder = reminder_for_off_token(db_session(), secret, token) or abort(404)
    title = reminder_title(reminder, reminder.user.zone, utcnow())
    if request.method == "POST":
        turn_off(reminder)
        if reminder.kind == "medicine":  # issue 12: its own reminders follow it
            follow_medicine(db_session(), reminder.user, reminder, utcnow())
        db.session.commit()
        return render_template("reminders/off.html", done=True, reminder=reminder, title=title)
    return render_template("reminders/off.html", done=False, reminder=reminder, title=title)


# --- Web Push subscriptions (JSON, for static/js/push.js) ---------------------------------------


def _json_error(status: int, error: str, message: str):
    response = jsonify({"error": error, "message": message})
    response.status_code = status
    return response


def _vapid():
    vapid = current_app.extensions.get("reminders_vapid")
    if vapid is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's app
        vapid = current_app.extensions["reminders_vapid"] = vapid_key(app)
    return vapid


@bp.get("/reminders/push/key")
def push_key():
    if not current_user.is_authenticated:
        return _json_error(401, "not_signed_in", "Please sign in again.")
    return jsonify({"publicKey": application_server_key(_vapid())})


@bp.post("/reminders/push/subscribe")
def push_subscribe():
    if not current_user.is_authenticated:
        return _json_error(401, "not_signed_in", "Please sign in again.")
    allow_any = bool(current_app.config.get("PUSH_ALLOW_ANY_HOST"))
    try:
        save_subscription(
            db_session(), current_user, request.get_json(silent=True), utcnow(), allow_any
        )
    except SubscriptionTaken as error:
        return _json_error(409, "subscription_taken", str(error))
    except InvalidSubscription as error:
        return _json_error(422, "invalid_subscription", str(error))
    db.session.commit()
    return jsonify({"status": "subscribed"}), 201


@bp.post("/reminders/push/unsubscribe")
def push_unsubscribe():
    if not current_user.is_authenticated:
        return _json_error(401, "not_signed_in", "Please sign in again.")
    data = request.get_json(silent=True) or {}
    removed = delete_subscription(db_session(), current_user, data.get("endpoint"))
    db.session.commit()
    return jsonify({"status": "unsubscribed" if removed else "unknown"})


# --- Calendars ---------------------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/appointments.ics")
@login_required
def appointments_calendar():
    return _ics(appointments_ics(db_session(), current_user, utcnow()), "upright-appointments.ics")


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The private subscription link: no sign-in (calendar apps cannot), the token decides."""
    patient = patient_for_feed(db_session(), token) or abort(404)
    return _ics(feed_ics(db_session(), patient, utcnow()), "upright-reminders.ics")


@bp.post("/reminders/calendar/link")
@login_required
def calendar_link():
    if ConfirmForm().validate_on_submit():
        settings = ensure_defaults(db_session(), current_user, utcnow())
        had_link = settings.calendar_token is not None
        new_feed_token(settings)
        db.session.commit()
        flash(
            "Here is your new private calendar link. The old link no longer works."
            if had_link
            else "Here is your private calendar link.",
            "success",
        )
    return redirect(url_for(".index", _anchor="calendar"))


@bp.post("/reminders/calendar/link/off")
@login_required
def calendar_link_off():
    if ConfirmForm().validate_on_submit():
        revoke_feed(ensure_defaults(db_session(), current_user, utcnow()))
        db.session.commit()
        flash("Your private calendar link is turned off.", "success")
    return redirect(url_for(".index", _anchor="calendar"))
