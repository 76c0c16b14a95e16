"""accounts carry a session generation: the pages' sessions can be ended server-side

Revision ID: 0030
Revises: 0020

A page session holds the generation its account had when it signed in; signing out, changing the
password or disabling the account increments it, and every session holding an older one ends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
