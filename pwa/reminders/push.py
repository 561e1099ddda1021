"""Web Push subscriptions: checking what a browser sends, storing it for its patient."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from ipaddress import ip_address
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    PushSubscription,
    User,
)


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
    """A push service URL: https to a named host (never this machine or a private address)."""
    if not isinstance(endpoint, str) or len(endpoint) > 2048:
        raise InvalidSubscription("endpoint is missing or too long")
    parts = urlsplit(endpoint)
    if allow_any_host and parts.scheme in ("http", "https") and parts.hostname:
        return endpoint
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidSubscription("endpoint must be an https URL")
    host = parts.hostname
    try:
        ip_address(host)
    except ValueError:
        pass
    else:
        raise InvalidSubscription("endpoint must name a push service")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise InvalidSubscription("endpoint must name a push service")
    return endpoint


def save_subscription(
    session: Session, patient: User, data: object, now: datetime, allow_any_host: bool = False
) -> PushSubscription:
    """Stores a browser's subscription (PushSubscription.toJSON()) for the patient.

    The same browser signing in as another patient moves the subscription to that patient.
    """
    if not isinstance(data, dict):
        raise InvalidSubscription("send the subscription as a JSON object")
    endpoint = check_endpoint(data.get("endpoint"), allow_any_host)
    keys = data["keys"] if isinstance(data.get("keys"), dict) else {}
    p256dh = _b64url(keys.get("p256dh"), 65, "keys.p256dh")
    auth = _b64url(keys.get("auth"), 16, "keys.auth")
    subscription = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint, created_at=now)
        session.add(subscription)
    subscription.user_id, subscription.p256dh, subscription.auth = patient.id, p256dh, auth
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
