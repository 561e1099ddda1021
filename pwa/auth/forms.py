from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..timezones import is_valid_zone
from .passwords import password_problem

PASSWORD_RULES = [
    DataRequired("Please choose a password."),
    Length(min=8, max=128, message="Please use at least 8 characters."),
]


def check_new_password(field, *, email: str, name: str) -> None:
    """Length, not the e-mail or name, not a common password: a plain reason when refused."""
    problem = password_problem(field.data or "", email=email or "", name=name or "")
    if problem:
        raise ValidationError(problem)


def validate_zone(_form, field) -> None:
    if not is_valid_zone(field.data or ""):
        raise ValidationError("Please pick a time zone from the list, for example America/Chicago.")


class RegisterForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[DataRequired("Please enter your name."), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "E-mail address",
        validators=[
            DataRequired("Please enter your e-mail address."),
            Email("That does not look like an e-mail address, for example anna@example.com."),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Choose a password",
        validators=PASSWORD_RULES,
        description="At least 8 characters. A short sentence is easy to remember.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Please type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    timezone = StringField(
        "Your time zone",
        validators=[DataRequired("Please enter your time zone."), validate_zone],
        description="Set from this device. Reminders and 'today' follow it.",
        render_kw={"data-browser-zone": "1"},
    )

    def validate_password(self, field) -> None:
        check_new_password(field, email=self.email.data, name=self.name.data)


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Please enter your e-mail address.")],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Please enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device", default=True)


class ResetForm(FlaskForm):
    """A new password (from a reset link, or below the current one); `account` is whose it is,
    for the rule against using one's own e-mail address or name."""

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    new = PasswordField(
        "New password",
        validators=PASSWORD_RULES,
        description="At least 8 characters. A short sentence is easy to remember.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Please type the new password again."),
            EqualTo("new", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_new(self, field) -> None:
        account = self.account
        check_new_password(
            field, email=account.email if account else "", name=account.name if account else ""
        )


class PasswordForm(ResetForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Please enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        validators=[
            DataRequired("Please enter your e-mail address."),
            Email("That does not look like an e-mail address, for example anna@example.com."),
            Length(max=254),
        ],
        description="The one you signed up with. We send a link to choose a new password.",
        render_kw={"autocomplete": "email"},
    )
