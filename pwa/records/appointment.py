"""A follow-up appointment, declared once: the form, the JSON API and its OpenAPI components
read these rules, so "Please enter the date of the appointment" reads the same everywhere."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..models import APPOINTMENT_KINDS
from ..timezones import local_to_utc
from .schemas import all_required
from .types import (
    Clock,
    Day,
    Invalid,
    Line,
    OneOf,
    Record,
    Required,
    Rule,
    Text,
    Uuid,
    Whole,
    clock_message,
    from_context,
)

NOTES_MAX = 2000
QUESTION_MAX = 300
QUESTIONS_MAX = 30
YEARS_AROUND_TODAY = 20  # a date further away than this is almost surely a typing slip
_PHONE = re.compile(r"^[0-9+()\-.\s]*$")


def split_questions(text: str) -> list[str]:
    """One question per line; blank lines and list markers people type ("-", "*") dropped."""
    lines = (line.strip().lstrip("-*•").strip() for line in text.splitlines())
    return [line for line in lines if line]


class Questions(Rule):
    """Questions for the visit: a list of texts, or one text with a question on each line."""

    kind = "questions"
    many = True

    def check(self, value: Any) -> Any:
        if isinstance(value, str):
            questions = split_questions(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            questions = [question for item in value for question in split_questions(item)]
        else:
            raise Invalid("Please send the questions as a list of texts.")
        messages = []
        if len(questions) > QUESTIONS_MAX:
            messages.append(f"Please keep it to {QUESTIONS_MAX} questions or fewer.")
        too_long = [n for n, q in enumerate(questions, 1) if len(q) > QUESTION_MAX]
        if too_long:
            messages.append(
                f"Question {too_long[0]} is long. Please keep each question to "
                f"{QUESTION_MAX} characters or fewer."
            )
        if messages:
            raise Invalid(" ".join(messages))
        return questions

    def json(self) -> dict:
        return {
            "description": "A list of questions, or one text with a question per line.",
            "oneOf": [
                {
                    "type": "array",
                    "items": {"type": "string", "maxLength": QUESTION_MAX},
                    "maxItems": QUESTIONS_MAX,
                },
                {"type": "string"},
            ],
        }


class Flag(Rule):
    """true or false, from JSON only."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Invalid("Please send true or false.")
        return value

    def json(self) -> dict:
        return {"type": "boolean"}


class AppointmentRecord(Record):
    """An appointment as the patient fills it in; date and time are local to their zone."""

    date: Annotated[dt.date, Day(), Required("Please enter the date of the appointment.")] = Field(
        title="Date", description="Local date."
    )
    time: Annotated[
        str,
        Clock(clock_message("14:30", "2:30 pm")),
        Required("Please enter the time of the appointment, for example 14:30."),
    ] = Field(title="Time", description="Local time, HH:MM (24-hour).")
    kind: Annotated[
        str,
        OneOf(APPOINTMENT_KINDS, "Please choose one of the kinds in the list."),
        Required("Please choose what kind of appointment this is."),
    ] = Field(title="What kind of appointment is it?")
    with_whom: Annotated[str, Line(120)] | None = Field(
        None, title="With whom? (optional)", description="The doctor, nurse, therapist or clinic."
    )
    location: Annotated[str, Line(200)] | None = Field(
        None,
        title="Where? (optional)",
        description="The clinic or hospital, and the address if it helps.",
    )
    phone: Annotated[str, Line(40)] | None = Field(
        None,
        title="Phone number (optional)",
        description="To call if you are late or need to change the time.",
        json_schema_extra={"pattern": r"^[0-9+()\-.\s]*$"},
    )
    notes: Annotated[str, Text(NOTES_MAX)] | None = Field(
        None,
        title="Notes (optional)",
        description=f"For example: bring my scans, fasting needed. Up to {NOTES_MAX:,} characters.",
    )
    questions: Annotated[list[str], Questions()] = Field(
        [],
        title="Questions to ask (optional)",
        description="One question on each line. You will see them as a checklist for the visit.",
    )

    @field_validator("date")
    @classmethod
    def _not_far_away(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        today = from_context(info, "today")
        if today is not None and abs((value - today).days) > 366 * YEARS_AROUND_TODAY:
            raise Invalid(f"Please check the year: {value.year} seems far away.")
        return value

    @field_validator("phone")
    @classmethod
    def _dialable(cls, value: str | None) -> str | None:
        if value and not _PHONE.match(value):
            raise Invalid("Please use only numbers, spaces and + ( ) - in the phone number.")
        if value and not re.search(r"\d", value):
            raise Invalid("Please enter the phone number with its digits.")
        return value

    def column_values(self, zone: str) -> dict[str, Any]:
        """The Appointment model's values: the local date and time become `starts_at` (UTC)."""
        values = self.model_dump(exclude={"date", "time", "id", "version", "cancelled"})
        at = dt.time.fromisoformat(self.time)
        values["starts_at"] = local_to_utc(self.date, at, zone)
        return {name: values[name] for name in FIELDS_STORED}


FIELDS = tuple(AppointmentRecord.model_fields)  # what the patient fills in
FIELDS_STORED = ("starts_at", "kind", "with_whom", "location", "phone", "notes", "questions")


class AppointmentInput(AppointmentRecord):
    """A new appointment. `id` is the client's UUID: sending the same id again returns the
    stored appointment (200) instead of creating a second one. When left out the server makes
    one (and the request is then not idempotent)."""

    id: Annotated[str, Uuid()] | None = None


class AppointmentUpdate(AppointmentRecord):
    """Changes to an appointment. `version` is the one the client last saw; fields left out
    keep their values. `cancelled: false` restores a cancelled appointment."""

    model_config = ConfigDict(json_schema_extra=lambda schema: schema.update(required=["version"]))

    version: Annotated[
        int,
        Whole(
            1, 2**31 - 1, message="The version must be a whole number, 1 or more.", from_text=False
        ),
        Required("Please send the version you last saw."),
    ]
    cancelled: Annotated[bool, Flag()] | None = None


class Appointment(BaseModel):
    """An appointment as the API answers it. `date` and `time` are local to the patient's
    time zone; the instants are UTC, ending in Z."""

    model_config = ConfigDict(json_schema_extra=all_required)

    id: Annotated[str, Uuid()]
    version: int = Field(ge=1)
    date: Annotated[dt.date, Day()]
    time: Annotated[str, Clock()]
    starts_at: str = Field(json_schema_extra={"format": "date-time", "pattern": "Z$"})
    kind: Annotated[str, OneOf(APPOINTMENT_KINDS)]
    with_whom: str | None
    location: str | None
    phone: str | None
    notes: str | None
    questions: list[str]
    cancelled: bool
    cancelled_at: str | None = Field(json_schema_extra={"format": "date-time"})
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})
