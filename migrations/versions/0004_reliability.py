"""reliability: the row /healthz writes to prove the database takes writes

Revision ID: 0004_reliability
Revises: 0002
Create Date: 2026-11-29 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_reliability'
down_revision = "0003_delivery_leases"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('health_probes',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_probes'))
    )


def downgrade():
    op.drop_table('health_probes')
