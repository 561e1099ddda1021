"""Forms: the reminder settings, a medicine reminder, and the small one-button forms."""

from __future__ import annotations

import re
from datetime import time

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..fields import MultiCheckboxField, WholeNumberField
from ..models import MEDICINE_FREQUENCIES
from ..validators import WithinDateBounds
from .services import WEEKDAY_NAMES

_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::\d{2})?\s*(?:([ap])\.?\s*m\.?)?$", re.I)
CLOCK_MESSAGE = "Please enter a time like 19:00 or 7:00 pm."


def parse_clock_text(text: str) -> time | None:
    """'19:00' (what a time input sends), also '7:00 pm', '7 pm' and '7.30' typed by hand."""
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif match[2] is None:
        return None  # a bare "7" is ambiguous: morning or evening?
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class ClockField(StringField):
    """A time of day: `<input type="time">`, with hand-typed times understood too."""

    widget = widgets.TimeInput()

    def process_formdata(self, valuelist) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = parse_clock_text(self.raw) if self.raw else None
        if self.raw and self.data is None:
            raise ValueError(CLOCK_MESSAGE)

    def _value(self) -> str:
        if isinstance(self.data, time):
            return f"{self.data.hour:02d}:{self.data.minute:02d}"
        return getattr(self, "raw", "") or ""


class SettingsForm(FlaskForm):
    """When to remind, and how: one screen for everything that is not a medicine."""

    checkin_enabled = BooleanField("Remind me to do my daily check-in")
    checkin_time = ClockField("Time of the check-in reminder", description="For example 7:00 pm.")
    appointment_day_before = BooleanField("Remind me the day before an appointment")
    appointment_day_before_time = ClockField("Time of the reminder the day before")
    appointment_hours_before_on = BooleanField("Remind me again a few hours before")
    appointment_hours_before = WholeNumberField(
        "How many hours before", 1, 48, "a number of hours", default=2
    )
    email_enabled = BooleanField("Send my reminders by e-mail too")
    quiet_enabled = BooleanField("Quiet hours: no notifications or e-mails at night")
    quiet_start = ClockField("Quiet from")
    quiet_end = ClockField("Quiet until")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        needs = [
            (self.checkin_enabled, self.checkin_time, "Please enter the time of the reminder."),
            (
                self.appointment_day_before,
                self.appointment_day_before_time,
                "Please enter the time of the reminder the day before.",
            ),
            (
                self.appointment_hours_before_on,
                self.appointment_hours_before,
                "Please enter how many hours before, for example 2.",
            ),
            (self.quiet_enabled, self.quiet_start, "Please enter when quiet hours start."),
            (self.quiet_enabled, self.quiet_end, "Please enter when quiet hours end."),
        ]
        for switch, value, message in needs:
            if switch.data and value.data is None and not value.errors:
                value.errors = [*value.errors, message]
                ok = False
        if (
            self.quiet_enabled.data
            and self.quiet_start.data is not None
            and self.quiet_start.data == self.quiet_end.data
        ):
            self.quiet_end.errors = [
                *self.quiet_end.errors,
                "Quiet hours need to end at a different time than they start.",
            ]
            ok = False
        return ok


WEEKDAY_CHOICES = [(str(number), name) for number, name in enumerate(WEEKDAY_NAMES)]


class MedicineForm(FlaskForm):
    """A medicine reminder: what, how much, how often and from when."""

    name = StringField(
        "Name of the medicine",
        [DataRequired("Please enter the name of the medicine."), Length(max=120)],
        description="As it is written on the box, for example alendronate.",
    )
    dose = StringField(
        "How much, in your own words (optional)",
        [Optional(), Length(max=120)],
        description="For example: 1 tablet, 70 mg, 2 puffs.",
    )
    frequency = RadioField(
        "How often?",
        choices=list(MEDICINE_FREQUENCIES.items()),
        default="daily",
        validate_choice=True,
    )
    time_1 = ClockField("At what time?", description="For example 8:00 am.")
    time_2 = ClockField("A second time (optional)")
    time_3 = ClockField("A third time (optional)")
    time_4 = ClockField("A fourth time (optional)")
    weekdays = MultiCheckboxField(
        "On which days? (for “on chosen days of the week”)", choices=WEEKDAY_CHOICES
    )
    interval_months = WholeNumberField(
        "Every how many months? (for “every few months”)",
        2,
        24,
        "a number of months",
        description="For example 6 for an injection every six months.",
    )
    start_date = DateField(
        "Starting on",
        [DataRequired("Please enter the first day, for example today."), WithinDateBounds()],
        description="Monthly, every-few-months and yearly reminders come on this day of the month.",
    )
    end_date = DateField("Last day (optional)", [Optional(), WithinDateBounds()])

    def validate_time_1(self, field) -> None:
        if field.data is None and not field.errors:
            raise ValidationError("Please enter at least one time, for example 8:00 am.")

    def validate_weekdays(self, field) -> None:
        if self.frequency.data == "weekly" and not field.data:
            raise ValidationError("Please tick at least one day.")

    def validate_end_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The last day is before the first day. Please check it.")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        months = self.interval_months
        if self.frequency.data == "every_n_months" and months.data is None and not months.errors:
            months.errors = [*months.errors, "Please enter every how many months, for example 6."]
            ok = False
        return ok

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "dose": self.dose.data,
            "frequency": self.frequency.data,
            "times": [self.time_1.data, self.time_2.data, self.time_3.data, self.time_4.data],
            "weekdays": self.weekdays.data,
            "interval_months": self.interval_months.data,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
        }


class ConfirmForm(FlaskForm):
    """A single button (remove, turn off, make a new link) with CSRF protection."""


class DoseForm(FlaskForm):
    occurrence = HiddenField()
    status = HiddenField()

    def validate_status(self, field) -> None:
        if field.data not in ("taken", "skipped"):
            raise ValidationError("Unknown answer.")
