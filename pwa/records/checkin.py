"""The daily check-in (CLINICAL.md section 2), declared once.

The page's form, the API's validation and JSON, the OpenAPI components and the outbox's field
types all come from `CheckInRecord`. A new item is one line here plus its model column and
migration; tests/test_records.py fails until the three agree.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..models import PAIN_LOCATIONS, WALKING_AIDS, WEEKLY_CHANGE
from .schemas import all_required
from .types import (
    Day,
    Invalid,
    OneOf,
    Record,
    Required,
    SomeOf,
    Text,
    Uuid,
    Whole,
    YesNo,
    from_context,
)

PAIN_MESSAGE = "Please choose a number from 0 to 10."
NOTES_MAX = 2000


@functools.cache
def warning_sign_labels() -> dict[str, str]:
    """The signs' codes and labels, read when first needed (pwa.checkin imports this module);
    made once, as every check-in's validation reads them."""
    from ..checkin.signs import SIGNS

    return {code: sign.label for code, sign in SIGNS.items()}


Pain = Annotated[int, Whole(0, 10, message=PAIN_MESSAGE, kind="pain")]
Doses = Annotated[int, Whole(0, 20, "a number of doses")]
Answer = Annotated[bool, YesNo()]


class CheckInRecord(Record):
    """One daily check-in as the patient answers it (the API's `EntryInput`)."""

    model_config = ConfigDict(json_schema_extra=lambda schema: schema["required"].insert(0, "id"))

    id: Annotated[str, Uuid()] | None = Field(
        None, description="Made by the client; makes the request idempotent."
    )
    date: Annotated[dt.date, Day(), Required("Please enter the date of this check-in.")] = Field(
        title="Date"
    )
    pain: Annotated[Pain, Required(PAIN_MESSAGE)] = Field(
        title="What number best describes your back pain on average over the last 24 hours?"
    )
    worried: Answer | None = Field(
        None,
        title="Anything new or worrying today?",
        description="Yes opens a short list of warning signs. The page asks it every time; "
        "the API takes it when given.",
    )
    pain_worst: Pain | None = Field(None, title="Your worst back pain in the last 24 hours")
    pain_activity: Pain | None = Field(None, title="Your back pain when moving or walking")
    locations: Annotated[list[str], SomeOf(PAIN_LOCATIONS)] = Field(
        [], title="Where does it hurt? Tick all that apply."
    )
    limited_activity: Answer | None = Field(
        None, title="Did back pain make you cut down on your usual activities today?"
    )
    bed_rest: Answer | None = Field(
        None, title="Did you spend most of the day lying down because of back pain?"
    )
    sleep_disturbed: Answer | None = Field(
        None, title="Did back pain wake you up or keep you from sleeping?"
    )
    walking_aid: Annotated[str, OneOf(WALKING_AIDS)] | None = Field(
        None, title="What did you use to walk today?"
    )
    minutes_walked: Annotated[int, Whole(0, 1440, "minutes")] | None = Field(
        None, title="About how many minutes did you walk today?"
    )
    brace_hours: Annotated[int, Whole(0, 24, "hours")] | None = Field(
        None, title="How many hours did you wear your brace?"
    )
    acetaminophen_doses: Doses | None = Field(None, title="Acetaminophen (paracetamol, Tylenol)")
    nsaid_doses: Doses | None = Field(None, title="Anti-inflammatory (ibuprofen, naproxen)")
    opioid_doses: Doses | None = Field(None, title="Opioid (for example oxycodone, tramadol)")
    other_pain_med_doses: Doses | None = Field(None, title="Other pain medicine")
    osteoporosis_med_taken: Answer | None = Field(
        None, title="Did you take your osteoporosis medicine today?"
    )
    calcium_taken: Answer | None = Field(None, title="Did you take calcium today?")
    vitamin_d_taken: Answer | None = Field(None, title="Did you take vitamin D today?")
    fell: Answer | None = Field(None, title="Did you fall today?")
    fall_injured: Answer | None = Field(None, title="If you fell, were you hurt?")
    fall_cannot_stand: Answer | None = Field(
        None, title="After the fall, are you unable to stand or put weight on a leg?"
    )
    fall_hip_groin: Answer | None = Field(
        None, title="After the fall, do you have new pain in your hip or groin?"
    )
    fall_hit_head: Answer | None = Field(None, title="Did you hit your head when you fell?")
    bowel_movement: Answer | None = Field(
        None,
        title="Did you have a bowel movement today?",
        description="Asked on days you take an opioid: they often cause constipation.",
    )
    weekly_change: Annotated[str, OneOf(WEEKLY_CHANGE)] | None = Field(
        None, title="Compared with right after your fracture or procedure, your back is now:"
    )
    warning_signs: Annotated[
        list[str], SomeOf(warning_sign_labels, "Please choose from the list of signs.")
    ] = Field([], title="Do you have any of these today? Tick any that apply.")
    notes: (
        Annotated[
            str,
            Text(
                NOTES_MAX,
                f"Please keep notes under {NOTES_MAX:,} characters. "
                "Your text is kept below so you can shorten it.",
            ),
        ]
        | None
    ) = Field(
        None,
        title="Anything else to note? (optional)",
        description="For example a question for your doctor, or how you slept.",
    )

    # Field name -> CheckIn column where they differ; None: not a column of its own.
    COLUMNS: ClassVar[dict[str, str | None]] = {
        "pain": "pain_avg",
        "id": "uuid",
        "warning_signs": None,
    }

    @field_validator("date")
    @classmethod
    def _not_in_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        today = from_context(info, "today")
        if today is not None and value > today:
            raise Invalid("This date is in the future. Please check it.")
        return value

    @field_validator("fall_injured", "fall_cannot_stand", "fall_hip_groin", "fall_hit_head")
    @classmethod
    def _fall_answers_agree(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and info.data.get("fell") is False:
            raise Invalid("You answered that you did not fall today. Please check.")
        return value

    @classmethod
    def column_of(cls, name: str) -> str | None:
        return cls.COLUMNS.get(name, name)

    @classmethod
    @functools.cache
    def stored_columns(cls) -> tuple[tuple[str, str], ...]:
        """(field, CheckIn column) of each stored field: worked out once, as every save and
        every answer maps them."""
        return tuple((name, column) for name in cls.model_fields if (column := cls.column_of(name)))

    def column_values(self) -> dict[str, Any]:
        """The CheckIn model's values for the patient's answers (not its id or signs)."""
        return {
            column: getattr(self, name) for name, column in self.stored_columns() if name != "id"
        }

    @classmethod
    def from_row(cls, checkin: Any, signs: list[str]) -> CheckInRecord:
        """A stored check-in as its record (not validated again: it was when it was saved)."""
        values = {name: getattr(checkin, column) for name, column in cls.stored_columns()}
        values["locations"] = list(values["locations"] or [])
        return cls.model_construct(**values, warning_signs=signs)


class WarningRaised(BaseModel):
    model_config = ConfigDict(json_schema_extra=all_required)

    sign: str
    tier: str = Field(json_schema_extra={"enum": ["emergency", "urgent", "routine"]})
    computed: bool


class Entry(CheckInRecord):
    """A stored check-in as the API answers it."""

    model_config = ConfigDict(json_schema_extra=all_required)

    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})
    warnings_raised: list[WarningRaised]
