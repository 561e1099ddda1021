"""The access log: who saw or took the patient's data, and when. Append-only.

Every part of the app records through `record_access`; nothing updates or deletes an entry
(the ORM refuses), except deleting the whole account, which removes the log with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..models import ACCESS_KINDS, AccessLogEntry, User


class AppendOnly(RuntimeError):
    """An attempt to change or remove an access-log entry."""


def record_access(
    session: Session,
    user: User,
    kind: str,
    detail: str | None,
    now: datetime,
    *,
    share_link_id: int | None = None,
) -> AccessLogEntry:
    """Adds one entry to `user`'s log (committed with the caller's transaction)."""
    if kind not in ACCESS_KINDS:
        raise ValueError(f"unknown access kind {kind!r}")
    entry = AccessLogEntry(
        user_id=user.id,
        kind=kind,
        detail=(detail or None) and detail[:300],
        share_link_id=share_link_id,
        at=now,
    )
    session.add(entry)
    return entry


def access_log(session: Session, patient: User, limit: int = 200) -> list[AccessLogEntry]:
    """The patient's log, newest first."""
    return list(
        session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.user_id == patient.id)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
        )
    )


def kind_label(kind: str) -> str:
    return ACCESS_KINDS.get(kind, kind.replace("_", " ").capitalize())


@event.listens_for(AccessLogEntry, "before_update")
def _refuse_update(_mapper, _connection, _target) -> None:
    raise AppendOnly("access-log entries are never changed")


@event.listens_for(AccessLogEntry, "before_delete")
def _refuse_delete(_mapper, _connection, _target) -> None:
    raise AppendOnly("access-log entries are never deleted one by one")
