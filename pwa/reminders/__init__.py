"""Reminders: the daily check-in, appointments and medicines, by push, e-mail, in the app and in
the phone's calendar. See engine.py for how a reminder is sent once and on time."""

from flask import Blueprint

bp = Blueprint("reminders", __name__)

from . import listeners, views  # noqa: E402,F401

# New accounts get their default reminders: a listener on every flush, set up with the app.
bp.record_once(lambda _state: listeners.register())
