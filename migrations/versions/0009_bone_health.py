"""bone health (issue 12): the follow-through checklist, measured heights, long-interval
medicines (drug, booking ahead, reminders that belong to a medicine), and appointment
questions ticked as asked, suggestions removed and notes after the visit

Revision ID: 0009_bone_health
Revises: 0008_report_truth
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_bone_health"
down_revision = "0008_report_truth"
branch_labels = None
depends_on = None

APPOINTMENT_LISTS = ("questions_asked", "suggestions_dismissed")


def upgrade():
    op.create_table(
        "bone_check_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("t_score", sa.Float(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bone_check_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bone_check_items")),
        sa.UniqueConstraint("user_id", "item", name="uq_bone_check_items_user_id_item"),
    )
    op.create_table(
        "height_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_height_measurements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_height_measurements")),
        sa.UniqueConstraint("user_id", "uuid", name="uq_height_measurements_user_id_uuid"),
    )
    with op.batch_alter_table("height_measurements") as batch:
        batch.create_index(batch.f("ix_height_measurements_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("tallest_height_mm", sa.Integer(), nullable=True))
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("drug", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("book_ahead_weeks", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_reminders_parent_id"), ["parent_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_reminders_parent_id_reminders"),
            "reminders",
            ["parent_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("appointments") as batch:
        for name in APPOINTMENT_LISTS:
            batch.add_column(
                sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
            )
        batch.add_column(sa.Column("visit_notes", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("visit_notes")
        for name in reversed(APPOINTMENT_LISTS):
            batch.drop_column(name)
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint(batch.f("fk_reminders_parent_id_reminders"), type_="foreignkey")
        batch.drop_index(batch.f("ix_reminders_parent_id"))
        batch.drop_column("parent_id")
        batch.drop_column("book_ahead_weeks")
        batch.drop_column("drug")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("tallest_height_mm")
    with op.batch_alter_table("height_measurements") as batch:
        batch.drop_index(batch.f("ix_height_measurements_user_id"))
    op.drop_table("height_measurements")
    op.drop_table("bone_check_items")
