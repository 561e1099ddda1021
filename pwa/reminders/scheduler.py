"""The reminder scheduler. Filled in by the reminders feature."""

from flask import Flask


def start_in_app(app: Flask) -> None:
    """Starts the in-process scheduler when SCHEDULER_ENABLED (make run); never in tests."""
