"""Keeps reminders in step with accounts, whatever code changes them.

- A new account gets the default reminders (daily check-in at 19:00, appointment reminders, all
  in the patient's zone) in the same transaction that creates it: from the sign-up form, from
  `flask users create`, from a test builder alike, with no change to the account code.
- A patient who changes time zone keeps 19:00 at 19:00 in the new zone.

Appointments are followed by the scheduler instead (by `updated_at`, see engine.py), because
they are also changed by Core UPDATE statements that never pass through a flush.
"""

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..models import ReminderSettings, User, utcnow
from .settings import create_defaults, reschedule_patient


def register() -> None:
    """Listens to every session's flush (once, however many apps are made, as in the tests)."""
    if not event.contains(Session, "before_flush", keep_reminders_in_step):
        event.listen(Session, "before_flush", keep_reminders_in_step)


def keep_reminders_in_step(session: Session, _context: object, _instances: object) -> None:
    new_users = [obj for obj in session.new if isinstance(obj, User)]
    moved = [
        obj
        for obj in session.dirty
        if isinstance(obj, User) and inspect(obj).attrs.timezone.history.has_changes()
    ]
    if not new_users and not moved:
        return
    now = utcnow()
    pending = {
        id(obj.user) for obj in session.new if isinstance(obj, ReminderSettings) and obj.user
    }
    for user in new_users:
        if id(user) not in pending:
            create_defaults(session, user, now)
    with session.no_autoflush:
        for user in moved:
            settings = session.scalar(
                select(ReminderSettings).where(ReminderSettings.user_id == user.id)
            )
            if settings is not None:
                reschedule_patient(session, user, settings, now)
