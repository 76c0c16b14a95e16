"""The outbox write: a row in the same transaction as the change, so indexes and messages catch up later."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from matcher.core.logs import request_id
from matcher.store.tables import OutboxRow


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def enqueue(session: Session, *, topic: str, entity_id: str, version: int, action: str) -> None:
    """Add the outbox row; it carries the current request id, so the task that processes it logs under it."""
    row = OutboxRow(topic=topic, entity_id=entity_id, version=version, action=action, request_id=request_id.get())
    session.add(row)
