"""safety net (issue 10): screening gate, fall follow-up, bowel question, triage profile,
repeats of computed warning signs

Revision ID: 0007_safety_net
Revises: 0006_patient_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_safety_net"
down_revision = "0006_patient_data"
branch_labels = None
depends_on = None

CHECKIN_ANSWERS = (
    "worried",
    "fall_cannot_stand",
    "fall_hip_groin",
    "fall_hit_head",
    "bowel_movement",
)
PROFILE_ANSWERS = ("blood_thinner", "cancer_ever", "steroid_tablets")


def upgrade():
    with op.batch_alter_table("checkins") as batch:
        for name in CHECKIN_ANSWERS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=True))
    with op.batch_alter_table("profiles") as batch:
        for name in PROFILE_ANSWERS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("earlier_fractures", sa.String(length=200), nullable=True))
    with op.batch_alter_table("warning_events") as batch:
        batch.add_column(
            sa.Column("also_on", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade():
    with op.batch_alter_table("warning_events") as batch:
        batch.drop_column("also_on")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("earlier_fractures")
        for name in reversed(PROFILE_ANSWERS):
            batch.drop_column(name)
    with op.batch_alter_table("checkins") as batch:
        for name in reversed(CHECKIN_ANSWERS):
            batch.drop_column(name)
