"""bone medicines (issue 12): long-interval doses found late, one row each, so `medicine_late`
is raised once per dose

Revision ID: 0013_bone_medicines
Revises: 0009_bone_health
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_bone_medicines"
down_revision = "0009_bone_health"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "late_doses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_at", sa.DateTime(), nullable=False),
        sa.Column("warning_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_late_doses_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_late_doses_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_event_id"],
            ["warning_events.id"],
            name=op.f("fk_late_doses_warning_event_id_warning_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_doses")),
        sa.UniqueConstraint(
            "reminder_id", "occurrence_at", name="uq_late_doses_reminder_id_occurrence_at"
        ),
    )
    with op.batch_alter_table("late_doses") as batch:
        batch.create_index(batch.f("ix_late_doses_user_id"), ["user_id"], unique=False)
        batch.create_index(
            batch.f("ix_late_doses_warning_event_id"), ["warning_event_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("late_doses") as batch:
        batch.drop_index(batch.f("ix_late_doses_warning_event_id"))
        batch.drop_index(batch.f("ix_late_doses_user_id"))
    op.drop_table("late_doses")
