"""Forms: the reminder settings, a medicine reminder, and the small one-button forms."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, StringField, widgets
from wtforms.validators import ValidationError

from ..bone.drugs import Drug, find
from ..fields import WholeNumberField
from ..records.forms import record_form
from ..records.medicine import DoseRecord, MedicineRecord
from ..records.types import clock_message, parse_clock, validate
from .followups import BOOK_AHEAD_MAX_WEEKS, DEFAULT_BOOK_AHEAD_WEEKS

CLOCK_MESSAGE = clock_message()


class ClockField(StringField):
    """A time of day: `<input type="time">`, with hand-typed times understood too."""

    widget = widgets.TimeInput()

    def process_formdata(self, valuelist) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = parse_clock(self.raw) if self.raw else None
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
    # Issue 12: the bone-health checklist's nudges at 2, 6, 12 and 16 weeks.
    bone_enabled = BooleanField(
        "Remind me of bone health steps still open, 2, 6, 12 and 16 weeks after my fracture"
    )
    email_enabled = BooleanField("Send my reminders by e-mail too")
    quiet_enabled = BooleanField("Quiet hours: no notifications or e-mails at night")
    quiet_start = ClockField("Quiet from")
    quiet_end = ClockField("Quiet until")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        needs: list[tuple[Field, Field, str]] = [
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


class MedicineForm(record_form(MedicineRecord, skip=("times",))):  # type: ignore[misc]
    """A medicine reminder: what, how much, how often and from when (MedicineRecord's rules).

    The record's list of times is four boxes here; a time typed wrongly is marked in its box.
    """

    time_1 = ClockField("At what time?", description="For example 8:00 am.")
    time_2 = ClockField("A second time (optional)")
    time_3 = ClockField("A third time (optional)")
    time_4 = ClockField("A fourth time (optional)")

    TIME_FIELDS = ("time_1", "time_2", "time_3", "time_4")
    # Columns the page sets that MedicineRecord (and so the JSON API of DESIGN.md) does not carry.
    FORM_ONLY = ("book_ahead_weeks",)

    # Issue 12: "book your next dose" this many weeks ahead (medicines every few months or yearly).
    book_ahead_weeks = WholeNumberField(
        "Remind me to book the next dose, this many weeks before it",
        0,
        BOOK_AHEAD_MAX_WEEKS,
        "a number of weeks",
        default=DEFAULT_BOOK_AHEAD_WEEKS,
        description="For a medicine every few months or once a year, for example 4. "
        "0 turns this reminder off.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The names the medicine list knows, offered as the patient types (a <datalist>).
        self.name.render_kw = {**(self.name.render_kw or {}), "list": "known-medicines"}

    @property
    def drug(self) -> Drug | None:
        """The bone medicine the typed name means, if the table knows it."""
        return find(self.name.data if isinstance(self.name.data, str) else None)

    def fill_from_drug(self) -> None:
        """Without JavaScript: a known drug with no "How often?" chosen gets its usual
        schedule, and every-few-months its usual number of months when that box is empty."""
        drug = self.drug
        if drug is None:
            return
        if not self.frequency.raw_data:
            self.frequency.data = drug.frequency
        months = self.interval_months.data
        empty = months is None or (isinstance(months, str) and not months.strip())
        if self.frequency.data == drug.frequency == "every_n_months" and empty:
            self.interval_months.data = str(drug.interval_months)

    def record_data(self) -> dict:
        times = [self[name].data for name in self.TIME_FIELDS]
        return {**super().record_data(), "times": [at for at in times if at is not None]}

    def error_field(self, name: str) -> str:
        return "time_1" if name == "times" else name

    def validate(self, extra_validators=None) -> bool:
        self.fill_from_drug()
        ok = super().validate(extra_validators)
        if self.time_1.process_errors:  # its own message says enough
            self.time_1.errors = list(self.time_1.process_errors)
        return ok

    def values(self) -> dict:
        weeks = self.book_ahead_weeks.data
        return {
            **self.record.model_dump(),
            "book_ahead_weeks": DEFAULT_BOOK_AHEAD_WEEKS if weeks is None else weeks,
        }


class ConfirmForm(FlaskForm):
    """A single button (remove, turn off, make a new link) with CSRF protection."""


class DoseForm(FlaskForm):
    id = HiddenField()  # the client's UUID, so the outbox's copy of the answer is not a second
    occurrence = HiddenField()
    status = HiddenField()

    def validate_status(self, field) -> None:
        _, errors = validate(DoseRecord, {"status": field.data})
        if errors.get("status"):
            raise ValidationError(errors["status"][0])
