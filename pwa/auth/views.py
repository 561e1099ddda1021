from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, login_manager
from ..models import User, utcnow
from ..timezones import common_zone_choices, zone_choices
from . import bp
from .forms import LoginForm, PasswordForm, RegisterForm
from .services import (
    EmailTaken,
    Throttled,
    ThrottlePolicy,
    authenticate,
    change_password,
    create_user,
)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        from ..errors import json_error

        return json_error(401, "not_signed_in", message="Please sign in again.")
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after sign-in, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if not form.is_submitted():
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                timezone=form.timezone.data,
                emergency_number=current_app.config["EMERGENCY_NUMBER"],
            )
        except EmailTaken:
            form.email.errors.append(
                "There is already an account with this e-mail address. Try signing in."
            )
        else:
            db.session.commit()
            login_user(user, remember=True)
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
            user = authenticate(
                db.session, form.email.data, form.password.data, now=utcnow(), policy=policy
            )
        except Throttled as wait:
            minutes = max(1, round(wait.retry_after / 60))
            form.form_errors.append(
                f"Too many tries. Please wait {minutes} minute{'s' if minutes > 1 else ''} "
                "and try again."
            )
        else:
            if user is None:
                form.form_errors.append("The e-mail address or the password is not right.")
            else:
                login_user(user, remember=form.remember.data)
                return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("auth/logout.html")
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login", signed_out=1))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if change_password(current_user, form.current.data, form.new.data):
            db.session.commit()
            flash("Your password is changed.", "success")
            return redirect(url_for("profile.account"))
        form.current.errors.append("That is not your current password.")
    return render_template("auth/password.html", form=form)
