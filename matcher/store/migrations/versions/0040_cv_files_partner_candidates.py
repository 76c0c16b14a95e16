"""CV files kept on request; partner-brought profiles carry their consent proof and a link code

Revision ID: 0040
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cv_files",
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("candidate_id"),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_consent", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("link_code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("link_code_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_candidates_link_code_hash", ["link_code_hash"])


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_constraint("uq_candidates_link_code_hash", type_="unique")
        batch_op.drop_column("link_code_expires_at")
        batch_op.drop_column("link_code_hash")
        batch_op.drop_column("partner_consent")
    op.drop_table("cv_files")
