"""Template globals and filters shared by every page."""

from datetime import date, datetime

from flask import Flask, current_app, request
from flask_login import current_user
from markupsafe import Markup

from .navigation import NAV_ITEMS, back_link, current_section
from .timezones import utc_to_local


def register(app: Flask) -> None:
    @app.context_processor
    def globals_for_templates() -> dict:
        number = (
            current_user.emergency_number
            if current_user.is_authenticated
            else current_app.config["EMERGENCY_NUMBER"]
        )
        return {
            "app_name": current_app.config["APP_NAME"],
            "app_version": current_app.config["APP_VERSION"],
            "emergency_number": number,
            "nav_items": NAV_ITEMS,
            "nav_current": current_section(request.path),
            "back": back_link(request.path),
        }

    app.add_template_filter(when)
    app.add_template_filter(phone)
    app.add_template_filter(long_date)
    app.add_template_filter(short_date)
    app.add_template_filter(local_time)
    app.add_template_filter(local_datetime)


def long_date(value: date | None) -> str:
    """'Saturday 21 November 2026': unambiguous for every reader."""
    return f"{value:%A} {value.day} {value:%B %Y}" if value else ""


def short_date(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else ""


def local_time(value: datetime | None, zone: str | None = None) -> str:
    if value is None:
        return ""
    local = utc_to_local(value, zone or current_user.timezone)
    return f"{local:%-I:%M %p}".replace("AM", "am").replace("PM", "pm")


def local_datetime(value: datetime | None, zone: str | None = None) -> str:
    if value is None:
        return ""
    local = utc_to_local(value, zone or current_user.timezone)
    return f"{long_date(local.date())}, {local_time(value, zone)}"


def when(value: date | datetime | None, zone: str | None = None) -> str:
    """The app's one date format: 'Sun 29 Nov 2026', and ', 6:48 am' for a moment in time.

    A `datetime` is a stored naive-UTC moment, shown in the patient's zone; a `date` is
    already the patient's local date.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = utc_to_local(value, zone or current_user.timezone)
        return f"{when(local.date())}, {local:%-I:%M} {local:%p}".replace("AM", "am").replace(
            "PM", "pm"
        )
    return f"{value:%a} {value.day} {value:%b %Y}"


def phone(number: str | None) -> Markup:
    """A phone number whose groups never break inside: '010-2030' stays whole on one line."""
    groups = (number or "").split()
    return Markup(" ").join(Markup('<span class="nowrap">{}</span>').format(g) for g in groups)
