"""Template globals and filters shared by every page."""

import re
from datetime import date, datetime

from flask import Flask, current_app, request
from flask_login import current_user
from markupsafe import Markup

from .navigation import NAV_ITEMS, back_link, current_section
from .timezones import uses_fahrenheit, utc_to_local


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
            # Offered on the home screen and in the library only: never over a form.
            "install_banner": request.endpoint == "main.index"
            or (request.endpoint or "").startswith("learn."),
        }

    app.add_template_filter(when)
    app.add_template_filter(phone)
    app.add_template_filter(temperatures)
    app.add_template_filter(local_time)
    # The older names render the same one format (issue 17), for templates still using them.
    app.add_template_filter(when, "long_date")
    app.add_template_filter(when, "short_date")
    app.add_template_filter(when, "local_datetime")


def local_time(value: datetime | None, zone: str | None = None) -> str:
    """'6:48 am' in the patient's zone: the time part of the one format."""
    if value is None:
        return ""
    local = utc_to_local(value, zone or current_user.timezone)
    return f"{local:%-I:%M %p}".replace("AM", "am").replace("PM", "pm")


def when(value: date | datetime | None, zone: str | None = None) -> str:
    """The app's one date format: 'Sun 29 Nov 2026', and ', 6:48 am' for a moment in time.

    A `datetime` is a stored naive-UTC moment, shown in the patient's zone; a `date` is
    already the patient's local date.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{when(utc_to_local(value, zone or current_user.timezone).date())}, " + (
            local_time(value, zone)
        )
    return f"{value:%a} {value.day} {value:%b %Y}"


def phone(number: str | None) -> Markup:
    """A phone number whose groups never break inside: '010-2030' stays whole on one line."""
    groups = (number or "").split()
    return Markup(" ").join(Markup('<span class="nowrap">{}</span>').format(g) for g in groups)


CELSIUS_FIRST = re.compile(r"(\d+(?:\.\d+)?) ?°C \((\d+(?:\.\d+)?) ?°F\)")


def temperatures(text: str, zone: str | None = None) -> str:
    """'38.0 °C (100.4 °F)' as '100.4 °F (38.0 °C)' for a patient in the United States."""
    if zone is None:
        zone = current_user.timezone if current_user.is_authenticated else ""
    if not uses_fahrenheit(zone):
        return text
    return CELSIUS_FIRST.sub(r"\2 °F (\1 °C)", text)
