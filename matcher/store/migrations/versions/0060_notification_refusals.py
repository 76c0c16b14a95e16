"""alert digests refused for good (a bad address, a mailbox that does not exist) are recorded, not retried

Revision ID: 0060
Revises: 0050

A digest the mail server refuses permanently (5xx) keeps its row with the date and the reason (addresses
masked); only digests not sent for a passing reason (4xx, server out of reach) are tried again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0060"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("refusal", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("refusal")
        batch_op.drop_column("refused_at")
