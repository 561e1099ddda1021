"""Forms for appointments. The fields, labels and rules are AppointmentRecord's (shared with the
JSON API); these forms add the patient's zone, the client id or version, and CSRF."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.widgets import TelInput

from ..models import new_uuid
from ..records.appointment import AppointmentRecord
from ..records.forms import record_form
from ..records.types import canonical_uuid


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
