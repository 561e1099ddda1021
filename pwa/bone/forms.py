"""One checklist item's answer, declared once as a record (the project's rules and messages),
and the small form that shows it: where the patient is with it, a date, the scan's T-score,
and which medicine, where, or why not."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator
from wtforms import RadioField, StringField
from wtforms.widgets import DateInput

from ..models import BONE_STATES
from ..records.forms import RecordForm
from ..records.types import Day, Invalid, Line, OneOf, Record, Required, Rule, from_context
from .drugs import DRUGS

T_SCORE_LOW, T_SCORE_HIGH = -6.0, 4.0
T_SCORE_MESSAGE = "Please enter the T-score as a number from -6 to +4, for example -2.5."
DETAIL_MAX = 200
_NUMBER = re.compile(r"^[+-]?\d{1,2}(?:[.,]\d{1,2})?$")


class TScore(Rule):
    """The scan's lowest T-score: -6 to +4, one or two decimals; "−2,5" as typed counts."""

    kind = "line"

    def check(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise Invalid(T_SCORE_MESSAGE)
        if isinstance(value, str):
            text = value.strip().replace("\u2212", "-").replace(" ", "")
            if not _NUMBER.match(text):
                raise Invalid(T_SCORE_MESSAGE)
            value = float(text.replace(",", "."))
        if not isinstance(value, int | float) or not T_SCORE_LOW <= value <= T_SCORE_HIGH:
            raise Invalid(T_SCORE_MESSAGE)
        return round(float(value), 1)

    def json(self) -> dict:
        return {"type": "number", "minimum": T_SCORE_LOW, "maximum": T_SCORE_HIGH}


class BoneItemRecord(Record):
    """Where the patient is with one checklist item. `today` comes from the context."""

    state: Annotated[
        str, OneOf(BONE_STATES), Required("Please choose where you are with this step.")
    ] = Field(title="Where are you with this?")
    on_date: Annotated[dt.date, Day()] | None = Field(
        None,
        title="Date (optional)",
        description="The day it was done, or the day it is booked for.",
    )
    t_score: Annotated[float, TScore()] | None = Field(
        None,
        title="T-score (optional)",
        description="From the scan letter, if you have it: the lowest number, for example -2.5.",
    )
    detail: Annotated[str, Line(DETAIL_MAX)] | None = Field(
        None, title="Where, or why not (optional)"
    )

    @field_validator("on_date")
    @classmethod
    def _date_fits_state(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        today = from_context(info, "today")
        state = info.data.get("state")
        if value is None or today is None:
            return value
        if state == "done" and value > today:
            raise Invalid(
                "This date is still ahead. If it is booked, choose Booked; "
                "if it is done, enter the day it was done."
            )
        if state == "booked" and value < today:
            raise Invalid(
                "This date has passed. If it happened, choose Done; "
                "if it was moved, enter the new date."
            )
        return value

    @field_validator("t_score")
    @classmethod
    def _score_only_when_done(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("state") != "done":
            raise Invalid(
                "A T-score comes from a scan that is done. Choose Done, or leave it empty."
            )
        return value


def medicine_names() -> list[str]:
    """The medicine names offered as suggestions (any other name may be typed)."""
    return [name for drug in DRUGS.values() for name in drug.names]


# What the free-text box asks, per item (the label; the hint).
DETAIL_LABELS = {
    "medicine": (
        "Which medicine, or why not (optional)",
        "Choose from the list as you type, or write any name.",
    ),
    "dexa": ("Where (optional)", "The hospital or clinic."),
}
DEFAULT_DETAIL = ("Where, or why not (optional)", "For example the clinic, or what was decided.")


class BoneItemForm(RecordForm):
    record_type = BoneItemRecord

    state = RadioField(
        "Where are you with this?",
        choices=list(BONE_STATES.items()),
        validate_choice=False,
    )
    on_date = StringField(
        "Date (optional)",
        widget=DateInput(),
        description="The day it was done, or the day it is booked for.",
        render_kw={"autocomplete": "off"},
    )
    t_score = StringField(
        "T-score (optional)",
        description="From the scan letter, if you have it: the lowest number, for example -2.5.",
        render_kw={"inputmode": "text", "autocomplete": "off", "maxlength": 8},
    )
    detail = StringField("Where, or why not (optional)", render_kw={"maxlength": DETAIL_MAX})

    def __init__(self, *args: Any, item: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        label, hint = DETAIL_LABELS.get(item, DEFAULT_DETAIL)
        self.detail.label.text = label
        self.detail.description = hint
        if item == "medicine":
            self.detail.render_kw = {**(self.detail.render_kw or {}), "list": "medicine-names"}
        if item != "dexa":
            del self.t_score
