"""Counting in the database, one statement per count, so limits hold across threads and workers.

Two counters:

- `hit`: hits per client key (an IP, an address) in a fixed window, for spraying sign-ins
  across many accounts and for floods of registrations and reset e-mails;
- `claim_attempt`: the sign-in throttle per address. An attempt is claimed *before* the password
  is checked, and the claim itself sets the lock the attempt would earn by failing, so fifty
  guesses in parallel get exactly the free attempts evaluated and the rest wait.

Both are `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, which SQLite (3.35+) and PostgreSQL
run atomically on the row.

A client's counter outlives its window only as a row that the next hit resets, so the
scheduler's tick deletes those (`prune_ended_windows`): without it, every address and IP ever
counted would stay in the table.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import DateTime, String, and_, case, delete, literal, null, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import dialect_insert
from ..models import ClientLimit, LoginThrottle

if TYPE_CHECKING:
    from .services import ThrottlePolicy


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


_insert = dialect_insert  # the dialect's INSERT, the one with `on_conflict_do_update`


def _at(moment: datetime | None) -> ColumnElement[Any]:
    return literal(moment, DateTime()) if moment is not None else null()


def hit(session: Session, key: str, *, limit: int, window: int, now: datetime) -> int:
    """Counts one hit for `key`; raises Throttled (seconds to wait) past `limit` per `window`."""
    session.commit()  # a write as the transaction's first statement waits its turn in SQLite
    key = key[:300]
    start = now - timedelta(seconds=window)
    insert = _insert(session, ClientLimit).values(key=key, window_start=now, hits=1)
    stale = ClientLimit.window_start <= start
    statement = insert.on_conflict_do_update(
        index_elements=[ClientLimit.key],
        set_={
            "hits": case((stale, 1), else_=ClientLimit.hits + 1),
            "window_start": case((stale, _at(now)), else_=ClientLimit.window_start),
        },
    ).returning(ClientLimit.hits, ClientLimit.window_start)
    hits, window_start = session.execute(statement).one()
    session.commit()
    if hits > limit:
        raise Throttled(int((window_start + timedelta(seconds=window) - now).total_seconds()) + 1)
    return hits


PRUNE_BATCH = 1000


def prune_ended_windows(session: Session, *, now: datetime, longest_window: int) -> int:
    """Deletes the client counters whose window ended more than `longest_window` seconds (the
    longest configured) ago, a batch at a time; how many. A hit on such a key would have
    started a new window at 1 anyway, so no limit changes. The window is checked again on the
    row deleted, so a hit that restarts it meanwhile keeps its row."""
    cutoff = now - timedelta(seconds=longest_window)
    ended = ClientLimit.window_start <= cutoff
    total = 0
    while True:
        batch = select(ClientLimit.key).where(ended).limit(PRUNE_BATCH)
        result = session.execute(delete(ClientLimit).where(ended, ClientLimit.key.in_(batch)))
        session.commit()
        deleted = cast(CursorResult, result).rowcount
        total += deleted
        if deleted < PRUNE_BATCH:
            return total


def check_limit(session: Session, config, name: str, value: str, *, now: datetime) -> None:
    """`hit` with the limit configured under CLIENT_LIMITS[name]."""
    limit, window = config["CLIENT_LIMITS"][name]
    hit(session, f"{name}:{value.strip().lower()}", limit=limit, window=window, now=now)


def claim_attempt(session: Session, email: str, *, now: datetime, policy: ThrottlePolicy) -> None:
    """Lets one sign-in attempt for `email` through, or raises Throttled while it must wait."""
    session.commit()
    token = secrets.token_hex(16)
    locked = and_(LoginThrottle.locked_until.is_not(None), LoginThrottle.locked_until > now)
    attempt_number = LoginThrottle.failures + 1
    # The lock this attempt earns if it fails, chosen in SQL from the attempt's number.
    steps = []
    number = 1
    while policy.delay_after(number) < policy.max_delay and number < 64:
        delay = policy.delay_after(number)
        steps.append(
            (attempt_number == number, _at(now + timedelta(seconds=delay) if delay else None))
        )
        number += 1
    lock_next = case(*steps, else_=_at(now + timedelta(seconds=policy.max_delay)))
    first_delay = policy.delay_after(1)
    insert = _insert(session, LoginThrottle).values(
        email=email,
        failures=1,
        locked_until=now + timedelta(seconds=first_delay) if first_delay else None,
        attempt=token,
        updated_at=now,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[LoginThrottle.email],
        set_={
            "failures": case((locked, LoginThrottle.failures), else_=attempt_number),
            "locked_until": case((locked, LoginThrottle.locked_until), else_=lock_next),
            "attempt": case((locked, LoginThrottle.attempt), else_=literal(token, String())),
            "updated_at": now,
        },
    ).returning(LoginThrottle.attempt, LoginThrottle.locked_until)
    claimed, locked_until = session.execute(statement).one()
    session.commit()
    if claimed != token:
        raise Throttled(int((locked_until - now).total_seconds()) + 1)


def clear_attempts(session: Session, email: str) -> None:
    """A right password: the address starts afresh."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == email))
