"""direct approach: approaches and answers, pipeline history, approach preferences and templates

Revision ID: 0010
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004"  # after the one-profile-per-account migration (chain stays linear)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approaches",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("recruiter_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("shortlist_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shared_email", sa.String(length=254), nullable=True),
        sa.Column("shared_phone", sa.String(length=32), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("approaches", schema=None) as batch_op:
        batch_op.create_index("ix_approaches_pair", ["offer_id", "candidate_id"], unique=False)
        for column in ("offer_id", "employer_id", "candidate_id", "recruiter_id", "status"):
            batch_op.create_index(batch_op.f(f"ix_approaches_{column}"), [column], unique=False)

    op.create_table(
        "pipeline_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("approach_id", sa.String(length=64), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pipeline_events", schema=None) as batch_op:
        batch_op.create_index("ix_pipeline_pair", ["offer_id", "candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pipeline_events_employer_id"), ["employer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pipeline_events_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "approach_preferences",
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("accepts_approaches", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("candidate_id"),
    )
    op.create_table(
        "approach_templates",
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("offer_id"),
    )
    with op.batch_alter_table("approach_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approach_templates_employer_id"), ["employer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("approach_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approach_templates_employer_id"))
    op.drop_table("approach_templates")
    op.drop_table("approach_preferences")
    with op.batch_alter_table("pipeline_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_events_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_pipeline_events_employer_id"))
        batch_op.drop_index("ix_pipeline_pair")
    op.drop_table("pipeline_events")
    with op.batch_alter_table("approaches", schema=None) as batch_op:
        for column in ("offer_id", "employer_id", "candidate_id", "recruiter_id", "status"):
            batch_op.drop_index(batch_op.f(f"ix_approaches_{column}"))
        batch_op.drop_index("ix_approaches_pair")
    op.drop_table("approaches")
