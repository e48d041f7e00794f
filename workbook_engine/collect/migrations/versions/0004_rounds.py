"""Collection rounds per stage of the budget year (issue 22): a rounds table (stage, deadline, period), and
each submission's stage (existing rows are of the 目标申报 round), the uploaded form it was read from, and
the figures of the round's county overview.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('period', sa.String(length=20), nullable=False),
        sa.Column('opened_by', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id']),
        sa.ForeignKeyConstraint(['opened_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('collection_id', 'stage', name='uq_rounds_stage'),
    )
    # Plain ALTER TABLE ADD COLUMN (no batch copy of the table): on SQLite a copy would drop a table that the
    # transitions and opinions of an existing collection point to, which the enforced foreign keys refuse.
    op.add_column('submissions', sa.Column('stage', sa.String(length=20), nullable=False, server_default='goals'))
    op.add_column('submissions', sa.Column('source_sha256', sa.String(length=64), nullable=True))
    op.add_column('submissions', sa.Column('figures', sa.JSON(), nullable=False, server_default='{}'))
    op.create_index('ix_submissions_stage', 'submissions', ['stage'])


def downgrade() -> None:
    op.drop_index('ix_submissions_stage', table_name='submissions')
    for column in ('figures', 'source_sha256', 'stage'):  # SQLite >= 3.35 drops a column in place, as PostgreSQL
        op.execute(f'ALTER TABLE submissions DROP COLUMN {column}')
    op.drop_table('rounds')
