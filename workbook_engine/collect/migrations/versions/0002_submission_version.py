"""A version counter on each submission: every state change is a conditional update on the state and
version the actor saw (issue 26), so a stale or concurrent second change is refused instead of lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('version')
