from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..timezones import is_valid_zone

PASSWORD_RULES = [
    DataRequired("Please choose a password."),
    Length(min=8, max=128, message="Please use at least 8 characters."),
]


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


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Please enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        "New password", validators=PASSWORD_RULES, render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Please type the new password again."),
            EqualTo("new", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
