"""Links sent by e-mail: signed, timed, for one purpose, and tied to the account's version.

A link carries the account id, its e-mail address and `token_version`. Changing the password
bumps the version, so every link sent before stops working; a reset link is spent by the
password change it makes, a verification link by the verification.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from ..models import User

VERIFY = "verify-email"
RESET = "reset-password"


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"upright-{purpose}")


def make_token(secret_key: str, user: User, purpose: str) -> str:
    payload = {"u": user.id, "e": user.email, "v": user.token_version}
    return _serializer(secret_key, purpose).dumps(payload)


def read_token(
    session: Session, secret_key: str, token: str | None, purpose: str, *, max_age: int
) -> User | None:
    """The account the link is for, or None when it is forged, expired, spent or revoked."""
    if not token:
        return None
    try:
        payload = _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = session.get(User, payload["u"])
    if user is None or user.email != payload.get("e") or user.token_version != payload.get("v"):
        return None
    if purpose == VERIFY and user.email_verified:
        return None  # used already
    return user
