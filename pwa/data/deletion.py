"""Deleting an account: every row of the patient, in every table, found from the schema itself.

The tables are walked from the metadata rather than listed by hand, so a table added later by
another part of the app is covered too: a row belongs to the patient when a foreign key leads
from it to the patient's `users` row (directly, or through a row that belongs to them), or when
it is keyed by the patient's e-mail address (sign-in throttling). References that are declared
`SET NULL` (a caregiver's name on someone else's check-in) are cut instead of deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import ColumnElement, Table, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from ..auth.passwords import verify_password
from ..extensions import db
from ..mail import MailSettings, UndeliverableAddress, make_message, send_mail
from ..models import User

log = logging.getLogger(__name__)

# What the patient is told will go, table by table, in plain words.
TABLE_LABELS = {
    "profiles": "Your recovery details",
    "checkins": "Daily check-ins",
    "warning_events": "Warning signs and what you did about them",
    "appointments": "Appointments, with your questions for them",
    "reminders": "Reminders and medicines",
    "reminder_settings": "Your reminder settings",
    "reminder_deliveries": "Reminders sent",
    "medicine_doses": "Medicine doses you answered",
    "push_subscriptions": "Phones and browsers set up for notifications",
    "share_links": "Links for your doctor",
    "caregivers": "Caregivers (and people you care for)",
    "checkin_authors": "Notes of who entered a check-in",
    "access_log": "Entries in your access log",
    "login_throttles": "Records of failed sign-ins",
    "bone_check_items": "Your bone health checklist",  # issue 12
    "height_measurements": "Your height measurements",  # issue 12
    "late_doses": "Notes of late bone-medicine doses",  # issue 12
}


class WrongPassword(ValueError):
    pass


def _users() -> Table:
    return User.__table__


def owned_condition(table: Table, user_id: int, email: str) -> ColumnElement[bool] | None:
    """The WHERE clause selecting the rows of `table` that belong to the patient, or None."""
    users = _users()
    conditions: list[ColumnElement[bool]] = []
    if table is users:
        return users.c.id == user_id
    for fk in table.foreign_keys:
        if fk.ondelete and fk.ondelete.upper() == "SET NULL":
            continue
        target = fk.column.table
        if target is users:
            conditions.append(fk.parent == user_id)
        elif target is not table:
            parent = owned_condition(target, user_id, email)
            if parent is not None:
                conditions.append(fk.parent.in_(select(fk.column).where(parent)))
    if "email" in table.c and not any(fk.column.table is users for fk in table.foreign_keys):
        conditions.append(table.c.email == email)
    return or_(*conditions) if conditions else None


def _nulled_references(table: Table, user_id: int):
    """`SET NULL` references to the patient in other people's rows, to cut."""
    for fk in table.foreign_keys:
        if fk.column.table is _users() and fk.ondelete and fk.ondelete.upper() == "SET NULL":
            yield fk.parent


@dataclass(frozen=True)
class SummaryLine:
    table: str
    label: str
    count: int


def deletion_summary(session: Session, patient: User) -> list[SummaryLine]:
    """How many rows of each kind deleting the account removes (kinds with none left out)."""
    lines = []
    for table in db.metadata.sorted_tables:
        if table is _users():
            continue
        condition = owned_condition(table, patient.id, patient.email)
        if condition is None:
            continue
        count = session.scalar(select(func.count()).select_from(table).where(condition)) or 0
        if count:
            label = TABLE_LABELS.get(table.name, table.name.replace("_", " ").capitalize())
            lines.append(SummaryLine(table.name, label, count))
    return lines


def delete_account(session: Session, patient: User) -> dict[str, int]:
    """Deletes every row of `patient` (not committed). Returns rows deleted per table."""
    user_id, email = patient.id, patient.email
    counts: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        for column in _nulled_references(table, user_id):
            session.execute(update(table).where(column == user_id).values({column.key: None}))
    # Children first, so each condition still finds the parent rows it goes through.
    for table in reversed(db.metadata.sorted_tables):
        condition = owned_condition(table, user_id, email)
        if condition is None:
            continue
        result = session.execute(delete(table).where(condition))
        counts[table.name] = getattr(result, "rowcount", 0) or 0
    # The session's copies of the deleted rows would only fail later if touched: forget them.
    # (Forgetting the user forgets what cascades from it, such as the profile, too.)
    for obj in list(session):
        identity = inspect(obj).identity
        mine = (isinstance(obj, User) and identity == (user_id,)) or user_id in (
            getattr(obj, "user_id", None),
            getattr(obj, "patient_id", None),
        )
        if mine and obj in session:
            session.expunge(obj)
    return counts


@dataclass(frozen=True)
class Deleted:
    name: str
    email: str
    summary: list[SummaryLine]


def delete_account_checked(session: Session, patient: User, password: str) -> Deleted:
    """Deletes the account after checking the password, and commits. The caller ends the
    session and then sends the confirmation (`send_deletion_confirmation`)."""
    if not verify_password(patient.password_hash, password):
        raise WrongPassword()
    deleted = Deleted(patient.name, patient.email, deletion_summary(session, patient))
    delete_account(session, patient)
    session.commit()
    return deleted


def send_deletion_confirmation(
    app: Flask, *, name: str, email: str, summary: list[SummaryLine], now: datetime
) -> bool:
    """The confirmation e-mail; a mail server that is down is logged, never an error page
    (the account is already gone)."""
    context = {"name": name, "summary": summary, "now": now}
    try:
        # The app's own Jinja environment, without the page context (no request in the CLI).
        text = app.jinja_env.get_template("data/deleted_email.txt").render(**context)
        settings = MailSettings.from_config(app.config)
        message = make_message(
            settings,
            to_name=name,
            to_email=email,
            subject="Your Upright account is deleted",
            text=text,
        )
    except UndeliverableAddress as error:
        log.warning("deletion confirmation to %s not built: %s", email, error)
        return False
    return send_mail(settings, message)
