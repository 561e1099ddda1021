"""accounts: server-side sessions, client limits, verified e-mail, link versions (issue 14)

Revision ID: 0005_accounts
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_accounts"
down_revision = "0004_reliability"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "device_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("remember_hash", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("session_started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("remember_expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_device_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_sessions")),
        sa.UniqueConstraint("remember_hash", name=op.f("uq_device_sessions_remember_hash")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_device_sessions_session_hash")),
    )
    with op.batch_alter_table("device_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "client_limits",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_client_limits")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.String(length=32), nullable=True))
    # Accounts from before this change keep their reminder e-mails (a patient's medicine
    # reminders must not stop silently on an upgrade); new addresses are confirmed by link.
    op.execute("UPDATE users SET email_verified_at = created_at WHERE email_verified_at IS NULL")


def downgrade():
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_column("attempt")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
        batch_op.drop_column("email_verified_at")
    op.drop_table("client_limits")
    with op.batch_alter_table("device_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_sessions_user_id"))
    op.drop_table("device_sessions")
