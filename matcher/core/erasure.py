"""Erasure tombstones: hashes that every write path checks, so an erased person never comes back."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.core.errors import Erased
from matcher.store.tables import ErasureRow


def erasure_keys(
    kind: str, *, entity_id: str | None = None, source: str | None = None, external_ref: str | None = None
) -> list[str]:
    """Tombstone keys: hashes of ``kind:id`` and, for partner data, ``kind:source:external_ref``."""
    names = []
    if entity_id:
        names.append(f"{kind}:{entity_id}")
    if source and external_ref and source != "direct":
        names.append(f"{kind}:{source}:{external_ref}")
    return [hashlib.sha256(name.encode("utf-8")).hexdigest() for name in names]


def is_erased(
    session: Session,
    *,
    kind: str,
    entity_id: str | None = None,
    source: str | None = None,
    external_ref: str | None = None,
) -> bool:
    keys = erasure_keys(kind, entity_id=entity_id, source=source, external_ref=external_ref)
    return bool(keys) and session.scalar(select(ErasureRow.key).where(ErasureRow.key.in_(keys)).limit(1)) is not None


def ensure_not_erased(
    session: Session,
    *,
    kind: str,
    entity_id: str | None = None,
    source: str | None = None,
    external_ref: str | None = None,
) -> None:
    """Raise :class:`Erased` when the record was erased: every create/update/sync path calls this first."""
    if is_erased(session, kind=kind, entity_id=entity_id, source=source, external_ref=external_ref):
        raise Erased("candidat" if kind == "candidate" else kind)


def erased_ids(session: Session, *, kind: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are tombstoned (the indexing job skips them whatever the outbox says)."""
    by_key = {erasure_keys(kind, entity_id=i)[0]: i for i in ids}
    if not by_key:
        return set()
    found = session.scalars(select(ErasureRow.key).where(ErasureRow.key.in_(list(by_key))))
    return {by_key[k] for k in found}


# --- shortlists -------------------------------------------------------------------------------
