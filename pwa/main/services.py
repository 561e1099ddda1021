"""What the home screen shows."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Appointment, CheckIn, User, utcnow


def home_summary(session: Session, patient: User, now=None) -> dict:
    now = now or utcnow()
    checked_in_today = session.scalar(
        select(CheckIn.id).where(CheckIn.user_id == patient.id, CheckIn.date == patient.today(now))
    )
    next_appointment = session.scalar(
        select(Appointment)
        .where(
            Appointment.user_id == patient.id,
            Appointment.starts_at >= now,
            Appointment.cancelled_at.is_(None),
        )
        .order_by(Appointment.starts_at)
    )
    return {"checked_in_today": checked_in_today is not None, "next_appointment": next_appointment}
