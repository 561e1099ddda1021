from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import DataRequired, Email, Length


class InviteForm(FlaskForm):
    email = EmailField(
        "Your caregiver's e-mail address",
        validators=[
            DataRequired("Please enter your caregiver's e-mail address."),
            Email("That does not look like an e-mail address, for example anna@example.com."),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    can_check_in = BooleanField(
        "They may enter a check-in for me",
        description="Marked 'entered by' with their name in your history.",
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class NotifyForm(FlaskForm):
    notify_warnings = BooleanField("E-mail me when an emergency or urgent warning sign is recorded")


class PermissionForm(FlaskForm):
    can_check_in = BooleanField("May enter check-ins for me")
