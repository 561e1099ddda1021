"""Validators shared by several forms."""

from datetime import date

from flask_login import current_user
from wtforms.validators import ValidationError


class NotInFuture:
    """The date is today or earlier in the signed-in patient's own time zone."""

    def __init__(self, message: str = "This date is in the future. Please check it.") -> None:
        self.message = message

    def __call__(self, _form, field) -> None:
        today = current_user.today() if current_user.is_authenticated else date.today()
        if field.data and field.data > today:
            raise ValidationError(self.message)
