"""Tasks that kept failing: recorded with their arguments, listed and replayed by an admin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matcher.core.errors import Conflict, NotFound
from matcher.store.tables import DeadLetterRow


class DeadLetter(BaseModel):
    id: int
    task: str
    args: list[Any]
    error: str
    attempts: int
    failed_at: datetime
    replayed_at: datetime | None


def record(session: Session, *, task: str, args: list[Any], error: str, attempts: int) -> int:
    row = DeadLetterRow(task=task, args=args, error=error[:4000], attempts=attempts, failed_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    return row.id


def list_dead_letters(
    session: Session, *, include_replayed: bool = False, limit: int = 100, offset: int = 0
) -> list[DeadLetter]:
    query = select(DeadLetterRow)
    if not include_replayed:
        query = query.where(DeadLetterRow.replayed_at.is_(None))
    rows = session.scalars(query.order_by(DeadLetterRow.id).limit(limit).offset(offset))
    return [
        DeadLetter(
            id=r.id,
            task=r.task,
            args=list(r.args),
            error=r.error,
            attempts=r.attempts,
            failed_at=r.failed_at,
            replayed_at=r.replayed_at,
        )
        for r in rows
    ]


def take_for_replay(session: Session, *, dead_letter_id: int) -> tuple[str, list[Any]]:
    """Mark one dead letter replayed; returns (task, args) to submit again.

    Raises:
        NotFound: no such dead letter.
        Conflict: it was already replayed (a replay that fails again adds a new dead letter).
    """
    row = session.get(DeadLetterRow, dead_letter_id)
    if row is None:
        raise NotFound("lettre morte", str(dead_letter_id))
    if row.replayed_at is not None:
        raise Conflict(f"lettre morte {dead_letter_id} déjà rejouée le {row.replayed_at:%Y-%m-%d %H:%M}")
    row.replayed_at = datetime.now(UTC)
    return row.task, list(row.args)


def waiting_count_query() -> Select[int]:
    """How many dead letters are not replayed yet (/health folds it into its own single query)."""
    return select(func.count()).select_from(DeadLetterRow).where(DeadLetterRow.replayed_at.is_(None))
