from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, ValidationError

CONFIRM_WORDS = "DELETE MY ACCOUNT"


class ImportForm(FlaskForm):
    file = FileField(
        "Your Upright export (the JSON file)",
        validators=[FileRequired("Please choose the file to import.")],
        description="The file is called upright-export-<date>.json. Records you already have "
        "are not added twice.",
        render_kw={"accept": ".json,application/json"},
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Please enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = StringField(
        f"Type {CONFIRM_WORDS} to confirm",
        validators=[DataRequired(f"Please type {CONFIRM_WORDS}.")],
        description="In capital letters, exactly as shown.",
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )

    def validate_confirm(self, field) -> None:
        if " ".join((field.data or "").split()).upper() != CONFIRM_WORDS:
            raise ValidationError(f"Please type {CONFIRM_WORDS}, exactly as shown.")
