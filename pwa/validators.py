"""Validators shared by several forms."""

import re
from datetime import UTC, date, datetime

from flask_login import current_user
from wtforms.validators import ValidationError


class NotInFuture:
    """The date is today or earlier in the signed-in patient's own time zone."""

    def __init__(self, message: str = "This date is in the future. Please check it.") -> None:
        self.message = message

    def __call__(self, _form, field) -> None:
        today = current_user.today() if current_user.is_authenticated else date.today()
        if field.data and field.data > today:
            raise ValidationError(self.message)


# --- Bounds every date and every query takes (issue 13) ----------------------------------------
# Year 1 and year 9999 are valid Python dates, but a day added or a time zone applied takes
# them out of range; no recovery diary needs a day outside these.

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_BOUNDS_MESSAGE = "Please check the year: it must be between 1900 and 2100."


def within_date_bounds(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


class WithinDateBounds:
    """A form date between EARLIEST_DATE and LATEST_DATE."""

    def __call__(self, _form, field) -> None:
        if field.data and not within_date_bounds(field.data):
            raise ValidationError(DATE_BOUNDS_MESSAGE)


def query_dates(args, names: tuple[str, ...] = ("from", "to")) -> tuple[dict, dict]:
    """Dates from a query string (`?from=2026-11-01&to=2026-11-30`): (dates, errors per name).

    A missing or empty parameter is left out of both; anything that is not a YYYY-MM-DD date
    between 1900 and 2100 is an error with a message that says what to send.
    """
    dates: dict[str, date] = {}
    errors: dict[str, list[str]] = {}
    for name in names:
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw) if _ISO_DATE.fullmatch(raw) else None
        except ValueError:
            day = None
        if day is None:
            errors[name] = ["Please use a date like 2026-11-21."]
        elif not within_date_bounds(day):
            errors[name] = [DATE_BOUNDS_MESSAGE]
        else:
            dates[name] = day
    return dates, errors


def utc_moment(text: str | None) -> datetime | None:
    """A moment sent back by a page (a dose's occurrence): naive UTC, or None when it is not one.

    A time-zone offset ("...T08:00-05:00", "...Z") is honoured and converted; a moment
    outside 1900-2100 is refused, since the schedule arithmetic around it would overflow.
    """
    if not text or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if not within_date_bounds(moment.date()):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
