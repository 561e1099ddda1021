"""What the home screen shows."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..appointments.services import next_appointment
from ..models import CheckIn, User, utcnow


def home_summary(session: Session, patient: User, now: datetime | None = None) -> dict:
    now = now or utcnow()
    checked_in_today = session.scalar(
        select(CheckIn.id)
        .where(CheckIn.user_id == patient.id, CheckIn.date == patient.today(now))
        .limit(1)
    )
    return {
        "checked_in_today": checked_in_today is not None,
        "next_appointment": next_appointment(session, patient, now),
    }
