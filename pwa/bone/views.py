"""The bone-health checklist pages: the list of six steps, and one small page per step."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db, db_session
from ..models import utcnow
from .checklist import ITEMS
from .forms import BoneItemForm, medicine_names
from .services import checklist, find_answer, item_form_data, save_item

bp = Blueprint("bone", __name__)


@bp.get("/bone-health")
@login_required
def index():
    return render_template(
        "bone/index.html", checklist=checklist(db_session(), current_user, utcnow())
    )


@bp.route("/bone-health/<code>", methods=["GET", "POST"])
@login_required
def item(code: str):
    if code not in ITEMS:
        abort(404)
    now = utcnow()
    answer = find_answer(db_session(), current_user, code)
    # A post is judged on what was sent alone (a field left out is blank, not the old answer).
    form = BoneItemForm(
        data=item_form_data(answer) if answer and request.method != "POST" else None,
        item=code,
        context={"today": current_user.today(now)},
    )
    if form.validate_on_submit():
        save_item(db_session(), current_user, code, form.record.model_dump(), now)
        db.session.commit()
        flash(f"Saved: {ITEMS[code].label}.", "success")
        return redirect(url_for(".index", _anchor=f"item-{code}"))
    return render_template(
        "bone/item.html",
        form=form,
        item=ITEMS[code],
        checklist=checklist(db_session(), current_user, now),
        medicine_names=medicine_names() if code == "medicine" else [],
    )
