"""Server-side sessions: one `DeviceSession` row per signed-in browser.

The browser holds two random ids: the session id (inside the signed session cookie) and, when
"Keep me signed in" was ticked, a remember token (its own cookie). The database keeps only their
SHA-256 digests. A session id is good while the row exists, was used in the last
`idle` and is younger than `absolute`; the remember token brings a lapsed session back with new
ids (each token works once) for `remember` after its last use. Signing out deletes the row.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ..models import DeviceSession, Profile, User, local_today

# last_seen_at is written at most this often: a page view need not be a database write.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    remember: timedelta = timedelta(days=30)

    @classmethod
    def from_config(cls, config) -> SessionPolicy:
        return cls(
            timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
            timedelta(days=config["REMEMBER_DAYS"]),
        )

    def session_alive(self, device: DeviceSession | Any, now: datetime) -> bool:
        """Used in the last `idle` and younger than `absolute` (a device row, or a row of
        `signed_in_query` with the same two columns)."""
        return (
            device.last_seen_at + self.idle > now
            and device.session_started_at + self.absolute > now
        )


@dataclass(frozen=True)
class Issued:
    """What the browser is given: the device row, its session id and maybe a remember token."""

    device: DeviceSession
    session_id: str
    remember_token: str | None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_device(
    session: Session,
    user: User,
    *,
    user_agent: str,
    remember: bool,
    now: datetime,
    policy: SessionPolicy,
) -> Issued:
    """A new session for a fresh sign-in (new ids: nothing from before the sign-in carries over)."""
    session.execute(delete(DeviceSession).where(*_lapsed(user.id, now, policy)))
    session_id = new_token()
    remember_token = new_token() if remember else None
    device = DeviceSession(
        user_id=user.id,
        session_hash=digest(session_id),
        remember_hash=digest(remember_token) if remember_token else None,
        remember_expires_at=now + policy.remember if remember_token else None,
        user_agent=(user_agent or "")[:300],
        created_at=now,
        session_started_at=now,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    return Issued(device, session_id, remember_token)


def _lapsed(user_id: int, now: datetime, policy: SessionPolicy) -> tuple:
    """Rows of this user that can never sign anyone in again."""
    return (
        DeviceSession.user_id == user_id,
        or_(
            DeviceSession.last_seen_at <= now - policy.idle,
            DeviceSession.session_started_at <= now - policy.absolute,
        ),
        or_(DeviceSession.remember_expires_at.is_(None), DeviceSession.remember_expires_at <= now),
    )


# A device by its session id's digest, its user and their recovery profile loaded in the same
# query (a check-in's computed signs read the profile). Built once: every signed-in request
# runs it, and building a statement costs more than running it.
LIVE_DEVICE = (
    select(DeviceSession)
    .options(joinedload(DeviceSession.user).joinedload(User.profile))
    .where(DeviceSession.session_hash == bindparam("session_hash"))
)


def find_device(
    session: Session, session_id: str | None, *, now: datetime, policy: SessionPolicy
) -> DeviceSession | None:
    """The live device for this session id, its last use noted; None once it has ended.
    Its user comes in the same query (every signed-in request needs both)."""
    if not session_id:
        return None
    device = session.scalar(LIVE_DEVICE, {"session_hash": digest(session_id)})
    if device is None or not policy.session_alive(device, now):
        return None
    if now - device.last_seen_at >= TOUCH_EVERY:
        device.last_seen_at = now
        session.commit()
    return device


@dataclass(frozen=True)
class RecoveryFacts:
    """What a check-in's computed signs read of the recovery profile (the Profile's names)."""

    fracture_date: date | None
    procedure_date: date | None
    blood_thinner: bool | None

    @property
    def start_date(self) -> date | None:
        return self.procedure_date or self.fracture_date


@dataclass(frozen=True)
class SignedIn:
    """A signed-in patient as the API's hot write path needs them: read with their device in
    one Core query (`signed_in_query`), with no ORM objects to build. It answers what the
    check-in services ask of a patient (`pwa.checkin.services.Patient`): the id, "today" in
    the patient's zone, and the recovery facts."""

    id: int
    timezone: str
    profile: RecoveryFacts | None

    def today(self, now: datetime | None = None) -> date:
        return local_today(self.timezone, now)

    @classmethod
    def of(cls, user: User) -> SignedIn:
        """The same facts of a user loaded by the ORM (a remembered browser's sign-in)."""
        profile = user.profile
        facts = (
            RecoveryFacts(profile.fracture_date, profile.procedure_date, profile.blood_thinner)
            if profile
            else None
        )
        return cls(user.id, user.timezone, facts)


def signed_in_query(*columns: Any) -> Select:
    """The device with this session id's digest (`session_hash`), its user and their recovery
    facts as one row of columns (plus `columns`, for a caller that joins more)."""
    return (
        select(
            DeviceSession.id.label("device_id"),
            DeviceSession.last_seen_at,
            DeviceSession.session_started_at,
            User.id.label("user_id"),
            User.timezone,
            Profile.id.label("profile_id"),
            Profile.fracture_date,
            Profile.procedure_date,
            Profile.blood_thinner,
            *columns,
        )
        .select_from(DeviceSession)
        .join(User, User.id == DeviceSession.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(DeviceSession.session_hash == bindparam("session_hash"))
    )


def signed_in_from(
    session: Session, row: Any, *, now: datetime, policy: SessionPolicy
) -> SignedIn | None:
    """The patient of a `signed_in_query` row while its session lives, its last use noted as
    `find_device` notes it; None once it has ended."""
    if row is None or not policy.session_alive(row, now):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        session.execute(
            update(DeviceSession).where(DeviceSession.id == row.device_id).values(last_seen_at=now)
        )
        session.commit()
    facts = None
    if row.profile_id is not None:
        facts = RecoveryFacts(row.fracture_date, row.procedure_date, row.blood_thinner)
    return SignedIn(row.user_id, row.timezone, facts)


def resume_device(
    session: Session, remember_token: str | None, *, now: datetime, policy: SessionPolicy
) -> Issued | None:
    """A remembered browser back after its session lapsed: new session id, new remember token.

    The swap is one conditional UPDATE, so a token used twice at once resumes only one of them.
    """
    if not remember_token:
        return None
    session_id, fresh = new_token(), new_token()
    swapped = session.execute(
        update(DeviceSession)
        .where(
            DeviceSession.remember_hash == digest(remember_token),
            DeviceSession.remember_expires_at > now,
        )
        .values(
            session_hash=digest(session_id),
            remember_hash=digest(fresh),
            remember_expires_at=now + policy.remember,
            session_started_at=now,
            last_seen_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        session.rollback()
        return None
    session.commit()
    device = session.scalar(
        select(DeviceSession).where(DeviceSession.session_hash == digest(session_id))
    )
    return Issued(device, session_id, fresh) if device is not None else None


def end_session(session: Session, session_id: str | None) -> None:
    """Sign-out: this browser's session and remember token end at once."""
    if session_id:
        session.execute(
            delete(DeviceSession).where(DeviceSession.session_hash == digest(session_id))
        )


def end_device(session: Session, user: User, device_id: int) -> bool:
    """ "Sign out" next to one device on the account page (only the patient's own devices)."""
    result = session.execute(
        delete(DeviceSession).where(DeviceSession.id == device_id, DeviceSession.user_id == user.id)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]  # a DELETE's CursorResult


def end_all(session: Session, user: User, *, keep: DeviceSession | None = None) -> None:
    """Every session and remember token of the patient ends, except the one in `keep`."""
    condition = [DeviceSession.user_id == user.id]
    if keep is not None:
        condition.append(DeviceSession.id != keep.id)
    session.execute(delete(DeviceSession).where(*condition))


def renew_remember(device: DeviceSession, *, now: datetime, policy: SessionPolicy) -> str | None:
    """After a password change the device keeps its place with a new remember token."""
    if device.remember_hash is None:
        return None
    token = new_token()
    device.remember_hash = digest(token)
    device.remember_expires_at = now + policy.remember
    return token


def list_devices(
    session: Session, user: User, *, now: datetime, policy: SessionPolicy
) -> list[DeviceSession]:
    """The patient's signed-in devices (a live session or a valid remember token), latest first."""
    rows = session.scalars(
        select(DeviceSession)
        .where(DeviceSession.user_id == user.id)
        .order_by(DeviceSession.last_seen_at.desc())
    ).all()
    return [
        d
        for d in rows
        if policy.session_alive(d, now) or (d.remember_expires_at and d.remember_expires_at > now)
    ]


_BROWSERS = [
    ("Edg/", "Edge"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("OPR/", "Opera"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("iPhone", "an iPhone"),
    ("iPad", "an iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Macintosh", "a Mac"),
    ("CrOS", "a Chromebook"),
    ("Linux", "Linux"),
]


def describe_agent(user_agent: str) -> str:
    """'Chrome on Android', 'Safari on an iPhone': what a patient recognises, not the raw string."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if re.search(r"HeadlessChrome", user_agent):
        browser = "Chrome"
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "An unknown browser")
