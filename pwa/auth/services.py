"""Accounts: creating them, signing in with throttling, changing passwords."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import LoginThrottle, User
from .passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password


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


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


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

    Each failure is committed, so the count holds across workers and restarts.
    """
    email = normalize_email(email)
    throttle = session.get(LoginThrottle, email)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise Throttled(int((throttle.locked_until - now).total_seconds()) + 1)

    user = find_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password) and user is not None
    if ok:
        if throttle:
            session.delete(throttle)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        session.commit()
        return user

    _count_failure(session, email, throttle, now, policy)
    return None


def _count_failure(
    session: Session,
    email: str,
    throttle: LoginThrottle | None,
    now: datetime,
    policy: ThrottlePolicy,
) -> None:
    """Adds one failure for the address and commits it. When a parallel first failure made
    the row meanwhile, the count goes on that row, as if this failure had come second."""
    if throttle is None:
        try:
            with session.begin_nested():
                session.add(LoginThrottle(email=email, failures=1, locked_until=None))
        except IntegrityError:
            throttle = session.get(LoginThrottle, email, populate_existing=True)
            if throttle is None:
                raise
        else:
            session.commit()
            return
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == email)
        .values(failures=LoginThrottle.failures + 1)
    )  # counted in the database, so parallel failures all count
    session.refresh(throttle)
    delay = policy.delay_after(throttle.failures)
    throttle.locked_until = now + timedelta(seconds=delay) if delay else None
    session.commit()


def change_password(user: User, current: str, new: str) -> bool:
    if not verify_password(user.password_hash, current):
        return False
    user.password_hash = hash_password(new)
    return True
