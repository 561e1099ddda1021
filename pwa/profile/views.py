from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth.views import signed_in_devices
from ..bone.height_services import sync_height_loss
from ..bone.services import after_profile_saved
from ..extensions import db, db_session
from ..models import utcnow
from ..timezones import common_zone_choices, zone_choices
from . import bp
from .forms import AccountForm, ProfileForm
from .services import profile_form_data, save_profile


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit():
    form = ProfileForm(data=profile_form_data(current_user.profile))
    if form.validate_on_submit():
        save_profile(current_user, form.data)
        # Issue 12: the checklist and the height rule follow the profile.
        after_profile_saved(db_session(), current_user, utcnow())
        sync_height_loss(db_session(), current_user, utcnow())
        db.session.commit()
        flash("Your recovery details are saved.", "success")
        return redirect(url_for("main.index"))
    return render_template("profile/edit.html", form=form, welcome=request.args.get("welcome"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        form.populate_obj(current_user)
        db.session.commit()
        flash("Your settings are saved.", "success")
        return redirect(url_for("profile.account"))
    return render_template(
        "profile/account.html",
        form=form,
        zones=zone_choices(),
        common_zones=common_zone_choices(),
        devices=signed_in_devices(),
    )
