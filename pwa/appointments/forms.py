"""Forms for appointments. The fields, labels and rules are AppointmentRecord's (shared with the
JSON API); these forms add the patient's zone, the client id or version, and CSRF."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField, ValidationError
from wtforms.widgets import TelInput

from ..models import new_uuid
from ..records.appointment import AppointmentRecord
from ..records.forms import record_form
from ..records.types import canonical_uuid
from .visit import VISIT_NOTES_MAX


def _uuid_or_new(value: str | None) -> str:
    """The form's client id; a fresh one when rendering, so a second submit is recognised."""
    return canonical_uuid(value) or new_uuid()


class AppointmentFields(record_form(AppointmentRecord)):  # type: ignore[misc]
    """The fields a patient fills in. Built with the patient's zone and today's local date."""

    def __init__(self, *args: Any, zone: str, today: date, **kwargs: Any) -> None:
        super().__init__(*args, context={"today": today}, **kwargs)
        self.zone, self.today = zone, today
        self.values: dict = {}
        self.time.description = f"Your local time ({zone.replace('_', ' ')}), for example 14:30."
        self.phone.widget = TelInput()
        self.phone.render_kw = {"autocomplete": "off", "inputmode": "tel"}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.values = self.record.column_values(self.zone) if self.record else {}
        return valid


class NewAppointmentForm(AppointmentFields):
    id = HiddenField(filters=[_uuid_or_new])


class EditAppointmentForm(AppointmentFields):
    version = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.version_number is None:
            self.form_errors.append("This page is out of date. Please open the appointment again.")
            return False
        return valid

    @property
    def version_number(self) -> int | None:
        try:
            number = int(self.version.data)
        except (TypeError, ValueError):
            return None
        return number if number >= 1 else None


class CancelForm(FlaskForm):
    """Only the confirm button (and CSRF): cancelling asks first, without JavaScript."""


class RestoreForm(FlaskForm):
    """Only the button (and CSRF) that undoes a cancellation."""


# --- The visit's page (issue 12) -------------------------------------------------------------


class SuggestionForm(FlaskForm):
    """Add, edit (in the patient's own words) or remove one suggested question. The action is
    the button pressed; Add takes the suggestion's wording from the server, never the page."""

    key = HiddenField()
    text = TextAreaField("Your question, in your own words")

    ACTIONS = ("add", "edit", "remove")


class TicksForm(FlaskForm):
    """The questions ticked as asked: `asked` for each tick, `shown` for each question the page
    listed (so a question added meanwhile elsewhere keeps its own tick)."""


class VisitNotesForm(FlaskForm):
    visit_notes = TextAreaField(
        "What did the doctor say?",
        description="For example: the scan result, a change of medicine, the next visit. "
        f"Up to {VISIT_NOTES_MAX:,} characters.",
        render_kw={"rows": 6},
    )

    def validate_visit_notes(self, field: TextAreaField) -> None:
        length = len((field.data or "").strip())
        if length > VISIT_NOTES_MAX:
            raise ValidationError(
                f"Please keep the notes to {VISIT_NOTES_MAX:,} characters or fewer: "
                f"this text has {length:,}. The text is still here to shorten."
            )
