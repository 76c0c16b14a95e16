"""one profile per account, audit pseudonym keys, offer references unique per (source, employer)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:00:00

- ``accounts.candidate_id`` becomes unique (a profile has at most one account). Should two accounts
  share a profile already, the oldest keeps it and the others are unlinked (an admin binding someone
  else's profile was the only way there; erasing through either would have erased both).
- ``candidates.owner_account_id`` (unique): the account whose holder created the profile, filled in
  from the existing links, so one account owns at most one profile and erasure finds it.
- ``audit_pseudonyms``: the per-person keys of the audit log's pseudonyms (crypto-shredding).
- ``offers``: ``(source, external_ref)`` was unique across employers; now ``(source, employer_id,
  external_ref)``.
- ``embedding_cache.owner``: the candidate a cached profile vector belongs to, so erasure removes the
  vectors of every version of the profile. Rows cached before cannot be attributed: they go (texts
  are embedded again when needed).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _unlink_shared_profiles() -> None:
    accounts = sa.table(
        "accounts", sa.column("id", sa.String), sa.column("candidate_id", sa.String), sa.column("created_at")
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c.candidate_id)
        .where(accounts.c.candidate_id.is_not(None))
        .order_by(accounts.c.candidate_id, accounts.c.created_at, accounts.c.id)
    ).all()
    seen: set[str] = set()
    for account_id, candidate_id in rows:
        if candidate_id in seen:
            connection.execute(sa.update(accounts).where(accounts.c.id == account_id).values(candidate_id=None))
        seen.add(candidate_id)


def upgrade() -> None:
    _unlink_shared_profiles()
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_candidate_id")
        batch_op.create_index("ix_accounts_candidate_id", ["candidate_id"], unique=True)

    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_account_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_candidates_owner_account_id", ["owner_account_id"], unique=True)
    op.execute(
        "UPDATE candidates SET owner_account_id = "
        "(SELECT accounts.id FROM accounts WHERE accounts.candidate_id = candidates.id)"
    )

    op.create_table(
        "audit_pseudonyms",
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("candidate_id"),
    )
    with op.batch_alter_table("audit_pseudonyms", schema=None) as batch_op:
        batch_op.create_index("ix_audit_pseudonyms_pseudonym", ["pseudonym"], unique=True)

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_source_ref")
        batch_op.create_index("ix_offers_source_owner_ref", ["source", "employer_id", "external_ref"], unique=True)

    op.execute("DELETE FROM embedding_cache")
    with op.batch_alter_table("embedding_cache", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_embedding_cache_owner", ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("embedding_cache", schema=None) as batch_op:
        batch_op.drop_index("ix_embedding_cache_owner")
        batch_op.drop_column("owner")

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_source_owner_ref")
        batch_op.create_index("ix_offers_source_ref", ["source", "external_ref"], unique=True)

    with op.batch_alter_table("audit_pseudonyms", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_pseudonyms_pseudonym")
    op.drop_table("audit_pseudonyms")

    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_candidates_owner_account_id")
        batch_op.drop_column("owner_account_id")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_candidate_id")
        batch_op.create_index("ix_accounts_candidate_id", ["candidate_id"], unique=False)
