"""The county's review configuration (a wbe.toml, kept in the blob store by its SHA-256): the collection's
current one, and the one each submission was checked with (issue 21).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('collections') as batch:
        batch.add_column(sa.Column('config_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('config_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('config_sha256')
    with op.batch_alter_table('collections') as batch:
        batch.drop_column('config_sha256')
