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
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('stage', sa.String(length=20), nullable=False, server_default='goals'))
        batch.add_column(sa.Column('source_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('figures', sa.JSON(), nullable=False, server_default='{}'))
        batch.create_index('ix_submissions_stage', ['stage'])
        batch.create_foreign_key('fk_submissions_source_sha256', 'blobs', ['source_sha256'], ['sha256'])


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_constraint('fk_submissions_source_sha256', type_='foreignkey')
        batch.drop_index('ix_submissions_stage')
        batch.drop_column('figures')
        batch.drop_column('source_sha256')
        batch.drop_column('stage')
    op.drop_table('rounds')
