"""Web Push subscriptions: checking what a browser sends, storing it for its patient."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import PushSubscription, User
from .endpoints import UnsafeEndpoint, check_endpoint_url


class InvalidSubscription(ValueError):
    pass


def _b64url(text: object, length: int, name: str) -> str:
    if not isinstance(text, str) or not text:
        raise InvalidSubscription(f"{name} is missing")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscription(f"{name} is not base64url") from None
    if len(raw) != length:
        raise InvalidSubscription(f"{name} has the wrong length")
    return text.rstrip("=")


def check_endpoint(endpoint: object, allow_any_host: bool = False) -> str:
    """A push service URL: https to a named public host (see pwa.reminders.endpoints)."""
    if not isinstance(endpoint, str) or len(endpoint) > 2048:
        raise InvalidSubscription("endpoint is missing or too long")
    try:
        return check_endpoint_url(endpoint, allow_any_host)
    except UnsafeEndpoint as error:
        raise InvalidSubscription(str(error)) from None


class SubscriptionTaken(InvalidSubscription):
    """The endpoint is another account's: the browser must subscribe anew for this one."""


def save_subscription(
    session: Session, patient: User, data: object, now: datetime, allow_any_host: bool = False
) -> PushSubscription:
    """Stores a browser's subscription (PushSubscription.toJSON()) for the patient.

    An endpoint another patient holds is never moved silently (an endpoint is all it takes to
    claim someone's notifications): SubscriptionTaken, and the browser makes a new one.
    """
    if not isinstance(data, dict):
        raise InvalidSubscription("send the subscription as a JSON object")
    endpoint = check_endpoint(data.get("endpoint"), allow_any_host)
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    p256dh = _b64url(keys.get("p256dh"), 65, "keys.p256dh")
    auth = _b64url(keys.get("auth"), 16, "keys.auth")
    subscription = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint, created_at=now, user_id=patient.id)
        session.add(subscription)
    elif subscription.user_id != patient.id:
        raise SubscriptionTaken("this subscription belongs to another account")
    subscription.p256dh, subscription.auth = p256dh, auth
    return subscription


def delete_subscription(session: Session, patient: User, endpoint: object) -> bool:
    subscription = session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == patient.id
        )
    )
    if subscription is None:
        return False
    session.delete(subscription)
    return True


def has_push(session: Session, patient: User) -> bool:
    return (
        session.scalar(
            select(PushSubscription.id).where(PushSubscription.user_id == patient.id).limit(1)
        )
        is not None
    )
