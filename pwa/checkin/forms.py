"""The daily check-in form, used by the page and (without CSRF) by the JSON API."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..fields import MultiCheckboxField, WholeNumberField
from ..models import PAIN_LOCATIONS, WALKING_AIDS, WARNING_ACTIONS, WEEKLY_CHANGE
from ..validators import NotInFuture, WithinDateBounds
from .signs import SIGNS

PAIN_CHOICES = [(str(n), str(n)) for n in range(11)]
YES_NO = [("yes", "Yes"), ("no", "No")]
NOTES_MAX = 2000


class PainField(RadioField):
    """0-10 as eleven radio buttons; anything else gets one plain message."""

    def __init__(self, label: str, required: bool = False, **kwargs) -> None:
        message = "Please choose a number from 0 to 10."
        validators = [InputRequired(message)] if required else [Optional()]
        super().__init__(label, validators, choices=PAIN_CHOICES, validate_choice=False, **kwargs)
        self.invalid_message = message

    def pre_validate(self, form) -> None:
        if self.data not in (None, "") and str(self.data) not in dict(PAIN_CHOICES):
            raise ValidationError(self.invalid_message)


def doses_field(label: str) -> WholeNumberField:
    return WholeNumberField(label, 0, 20, "a number of doses")


def yes_no(label: str) -> RadioField:
    return RadioField(label, [Optional()], choices=YES_NO, validate_choice=True)


class CheckInForm(FlaskForm):
    id = HiddenField()  # client-generated UUID: sending the same form twice saves it once
    date = DateField(
        "Date",
        [
            InputRequired("Please enter the date of this check-in."),
            NotInFuture(),
            WithinDateBounds(),
        ],
    )
    pain = PainField(
        "What number best describes your back pain on average over the last 24 hours?",
        required=True,
    )
    pain_worst = PainField("Your worst back pain in the last 24 hours")
    pain_activity = PainField("Your back pain when moving or walking")
    locations = MultiCheckboxField(
        "Where does it hurt? Tick all that apply.", choices=list(PAIN_LOCATIONS.items())
    )
    limited_activity = yes_no("Did back pain make you cut down on your usual activities today?")
    bed_rest = yes_no("Did you spend most of the day lying down because of back pain?")
    sleep_disturbed = yes_no("Did back pain wake you up or keep you from sleeping?")
    walking_aid = RadioField(
        "What did you use to walk today?", [Optional()], choices=list(WALKING_AIDS.items())
    )
    minutes_walked = WholeNumberField(
        "About how many minutes did you walk today?", 0, 1440, "minutes"
    )
    brace_hours = WholeNumberField("How many hours did you wear your brace?", 0, 24, "hours")
    acetaminophen_doses = doses_field("Acetaminophen (paracetamol, Tylenol)")
    nsaid_doses = doses_field("Anti-inflammatory (ibuprofen, naproxen)")
    opioid_doses = doses_field("Opioid (for example oxycodone, tramadol)")
    other_pain_med_doses = doses_field("Other pain medicine")
    osteoporosis_med_taken = yes_no("Did you take your osteoporosis medicine today?")
    calcium_taken = yes_no("Did you take calcium today?")
    vitamin_d_taken = yes_no("Did you take vitamin D today?")
    fell = yes_no("Did you fall today?")
    fall_injured = yes_no("If you fell, were you hurt?")
    weekly_change = RadioField(
        "Compared with right after your fracture or procedure, your back is now:",
        [Optional()],
        choices=list(WEEKLY_CHANGE.items()),
    )
    warning_signs = MultiCheckboxField(
        "Do you have any of these today? Tick any that apply.",
        choices=[(code, sign.label) for code, sign in SIGNS.items()],
    )
    notes = TextAreaField(
        "Anything else to note? (optional)",
        [
            Optional(),
            Length(
                max=NOTES_MAX,
                message=f"Please keep notes under {NOTES_MAX:,} "
                "characters. Your text is kept below so you can shorten it.",
            ),
        ],
        description="For example a question for your doctor, or how you slept.",
        render_kw={"maxlength": NOTES_MAX, "rows": 4},
    )

    def validate_fall_injured(self, field) -> None:
        if field.data == "yes" and self.fell.data == "no":
            raise ValidationError("You answered that you did not fall today. Please check.")


class WarningActionForm(FlaskForm):
    action = RadioField(
        "What did you do?",
        [InputRequired("Please choose what you did, or 'Nothing yet'.")],
        choices=list(WARNING_ACTIONS.items()),
    )
