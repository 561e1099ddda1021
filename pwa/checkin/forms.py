"""The check-in's forms. The daily check-in's own fields, labels and rules are its record's
(pwa/records/checkin.py); the page only chooses where each one goes."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from ..models import WARNING_ACTIONS
from ..records.checkin import CheckInRecord
from ..records.forms import record_form

CheckInForm = record_form(CheckInRecord, "CheckInForm")


class WarningActionForm(FlaskForm):
    action = RadioField(
        "What did you do?",
        [InputRequired("Please choose what you did, or 'Nothing yet'.")],
        choices=list(WARNING_ACTIONS.items()),
    )
