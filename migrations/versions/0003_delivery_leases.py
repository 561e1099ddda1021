"""reminder engine: claims read in (next_due_at, id) order, delivery log pruned by age, leases

Revision ID: 0003_delivery_leases
Revises: 0002
Create Date: 2026-11-29 14:10:00

A "sending" delivery now holds a lease in `next_attempt_at`; rows left "sending" by the code
before this revision get one that has already ended, so the next tick takes them over.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003_delivery_leases"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_next_due_at")
        batch_op.create_index("ix_reminders_next_due_at_id", ["next_due_at", "id"], unique=False)

    with op.batch_alter_table("reminder_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_deliveries_created_at", ["created_at"], unique=False)

    op.execute(
        sa.text(
            "UPDATE reminder_deliveries SET next_attempt_at = claimed_at "
            "WHERE status = 'sending' AND next_attempt_at IS NULL"
        )
    )


def downgrade():
    with op.batch_alter_table("reminder_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_deliveries_created_at")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_next_due_at_id")
        batch_op.create_index("ix_reminders_next_due_at", ["next_due_at"], unique=False)
