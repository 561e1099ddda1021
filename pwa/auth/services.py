"""Accounts: creating them, signing in with throttling, changing passwords."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import User
from .limits import Throttled, claim_attempt, clear_attempts
from .passwords import dummy_hash, hash_password, needs_rehash, verify_password

__all__ = ["Throttled"]


class EmailTaken(ValueError):
    pass


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int = 5
    base_delay: int = 30
    max_delay: int = 900

    @classmethod
    def from_config(cls, config) -> "ThrottlePolicy":
        return cls(
            config["LOGIN_FREE_ATTEMPTS"],
            config["LOGIN_BASE_DELAY_SECONDS"],
            config["LOGIN_MAX_DELAY_SECONDS"],
        )

    def delay_after(self, failures: int) -> int:
        """Seconds to wait after `failures` failures in a row: 0 at first, then doubling."""
        if failures < self.free_attempts:
            return 0
        return min(self.base_delay * 2 ** (failures - self.free_attempts), self.max_delay)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    name: str,
    timezone: str,
    emergency_number: str = "911",
) -> User:
    """A new account; EmailTaken when the address has one, also when two sign-ups race."""
    email = normalize_email(email)
    if find_user_by_email(session, email) is not None:
        raise EmailTaken(email)
    user = User(
        email=email,
        password_hash=hash_password(password),
        name=name.strip(),
        timezone=timezone,
        emergency_number=emergency_number,
    )
    try:
        with session.begin_nested():  # the unique address decides between two at once
            session.add(user)
    except IntegrityError:
        raise EmailTaken(email) from None
    return user


def authenticate(
    session: Session, email: str, password: str, *, now: datetime, policy: ThrottlePolicy
) -> User | None:
    """The user for these credentials, or None. Raises Throttled while the address must wait.

    The attempt is counted (and committed) before the password is checked, so parallel guesses
    cannot slip past the count; an unknown address costs the same argon2 work as a real one.
    """
    email = normalize_email(email)
    claim_attempt(session, email, now=now, policy=policy)
    user = find_user_by_email(session, email)
    stored = user.password_hash if user is not None else dummy_hash()
    if not verify_password(stored, password) or user is None:
        return None
    clear_attempts(session, email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.commit()
    return user


def change_password(user: User, current: str, new: str) -> bool:
    if not verify_password(user.password_hash, current):
        return False
    set_password(user, new)
    return True


def set_password(user: User, new: str) -> None:
    """A new password; the version bump revokes every link sent by e-mail before it."""
    user.password_hash = hash_password(new)
    user.token_version = (user.token_version or 1) + 1
