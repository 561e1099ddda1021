"""Links in notifications and e-mails that work without signing in: signed tokens for
"Taken"/"Snooze" (expiring) and for turning one reminder off.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from ..models import (
    Reminder,
    ReminderDelivery,
)

ACTION_TOKEN_MAX_AGE = 14 * 24 * 3600


def action_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="upright-reminder-action")


def action_token(secret_key: str, delivery_id: int) -> str:
    return action_serializer(secret_key).dumps({"d": delivery_id})


def delivery_for_token(session: Session, secret_key: str, token: str) -> ReminderDelivery | None:
    try:
        data = action_serializer(secret_key).loads(token, max_age=ACTION_TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        return None
    return session.get(ReminderDelivery, data["d"])


def off_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="upright-reminder-off")


def off_token(secret_key: str, reminder_id: int, user_id: int) -> str:
    return off_serializer(secret_key).dumps({"r": reminder_id, "u": user_id})


def reminder_for_off_token(session: Session, secret_key: str, token: str) -> Reminder | None:
    try:
        data = off_serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    reminder = session.get(Reminder, data.get("r")) if isinstance(data.get("r"), int) else None
    if reminder is None or reminder.user_id != data.get("u"):
        return None
    return reminder


def turn_off(reminder: Reminder) -> None:
    reminder.enabled = False
    reminder.next_occurrence_at = reminder.next_due_at = None
