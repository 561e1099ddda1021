"""report truth: warning signs on their diary day; medicine and dose client ids (issue 11)

Warning events get the diary day they belong to (their check-in's date; for an event whose
check-in is gone, the patient's local day of when it was entered) and `entry_deleted_at`.
Events left behind by deleted check-ins are removed, or, where the patient had acted on them,
kept and marked "entry deleted". Medicines get a client UUID and a version, doses a client
UUID and when they were taken.

Revision ID: 0008_report_truth
Revises: 0005_accounts
"""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0008_report_truth"
down_revision = "0007_safety_net"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("entry_deleted_at", sa.DateTime(), nullable=True))
    _repair_warning_days()
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.alter_column("day", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f("ix_warning_events_day"), ["day"], unique=False)

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uuid", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    _fill_reminder_uuids()
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.alter_column("uuid", existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column("version", existing_type=sa.Integer(), server_default=None)
        batch_op.create_unique_constraint(
            batch_op.f("uq_reminders_user_id_uuid"), ["user_id", "uuid"]
        )

    with op.batch_alter_table("medicine_doses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uuid", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("taken_at", sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_medicine_doses_user_id_uuid"), ["user_id", "uuid"]
        )


def _repair_warning_days():
    """Each event onto its check-in's date; orphans (check-in deleted) removed or marked."""
    bind = op.get_bind()
    events = sa.table(
        "warning_events",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("checkin_id", sa.Integer),
        sa.column("occurred_at", sa.DateTime),
        sa.column("action", sa.String),
        sa.column("day", sa.Date),
        sa.column("entry_deleted_at", sa.DateTime),
    )
    checkins = sa.table("checkins", sa.column("id", sa.Integer), sa.column("date", sa.Date))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("timezone", sa.String))
    checkin_date = (
        sa.select(checkins.c.date).where(checkins.c.id == events.c.checkin_id).scalar_subquery()
    )
    bind.execute(events.update().where(events.c.checkin_id.is_not(None)).values(day=checkin_date))
    bind.execute(events.delete().where(events.c.checkin_id.is_(None), events.c.action.is_(None)))
    now = datetime.now(UTC).replace(tzinfo=None)
    orphans = bind.execute(
        sa.select(events.c.id, events.c.occurred_at, users.c.timezone)
        .join(users, users.c.id == events.c.user_id)
        .where(events.c.day.is_(None))
    ).all()
    for event_id, occurred_at, zone in orphans:
        local = occurred_at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone or "UTC"))
        bind.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(day=local.date(), entry_deleted_at=now)
        )


def _fill_reminder_uuids():
    bind = op.get_bind()
    reminders = sa.table("reminders", sa.column("id", sa.Integer), sa.column("uuid", sa.String))
    for (reminder_id,) in bind.execute(sa.select(reminders.c.id)).all():
        bind.execute(
            reminders.update().where(reminders.c.id == reminder_id).values(uuid=str(uuid.uuid4()))
        )


def downgrade():
    with op.batch_alter_table("medicine_doses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_medicine_doses_user_id_uuid"), type_="unique")
        batch_op.drop_column("taken_at")
        batch_op.drop_column("uuid")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reminders_user_id_uuid"), type_="unique")
        batch_op.drop_column("version")
        batch_op.drop_column("uuid")
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_events_day"))
        batch_op.drop_column("entry_deleted_at")
        batch_op.drop_column("day")
