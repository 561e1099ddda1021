"""Invitations and access. A caregiver reads a patient's data only through `access_for`, which
answers only while the patient's invitation is accepted and not removed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.services import normalize_email
from ..data.access import record_access
from ..models import Caregiver, CheckIn, CheckInAuthor, User

TOKEN_BYTES = 32


class InviteError(ValueError):
    """An invitation that cannot be made or accepted; the message is for the person."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session, patient: User, email: str, can_check_in: bool, now: datetime
) -> tuple[Caregiver, str]:
    """A pending invitation to `email`, and its token (only ever in the e-mail)."""
    email = normalize_email(email)
    if email == patient.email:
        raise InviteError("That is your own address. Please enter your caregiver's address.")
    for row in caregivers_of(session, patient):
        known = row.caregiver.email if row.caregiver else row.email
        if email in (known, row.email):
            raise InviteError("This person is already invited or already has access.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = Caregiver(
        patient_id=patient.id,
        email=email,
        invite_token_hash=hash_token(token),
        can_check_in=can_check_in,
        invited_at=now,
    )
    session.add(row)
    record_access(session, patient, "caregiver_invited", email, now)
    return row, token


def find_invitation(session: Session, token: str) -> Caregiver | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(
        select(Caregiver).where(
            Caregiver.invite_token_hash == hash_token(token), Caregiver.accepted_at.is_(None)
        )
    )


def accept(session: Session, row: Caregiver, caregiver: User, now: datetime) -> None:
    if caregiver.id == row.patient_id:
        raise InviteError("This invitation is for someone else to follow your diary.")
    already = access_for(session, caregiver, row.patient_id)
    if already is not None:
        session.delete(row)
        return
    row.caregiver_id = caregiver.id
    row.accepted_at = now
    row.invite_token_hash = None
    patient = session.get(User, row.patient_id)
    assert patient is not None
    record_access(
        session, patient, "caregiver_joined", f"{caregiver.name} ({caregiver.email})", now
    )


def caregivers_of(session: Session, patient: User) -> list[Caregiver]:
    return list(
        session.scalars(
            select(Caregiver)
            .where(Caregiver.patient_id == patient.id)
            .order_by(Caregiver.invited_at, Caregiver.id)
        )
    )


def patients_of(session: Session, caregiver: User) -> list[Caregiver]:
    """The accepted invitations of this caregiver, with their patients."""
    return list(
        session.scalars(
            select(Caregiver)
            .where(Caregiver.caregiver_id == caregiver.id, Caregiver.accepted_at.is_not(None))
            .order_by(Caregiver.accepted_at)
        )
    )


def access_for(session: Session, caregiver: User, patient_id: int) -> Caregiver | None:
    """The caregiver's accepted access to this patient, or None (nothing of them is shown)."""
    return session.scalar(
        select(Caregiver).where(
            Caregiver.patient_id == patient_id,
            Caregiver.caregiver_id == caregiver.id,
            Caregiver.accepted_at.is_not(None),
        )
    )


def own_row(session: Session, patient: User, row_id: int) -> Caregiver | None:
    return session.scalar(
        select(Caregiver).where(Caregiver.id == row_id, Caregiver.patient_id == patient.id)
    )


def remove(session: Session, patient: User, row: Caregiver, now: datetime) -> None:
    """Takes the access away at once: the row is deleted, so `access_for` finds nothing."""
    who = row.caregiver.name if row.caregiver else row.email
    session.delete(row)
    record_access(session, patient, "caregiver_removed", who, now)


def record_view(session: Session, access: Caregiver, what: str, now: datetime) -> None:
    patient = session.get(User, access.patient_id)
    assert patient is not None and access.caregiver is not None
    record_access(session, patient, "caregiver_view", f"{access.caregiver.name}: {what}", now)


def mark_entered_by(
    session: Session, patient: User, checkin: CheckIn, caregiver: User, now: datetime
) -> None:
    """Marks a check-in the caregiver entered ("entered by <name>") and logs it for the patient."""
    session.add(
        CheckInAuthor(checkin_id=checkin.id, caregiver_id=caregiver.id, name=caregiver.name)
    )
    detail = f"{caregiver.name}: check-in of {checkin.date.isoformat()}"
    record_access(session, patient, "caregiver_checkin", detail, now)


def authors(session: Session, checkin_ids: list[int]) -> dict[int, str]:
    """Who entered each of these check-ins, when it was a caregiver."""
    if not checkin_ids:
        return {}
    return dict(
        session.execute(
            select(CheckInAuthor.checkin_id, CheckInAuthor.name).where(
                CheckInAuthor.checkin_id.in_(checkin_ids)
            )
        ).all()
    )
