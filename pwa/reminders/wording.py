"""What a reminder says and where a tap leads: plain words, nothing private on a lock screen."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import (
    Appointment,
    Reminder,
)
from .followups import FOLLOW_UP_KINDS, follow_up_title
from .schedules import (
    to_local,
)


def clock_words(at: time) -> str:
    return f"{at:%-I:%M %p}".replace("AM", "am").replace("PM", "pm")


def appointment_words(appointment: Appointment, zone: ZoneInfo, now: datetime) -> str:
    """'tomorrow at 10:00 am' / 'today at 3:30 pm' / 'on Tuesday 3 March at 9:00 am'."""
    local = to_local(appointment.starts_at, zone)
    today = to_local(now, zone).date()
    at = clock_words(local.time())
    if local.date() == today:
        return f"today at {at}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {at}"
    return f"on {local:%A} {local.day} {local:%B} at {at}"


def reminder_title(
    reminder: Reminder, zone: ZoneInfo, now: datetime, occurrence: datetime | None = None
) -> str:
    """The one line a notification shows. No details beyond it: a lock screen is public.
    `occurrence` (naive UTC) is the one being sent, for words that change with each."""
    if reminder.kind in FOLLOW_UP_KINDS:
        return follow_up_title(reminder, zone, occurrence or reminder.next_occurrence_at)
    if reminder.kind == "checkin":
        return "Time for your daily check-in"
    if reminder.kind == "medicine":
        return f"Time to take {reminder.name}"
    if reminder.kind == "bone":  # issue 12: names no item (a lock screen is public)
        return "Your bone health checklist after the fracture"
    appointment = reminder.appointment
    if appointment is None:
        return "Appointment coming up"
    return f"Appointment {appointment_words(appointment, zone, now)}"


def reminder_path(reminder: Reminder, action_token_value: str | None = None) -> str:
    """The page a tap opens."""
    if reminder.kind == "checkin":
        return "/checkin"
    if reminder.kind == "bone":  # issue 12
        return "/bone-health"
    if reminder.kind == "appointment" and reminder.appointment is not None:
        return f"/appointments/{reminder.appointment.uuid}"
    if reminder.kind == "medicine" and action_token_value:
        return f"/reminders/act/{action_token_value}"
    if reminder.kind in FOLLOW_UP_KINDS:
        return "/reminders"
    return "/"
