"""The report's period picker: a preset, or two dates. Read from the query string (GET)."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField
from wtforms.validators import Optional

from ..validators import WithinDateBounds
from .services import DEFAULT_PRESET, PRESETS, Period, PeriodError, check_period, preset_period

DATE_HINT = "Pick a date, or type it like this: 2026-10-01."


class PeriodForm(FlaskForm):
    """One form for both ways of choosing: `preset=30`, or `from=...&to=...` (custom dates).

    `today` and `recovery_start` are the patient's, given by the view, so the form decides
    without reading the signed-in user itself. After `validate()`, `period` holds the dates.
    """

    class Meta:
        csrf = False  # a GET form that changes nothing

    preset = RadioField(
        "Which days should the report cover?",
        choices=list(PRESETS.items())[:-1],
        default=DEFAULT_PRESET,
        validate_choice=False,
    )
    start = DateField(
        "First day",
        [Optional(), WithinDateBounds()],
        name="from",
        description=DATE_HINT,
        invalid_value_message="Please enter the first day as a date, for example 2026-10-01.",
    )
    end = DateField(
        "Last day",
        [Optional()],  # after today is refused with its own message
        name="to",
        description=DATE_HINT,
        invalid_value_message="Please enter the last day as a date, for example 2026-10-28.",
    )

    def __init__(self, *args, today: date, recovery_start: date | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.recovery_start = recovery_start
        self.period: Period | None = None

    @property
    def custom(self) -> bool:
        """Dates were asked for: `preset=custom`, or dates given without any preset."""
        if self.preset.raw_data:
            return self.preset.raw_data[0] == "custom"
        return bool(self.start.raw_data or self.end.raw_data)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            if self.custom:
                return self._validate_dates()
            self.period = preset_period(
                self.preset.data or DEFAULT_PRESET,
                today=self.today,
                recovery_start=self.recovery_start,
            )
        except PeriodError as error:
            self.preset.errors.append(str(error))
            return False
        return True

    def _validate_dates(self) -> bool:
        if self.start.data is None:
            self.start.errors.append("Please enter the first day, for example 2026-10-01.")
        if self.end.data is None:
            self.end.errors.append("Please enter the last day, for example 2026-10-28.")
        if self.start.errors or self.end.errors:
            return False
        try:
            self.period = check_period(self.start.data, self.end.data, today=self.today)
        except PeriodError as error:
            self.end.errors.append(str(error))
            return False
        return True
