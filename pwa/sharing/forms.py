"""Making a link for the doctor: which days, and how long the link works."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..report.services import PRESETS, Period, PeriodError, check_period, preset_period
from .services import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS


class ShareForm(FlaskForm):
    preset = RadioField(
        "Which days should the doctor see?", choices=list(PRESETS.items()), default="30"
    )
    start = DateField("First day", [Optional()], description="Only for 'Choose dates'.")
    end = DateField("Last day", [Optional()], description="Only for 'Choose dates'.")
    days = IntegerField(
        "How many days should the link work?",
        [
            InputRequired("Please enter a number of days, from 1 to 90."),
            NumberRange(MIN_DAYS, MAX_DAYS, "Please choose from 1 to 90 days."),
        ],
        default=DEFAULT_DAYS,
        description="From 1 to 90 days. You can stop the link at any time.",
        render_kw={"inputmode": "numeric", "min": MIN_DAYS, "max": MAX_DAYS},
    )

    def __init__(self, *args, today: date, recovery_start: date | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today, self.recovery_start = today, recovery_start
        self.period: Period | None = None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        try:
            if self.preset.data == "custom":
                if self.start.data is None:
                    self.start.errors = [*self.start.errors, "Please enter the first day."]
                if self.end.data is None:
                    self.end.errors = [*self.end.errors, "Please enter the last day."]
                if self.start.data and self.end.data:
                    self.period = check_period(self.start.data, self.end.data, today=self.today)
            elif self.preset.data:
                self.period = preset_period(
                    self.preset.data, today=self.today, recovery_start=self.recovery_start
                )
        except PeriodError as error:
            target = self.end if self.preset.data == "custom" else self.preset
            target.errors = [*target.errors, str(error)]
        return ok and self.period is not None
