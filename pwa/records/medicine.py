"""A medicine on the patient's list with its schedule, and one dose answered, declared once.

The reminders page's medicine form checks with `MedicineRecord`; a dose answered from the page,
a notification or an e-mail checks its answer with `DoseRecord`. The JSON routes of DESIGN.md
(`/api/v1/medicines`, `/api/v1/doses`) are to validate and answer with the same records.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..models import MEDICINE_FREQUENCIES
from .types import (
    Clock,
    Day,
    Invalid,
    Line,
    Moment,
    OneOf,
    Record,
    Required,
    Rule,
    SomeOf,
    Uuid,
    Whole,
    clock_message,
)

TIMES_MAX = 4
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS = {str(number): name for number, name in enumerate(WEEKDAY_NAMES)}
DOSE_STATUSES = {"taken": "Taken", "skipped": "Skipped"}
TIME_MESSAGE = clock_message()


class Times(Rule):
    """One to four times of day, each however typed, kept as sorted distinct "HH:MM"."""

    kind = "times"
    many = True
    clock = Clock(TIME_MESSAGE)

    def check(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise Invalid('Please send the times as a list, for example ["08:00"].')
        if not value:
            raise Invalid("Please enter at least one time, for example 8:00 am.")
        if len(value) > TIMES_MAX:
            raise Invalid(f"Please keep it to {TIMES_MAX} times a day or fewer.")
        return sorted({self.clock.check(item) for item in value})

    def json(self) -> dict:
        item = self.clock.json()
        return {"type": "array", "items": item, "minItems": 1, "maxItems": TIMES_MAX}


class Weekdays(SomeOf):
    """Days of the week, Monday = 0; "0" from a form's checkbox counts as 0."""

    def __init__(self) -> None:
        super().__init__(WEEKDAYS, "Please tick days of the week from the list.")

    def check(self, value: Any) -> Any:
        if isinstance(value, list):
            value = [_day_text(item) for item in value]
        return sorted(int(day) for day in super().check(value))

    def json(self) -> dict:
        day = {"type": "integer", "minimum": 0, "maximum": 6}
        return {"type": "array", "items": day, "maxItems": 7}


def _day_text(item: Any) -> Any:
    """A weekday number from JSON as the form's checkbox value ("0" for Monday)."""
    return str(item) if isinstance(item, int) and not isinstance(item, bool) else item


class MedicineRecord(Record):
    """A medicine and when to take it; times are the patient's local wall-clock times."""

    name: Annotated[str, Line(120), Required("Please enter the name of the medicine.")] = Field(
        title="Name of the medicine",
        description="As it is written on the box, for example alendronate.",
    )
    dose: Annotated[str, Line(120)] | None = Field(
        None,
        title="How much, in your own words (optional)",
        description="For example: 1 tablet, 70 mg, 2 puffs.",
    )
    frequency: Annotated[
        str,
        OneOf(MEDICINE_FREQUENCIES, "Please choose how often."),
        Required("Please choose how often."),
    ] = Field("daily", title="How often?")
    times: Annotated[list[str], Times()] = Field(title="At what time?")
    weekdays: Annotated[list[int], Weekdays()] = Field(
        [], title="On which days? (for “on chosen days of the week”)"
    )
    interval_months: Annotated[int, Whole(2, 24, "a number of months")] | None = Field(
        None,
        title="Every how many months? (for “every few months”)",
        description="For example 6 for an injection every six months.",
    )
    start_date: Annotated[
        dt.date, Day(), Required("Please enter the first day, for example today.")
    ] = Field(
        title="Starting on",
        description="Monthly, every-few-months and yearly reminders come on this day of the month.",
    )
    end_date: Annotated[dt.date, Day()] | None = Field(None, title="Last day (optional)")

    @field_validator("weekdays")
    @classmethod
    def _days_for_weekly(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if info.data.get("frequency") == "weekly" and not value:
            raise Invalid("Please tick at least one day.")
        return value if info.data.get("frequency") == "weekly" else []

    @field_validator("interval_months")
    @classmethod
    def _months_for_every_n(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("frequency") == "every_n_months" and value is None:
            raise Invalid("Please enter every how many months, for example 6.")
        return value if info.data.get("frequency") == "every_n_months" else None

    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start_date")
        if value and start and value < start:
            raise Invalid("The last day is before the first day. Please check it.")
        return value


class DoseRecord(Record):
    """One scheduled dose answered: taken or skipped. `due` is the scheduled local date-time."""

    id: Annotated[str, Uuid()] | None = Field(None, description="The client's UUID.")
    medicine_id: Annotated[str, Uuid()] | None = Field(None, description="The medicine's id.")
    due: Annotated[dt.datetime, Moment()] | None = Field(
        None, description="The scheduled local date-time, YYYY-MM-DDTHH:MM."
    )
    status: Annotated[
        str,
        OneOf(DOSE_STATUSES, "Please answer taken or skipped."),
        Required("Please answer taken or skipped."),
    ]
    taken_at: Annotated[dt.datetime, Moment()] | None = Field(
        None, description="When it was taken, local; default: when it was recorded."
    )

    @model_validator(mode="after")
    def _taken_at_only_when_taken(self) -> DoseRecord:
        if self.taken_at is not None and self.status != "taken":
            self.taken_at = None
        return self
