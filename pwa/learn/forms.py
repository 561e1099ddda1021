"""Forms of the library. The fall-risk self-check is a GET form: it stores nothing, so it has no
CSRF token (a token in a precached page would go stale) and its answers arrive in the query."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, RadioField
from wtforms.validators import AnyOf, InputRequired

from .fall_check import ANSWERS, QUESTIONS

MISSING = "Please choose Yes or No for this question."


class FallCheckForm(FlaskForm):
    """One Yes/No field per question of `fall_check.QUESTIONS`, named q1 to q12."""

    class Meta:
        csrf = False

    def answer_fields(self) -> list[Field]:
        """The answer fields, in question order."""
        return [self[f"q{n}"] for n in range(1, len(QUESTIONS) + 1)]


for _number, _question in enumerate(QUESTIONS, 1):
    setattr(
        FallCheckForm,
        f"q{_number}",
        RadioField(
            _question.text,
            choices=ANSWERS,
            validate_choice=False,  # an unknown answer gets the same plain message below
            validators=[InputRequired(MISSING), AnyOf([value for value, _ in ANSWERS], MISSING)],
        ),
    )
