from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..data.access import record_access
from ..extensions import db, db_session, login_manager
from ..models import User, utcnow
from ..timezones import common_zone_choices, zone_choices
from . import bp
from .devices import describe_agent, end_all, end_device, list_devices
from .emails import send_reset, send_someone_registered, send_verification
from .forms import ForgotForm, LoginForm, PasswordForm, RegisterForm, ResetForm
from .limits import check_limit
from .links import RESET, VERIFY, read_token
from .services import (
    EmailTaken,
    Throttled,
    ThrottlePolicy,
    authenticate,
    change_password,
    create_user,
    find_user_by_email,
    set_password,
)
from .web import current_device, keep_this_device_after_password_change, policy, sign_in, sign_out

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        from ..errors import json_error

        return json_error(401, "not_signed_in", message="Please sign in again.")
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after sign-in, never another host.

    A backslash or a control character (a line break would split the Location header;
    browsers read "/\\host" as "//host") means it is not a plain path: not followed.
    """
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def client_ip() -> str:
    return request.remote_addr or "unknown"


def limit(*checks: tuple[str, str]) -> None:
    """Counts this request against each (limit name, client value); raises Throttled."""
    for name, value in checks:
        check_limit(db.session, current_app.config, name, value, now=utcnow())


def wait_message(wait: Throttled) -> str:
    minutes = max(1, round(wait.retry_after / 60))
    return (
        f"Too many tries. Please wait {minutes} minute{'s' if minutes > 1 else ''} and try again."
    )


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if not form.is_submitted():
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        try:
            limit(("register-ip", client_ip()), ("register-email", form.email.data))
            user = create_user(
                db_session(),
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                timezone=form.timezone.data,
                emergency_number=current_app.config["EMERGENCY_NUMBER"],
            )
        except Throttled as wait:
            form.form_errors.append(wait_message(wait))
        except EmailTaken:
            owner = find_user_by_email(db.session, form.email.data)
            if owner is not None:
                send_someone_registered(owner)
            form.email.errors.append(
                "There is already an account with this e-mail address, and we have told its "
                "owner by e-mail. Try signing in, or choose a new password with "
                "'Forgot your password?'."
            )
        else:
            db.session.commit()
            send_verification(user)
            sign_in(user, remember=True)
            flash("Welcome to Upright. Tell us a little about your back first.", "success")
            return redirect(url_for("profile.edit", welcome=1))
    return render_template(
        "auth/register.html", form=form, zones=zone_choices(), common_zones=common_zone_choices()
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        policy = ThrottlePolicy.from_config(current_app.config)
        try:
            limit(("login-ip", client_ip()))
            user = authenticate(
                db_session(), form.email.data, form.password.data, now=utcnow(), policy=policy
            )
        except Throttled as wait:
            form.form_errors.append(wait_message(wait))
        else:
            if user is None:
                form.form_errors.append("The e-mail address or the password is not right.")
            else:
                sign_in(user, remember=form.remember.data)
                agent = describe_agent(request.headers.get("User-Agent", ""))
                record_access(db_session(), user, "sign_in", agent, utcnow())
                db.session.commit()
                return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("auth/logout.html")
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login", signed_out=1))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm(account=current_user)
    if form.validate_on_submit():
        if change_password(current_user, form.current.data, form.new.data):
            end_all(db_session(), current_user, keep=current_device())
            keep_this_device_after_password_change(current_device())
            record_access(db_session(), current_user, "password_changed", None, utcnow())
            db.session.commit()
            flash("Your password is changed. Every other device is signed out.", "success")
            return redirect(url_for("profile.account"))
        form.current.errors.append("That is not your current password.")
    return render_template("auth/password.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """The same answer for every address: whether it has an account is not told here."""
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            limit(("reset-ip", client_ip()), ("reset-email", form.email.data))
        except Throttled as wait:
            form.form_errors.append(wait_message(wait))
        else:
            user = find_user_by_email(db.session, form.email.data)
            if user is not None:
                send_reset(user)
            return redirect(url_for("auth.forgot_password", sent=1))
    return render_template("auth/forgot.html", form=form, sent=request.args.get("sent"))


def _link_user(purpose: str, max_age: int) -> tuple[str | None, User | None]:
    token = request.args.get("token")
    return token, read_token(
        db.session, current_app.config["SECRET_KEY"], token, purpose, max_age=max_age
    )


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    """A reset link: choose a new password; every session and link of the account ends."""
    token, user = _link_user(RESET, current_app.config["RESET_LINK_MINUTES"] * 60)
    if user is None:
        return render_template("auth/link_spent.html", purpose="reset"), 410
    form = ResetForm(account=user)
    if form.validate_on_submit():
        set_password(user, form.new.data)
        user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the inbox
        end_all(db_session(), user)
        record_access(db_session(), user, "password_changed", "with a reset link", utcnow())
        db.session.commit()
        sign_out()
        flash(
            "Your new password is saved and you are signed out everywhere. Please sign in.",
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, token=token)


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email():
    """A link scanner's GET changes nothing; the patient's button press confirms."""
    token, user = _link_user(VERIFY, current_app.config["VERIFY_LINK_HOURS"] * 3600)
    if user is None:
        return render_template("auth/link_spent.html", purpose="verify"), 410
    if request.method == "POST":
        user.email_verified_at = utcnow()
        db.session.commit()
        return render_template("auth/verify.html", done=True, token=token)
    return render_template("auth/verify.html", done=False, token=token)


@bp.post("/account/verify-email/send")
@login_required
def send_verification_again():
    try:
        limit(("verify-user", str(current_user.id)))
    except Throttled as wait:
        flash(wait_message(wait), "error")
    else:
        if not current_user.email_verified:
            send_verification(current_user)
            flash(f"We have sent a new link to {current_user.email}.", "success")
    return redirect(url_for("profile.account", _anchor="email"))


@bp.post("/account/devices/<int:device_id>/sign-out")
@login_required
def sign_out_device(device_id: int):
    this = current_device()
    if this is not None and this.id == device_id:
        return logout()
    if not end_device(db.session, current_user, device_id):
        abort(404)
    db.session.commit()
    flash("That device is signed out.", "success")
    return redirect(url_for("profile.account", _anchor="devices"))


@bp.post("/account/devices/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    end_all(db.session, current_user)
    db.session.commit()
    sign_out()
    flash("You are signed out on every device, this one too.", "info")
    return redirect(url_for("auth.login", signed_out=1))


def signed_in_devices() -> list:
    """For the account page: (device, is this one) for each signed-in device."""
    this = current_device()
    devices = list_devices(db.session, current_user, now=utcnow(), policy=policy())
    return [(device, this is not None and device.id == this.id) for device in devices]
