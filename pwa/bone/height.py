"""The height pages (`/height`): add a measurement, see the list with its changes, correct or
delete a mistaken one, and the tallest height remembered. The decisions are in
height_services.py; these views only read forms, call it and redirect.

A plain server-side form, not an offline outbox record: a height is measured a few times a year
(mostly at a clinic), while an outbox kind costs an API route, a sync kind and an offline shell.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..checkin.forms import WarningActionForm
from ..checkin.signs import ALL_SIGNS, TIER_GUIDANCE
from ..data.access import record_access
from ..extensions import db, db_session
from ..models import HEIGHT_PLACES, WARNING_ACTIONS, HeightMeasurement, new_uuid, utcnow
from ..records.types import DATE_MESSAGE, canonical_uuid
from ..validators import NotInFuture, WithinDateBounds
from .height_services import (
    SIGN,
    HeightError,
    HeightValues,
    add_height,
    change_text,
    delete_height,
    events_of,
    feet_and_inches,
    find_height,
    form_text,
    format_height,
    height_rows,
    home_note,
    list_heights,
    parse_height,
    record_height_action,
    set_tallest_height,
    update_height,
)

bp = Blueprint("height", __name__)

PLACE_CHOICES = [
    ("clinic", "At a clinic or surgery, on a measuring stand"),
    ("home", "At home"),
]
METHOD_MESSAGE = (
    "Please say how you measured it, for example: against a wall, barefoot, with a book on my head."
)


# --------------------------------------------------------------------------- forms


class HeightField(StringField):
    """A height typed in centimetres or feet and inches; `data` is whole millimetres. What was
    typed stays in the box when it cannot be read, with the reason next to it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]) if valuelist else ""
        if text.strip():
            try:
                self.data = parse_height(text)
            except HeightError as error:
                raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return form_text(self.data)


class PlainDateField(DateField):
    """A date whose "not a date" message says what to type."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(DATE_MESSAGE) from None


def height_field(label: str, required: bool, description: str = "") -> HeightField:
    validators = [InputRequired("Please enter the height.")] if required else [Optional()]
    return HeightField(
        label,
        validators,
        description=description
        or "In centimetres, for example 162 or 162.5, or in feet and inches, for example 5'4\".",
        render_kw={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"},
    )


class HeightForm(FlaskForm):
    id = HiddenField()  # the client's id: a double tap on "Save" saves one measurement
    measured_on = PlainDateField(
        "When was it measured?",
        [InputRequired("Please enter the date it was measured."), NotInFuture(),
         WithinDateBounds()],
    )  # fmt: skip
    height = height_field("Your height", required=True)
    place = RadioField(
        "Where was it measured?",
        [InputRequired("Please choose where it was measured.")],
        choices=PLACE_CHOICES,
        description="A clinic's measuring stand is the most exact. Only clinic measurements "
        "are compared for height loss.",
    )
    method = StringField(
        "At home: how did you measure it?",
        [Length(max=200, message="Please keep this to 200 characters or fewer.")],
        description="For example: against a wall, barefoot, with a book on my head.",
    )

    def validate_method(self, field: StringField) -> None:
        if self.place.data == "home" and not (field.data or "").strip():
            raise ValidationError(METHOD_MESSAGE)

    @property
    def values(self) -> HeightValues:
        """The answers, once `validate_on_submit()` has passed."""
        height = self.height.data
        assert height is not None  # InputRequired and the parser saw to it
        method = (self.method.data or "").strip() or None
        return HeightValues(self.measured_on.data, height, self.place.data, method)


class TallestForm(FlaskForm):
    tallest = height_field(
        "Your tallest height as an adult",
        required=False,
        description="As you remember it, for example from a passport, a driving licence or an "
        "old medical record. In centimetres (for example 165) or feet and inches (5'5\"). "
        "Leave it empty if you do not know.",
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a "Yes, delete it" button."""


# --------------------------------------------------------------------------- views


def _own_or_404(uuid: str) -> HeightMeasurement:
    measurement = find_height(db_session(), current_user, uuid)
    if measurement is None:
        abort(404)
    return measurement


def _tallest_mm() -> int | None:
    profile = current_user.profile
    return profile.tallest_height_mm if profile else None


@bp.app_template_global()
def height_text(mm: int) -> str:
    """ "162.5 cm (5 ft 4 in)" for the pages."""
    return f"{format_height(mm)} ({feet_and_inches(mm)})"


@bp.get("/height")
@login_required
def index() -> str:
    measurements = list_heights(db_session(), current_user)
    tallest = _tallest_mm()
    return render_template(
        "height/index.html",
        rows=height_rows(measurements, tallest),
        tallest=tallest,
        note=home_note(measurements, tallest),
        places=HEIGHT_PLACES,
        change_text=change_text,
    )


@bp.route("/height/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    form = HeightForm()
    if not form.is_submitted():
        form.id.data = new_uuid()
        form.measured_on.data = current_user.today()
    if form.validate_on_submit():
        measurement, _ = add_height(
            db_session(), current_user, form.values, utcnow(), uuid=canonical_uuid(form.id.data)
        )
        db.session.commit()
        return redirect(url_for("height.saved", uuid=measurement.uuid))
    return render_template("height/form.html", form=form, measurement=None)


@bp.get("/height/<uuid>/saved")
@login_required
def saved(uuid: str) -> str:
    return _render_saved(_own_or_404(uuid), WarningActionForm())


def _render_saved(measurement: HeightMeasurement, action_form: WarningActionForm) -> str:
    """The result screen: the sign with its advice when the measurement raised it."""
    measurements = list_heights(db_session(), current_user)
    tallest = _tallest_mm()
    row = next(r for r in height_rows(measurements, tallest) if r.measurement is measurement)
    return render_template(
        "height/saved.html",
        measurement=measurement,
        row=row,
        tallest=tallest,
        events=events_of(db_session(), current_user, measurement),
        sign=ALL_SIGNS[SIGN],
        guidance=TIER_GUIDANCE,
        note=home_note(measurements, tallest) if measurement is measurements[-1] else None,
        action_form=action_form,
        actions=WARNING_ACTIONS,
        change_text=change_text,
    )


@bp.post("/height/<uuid>/action")
@login_required
def action(uuid: str) -> str | Response | tuple[str, int]:
    measurement = _own_or_404(uuid)
    form = WarningActionForm()
    if form.validate_on_submit():
        if record_height_action(
            db_session(), current_user, measurement, form.action.data, utcnow()
        ):
            db.session.commit()
            flash("Thank you. What you did is saved and will be on your report.", "success")
        return redirect(url_for("height.saved", uuid=uuid))
    return _render_saved(measurement, form), 422


@bp.route("/height/<uuid>/edit", methods=["GET", "POST"])
@login_required
def edit(uuid: str) -> str | Response:
    measurement = _own_or_404(uuid)
    form = HeightForm(
        data={
            "measured_on": measurement.measured_on,
            "height": measurement.height_mm,
            "place": measurement.place,
            "method": measurement.method,
        }
    )
    if form.validate_on_submit():
        update_height(db_session(), current_user, measurement, form.values, utcnow())
        db.session.commit()
        return redirect(url_for("height.saved", uuid=uuid))
    return render_template("height/form.html", form=form, measurement=measurement)


@bp.route("/height/<uuid>/delete", methods=["GET", "POST"])
@login_required
def delete(uuid: str) -> str | Response:
    measurement = _own_or_404(uuid)
    form = ConfirmForm()
    if form.validate_on_submit():
        height = format_height(measurement.height_mm)
        detail = f"Height of {measurement.measured_on.isoformat()}, {height}"
        delete_height(db_session(), current_user, measurement, utcnow())
        record_access(db_session(), current_user, "record_deleted", detail, utcnow())
        db.session.commit()
        flash("The measurement is deleted.", "success")
        return redirect(url_for("height.index"))
    return render_template("height/delete.html", measurement=measurement, form=form)


@bp.route("/height/tallest", methods=["GET", "POST"])
@login_required
def tallest() -> str | Response:
    form = TallestForm(data={"tallest": _tallest_mm()})
    if form.validate_on_submit():
        set_tallest_height(db_session(), current_user, form.tallest.data, utcnow())
        db.session.commit()
        flash("Your tallest height is saved.", "success")
        return redirect(url_for("height.index"))
    return render_template("height/tallest.html", form=form)
