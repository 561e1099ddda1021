"""Forms for appointments. The rules themselves live in services.parse_appointment, which the
JSON API shares; these forms carry the labels, hints and CSRF, and put each message next to
its field."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TelField, TextAreaField
from wtforms.widgets import DateInput, TimeInput

from ..models import APPOINTMENT_KINDS, new_uuid
from .services import FIELDS, NOTES_MAX, canonical_uuid, parse_appointment


def _uuid_or_new(value: str | None) -> str:
    """The form's client id; a fresh one when rendering, so a second submit is recognised."""
    return canonical_uuid(value) or new_uuid()


class AppointmentFields(FlaskForm):
    """The fields a patient fills in. Built with the patient's zone and today's local date."""

    date = StringField("Date", widget=DateInput(), render_kw={"autocomplete": "off"})
    time = StringField("Time", widget=TimeInput(), render_kw={"autocomplete": "off"})
    kind = RadioField(
        "What kind of appointment is it?",
        choices=list(APPOINTMENT_KINDS.items()),
        validate_choice=False,  # parse_appointment judges, with a plainer message
    )
    with_whom = StringField(
        "With whom? (optional)",
        description="The doctor, nurse, therapist or clinic.",
        render_kw={"autocomplete": "off"},
    )
    location = StringField(
        "Where? (optional)",
        description="The clinic or hospital, and the address if it helps.",
        render_kw={"autocomplete": "off"},
    )
    phone = TelField(
        "Phone number (optional)",
        description="To call if you are late or need to change the time.",
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    notes = TextAreaField(
        "Notes (optional)",
        description=f"For example: bring my scans, fasting needed. Up to {NOTES_MAX:,} characters.",
        render_kw={"rows": 4},
    )
    questions = TextAreaField(
        "Questions to ask (optional)",
        description="One question on each line. You will see them as a checklist for the visit.",
        render_kw={"rows": 5},
    )

    def __init__(self, *args, zone: str, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone, self.today = zone, today
        self.values: dict = {}
        self.time.description = f"Your local time ({zone.replace('_', ' ')}), for example 14:30."

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        data = {name: self[name].data for name in FIELDS}
        self.values, errors = parse_appointment(data, self.zone, self.today)
        for name, messages in errors.items():
            self[name].errors = [*self[name].errors, *messages]
        return valid and not errors


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
