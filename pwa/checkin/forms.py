"""The check-in's forms. The daily check-in's own fields, labels and rules are its record's
(pwa/records/checkin.py); the page only chooses where each one goes."""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from ..models import WARNING_ACTIONS
from ..records.checkin import CheckInRecord
from ..records.forms import record_form

WORRIED_MESSAGE = "Please answer: is there anything new or worrying today? No or Yes."

_RecordCheckInForm = record_form(CheckInRecord, "RecordCheckInForm")


class CheckInForm(_RecordCheckInForm):  # type: ignore[misc,valid-type]
    """The page's check-in: the record's rules, and the screening question must be answered
    (the API leaves it optional)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.worried.data not in ("yes", "no"):
            self.worried.errors = [*self.worried.errors, WORRIED_MESSAGE]
            return False
        return valid


class WarningActionForm(FlaskForm):
    action = RadioField(
        "What did you do?",
        [InputRequired("Please choose what you did, or 'Nothing yet'.")],
        choices=list(WARNING_ACTIONS.items()),
    )
