import re

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ..auth.forms import validate_zone
from ..bone.height import height_field
from ..models import FRACTURE_CAUSES, SPINE_LEVELS, TREATMENTS
from ..timezones import COMMON_ZONES  # noqa: F401  (re-exported for templates)
from ..validators import NotInFuture

YES_NO_UNKNOWN = [("yes", "Yes"), ("no", "No"), ("", "Not sure")]
LEVEL_HINT = "For example T12, or T12, L1. Your scan report or discharge letter names them."


def parse_levels(text: str | None) -> list[str]:
    return [part.upper() for part in re.split(r"[\s,;]+", text or "") if part]


def validate_levels(_form, field) -> None:
    unknown = [level for level in parse_levels(field.data) if level not in SPINE_LEVELS]
    if unknown:
        raise ValidationError(
            f"{', '.join(unknown)} is not a spine level. Use C1 to C7, T1 to T12 or L1 to L5."
        )


def phone_field(label: str) -> TelField:
    return TelField(
        label,
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[0-9+()\-.\s]*$", message="Please use only numbers, spaces and + ( ) -."),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


class ProfileForm(FlaskForm):
    fracture_levels = StringField(
        "Which bone or bones broke?",
        [Optional(), Length(max=80), validate_levels],
        description=LEVEL_HINT,
    )
    fracture_date = DateField("When did it happen?", [Optional(), NotInFuture()])
    fracture_cause = RadioField(
        "What caused it?", [Optional()], choices=list(FRACTURE_CAUSES.items())
    )
    treatment = RadioField("How was it treated?", [Optional()], choices=list(TREATMENTS.items()))
    procedure_date = DateField(
        "Date of the procedure",
        [Optional()],
        description="Leave empty if you had no procedure. A planned date is fine too.",
    )
    procedure_levels = StringField(
        "Which levels were treated?", [Optional(), Length(max=80), validate_levels]
    )
    brace_prescribed = RadioField(
        "Did your doctor give you a back brace?", [Optional()], choices=YES_NO_UNKNOWN, default=""
    )
    osteoporosis_diagnosed = RadioField(
        "Have you been told you have osteoporosis?",
        [Optional()],
        choices=YES_NO_UNKNOWN,
        default="",
    )
    osteoporosis_medicine = StringField(
        "Osteoporosis medicine, if any",
        [Optional(), Length(max=120)],
        description="For example alendronate (Fosamax), denosumab (Prolia) or zoledronic acid.",
    )
    osteoporosis_medicine_start = DateField("Started on", [Optional(), NotInFuture()])
    last_dexa_date = DateField("Last bone density (DEXA) scan", [Optional(), NotInFuture()])
    # Issue 12: whole millimetres in `data` (pwa/bone/height.py reads what was typed).
    tallest_height = height_field(
        "Tallest height you remember as an adult (optional)",
        required=False,
        description="For example from a passport or an old medical record: 165 or 5'5\". "
        "Height lost since then can mean a spine fracture that caused no pain.",
    )
    # Issue 10: these decide which warning signs the check-in asks and how a fall is judged.
    blood_thinner = RadioField(
        "Do you take a blood thinner?",
        [Optional()],
        choices=YES_NO_UNKNOWN,
        default="",
        description="For example warfarin, apixaban (Eliquis), rivaroxaban (Xarelto) or "
        "clopidogrel (Plavix). A knock on the head is more serious on these.",
    )
    cancer_ever = RadioField(
        "Have you ever had cancer?",
        [Optional()],
        choices=YES_NO_UNKNOWN,
        default="",
        description="New back pain after cancer needs a doctor to look for the cause.",
    )
    earlier_fractures = StringField(
        "Other broken bones since age 50, if any",
        [Optional(), Length(max=200)],
        description="For example: wrist 2019, hip 2022.",
    )
    steroid_tablets = RadioField(
        "Have you taken steroid tablets (such as prednisone) for 3 months or more?",
        [Optional()],
        choices=YES_NO_UNKNOWN,
        default="",
    )
    doctor_name = StringField("Your treating doctor", [Optional(), Length(max=120)])
    clinic_phone = phone_field("Clinic phone number")
    emergency_contact_name = StringField("Emergency contact (name)", [Optional(), Length(max=120)])
    emergency_contact_phone = phone_field("Emergency contact (phone)")
    date_of_birth = DateField(
        "Date of birth (optional, shown on the doctor's report)", [Optional(), NotInFuture()]
    )

    def validate_procedure_date(self, field) -> None:
        if field.data and self.fracture_date.data and field.data < self.fracture_date.data:
            raise ValidationError("The procedure date is before the fracture date.")


class AccountForm(FlaskForm):
    name = StringField("Your name", [DataRequired("Please enter your name."), Length(max=120)])
    timezone = StringField(
        "Your time zone",
        [DataRequired("Please enter your time zone."), validate_zone],
    )
    emergency_number = StringField(
        "Emergency number where you live",
        [
            DataRequired("Please enter your emergency number, for example 911."),
            Regexp(r"^[0-9]{2,6}$", message="Please use digits only, for example 911 or 112."),
        ],
        description="911 in the US and Canada, 999 in the UK, 112 in most of Europe.",
        render_kw={"inputmode": "numeric"},
    )
    paper_size = SelectField(
        "Paper size for the doctor's report",
        choices=[("letter", "US Letter"), ("a4", "A4")],
    )
