"""Keyed pseudonyms by which the audit log names people, and their shredding at erasure.

A person's pseudonym is ``HMAC-SHA256(key, candidate id)`` with a random key drawn for that person
alone and kept in its own table (:class:`~matcher.store.tables.PseudonymRow`). While the person
lives, the pseudonym is computed (or looked up) to find their events; erasure deletes the key, and
the pseudonym left in past rows can then be linked to no one: the rows, and the hash chain over
them, stay as they were (crypto-shredding).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from matcher.core.erasure import erased_ids
from matcher.store.tables import PseudonymRow

# The audit log's advisory lock (``audit.record`` takes it too): a key is never drawn for a person
# while their erasure, which deletes it, is under way.
_LOCK_KEY = 0x4155444954


def _lock(session: Session) -> None:
    """Serialise with erasure on PostgreSQL (SQLite serialises writers already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def compute(key: bytes, candidate_id: str) -> str:
    return hmac.new(key, candidate_id.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonyms(session: Session, candidate_ids: Iterable[str]) -> dict[str, str]:
    """candidate id -> pseudonym, drawing a key for whoever has none yet (in the caller's transaction).

    An already erased person gets a random value kept nowhere: linkable to no one from the start.
    """
    ids = sorted(set(candidate_ids))
    if not ids:
        return {}
    _lock(session)
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        rows = session.scalars(select(PseudonymRow).where(PseudonymRow.candidate_id.in_(ids[start : start + 500])))
        found.update({r.candidate_id: compute(r.key, r.candidate_id) for r in rows})
    missing = [i for i in ids if i not in found]
    erased = erased_ids(session, kind="candidate", ids=missing)
    for candidate_id in missing:
        if candidate_id in erased:
            found[candidate_id] = secrets.token_hex(32)
            continue
        key = secrets.token_bytes(32)
        found[candidate_id] = compute(key, candidate_id)
        session.add(PseudonymRow(candidate_id=candidate_id, key=key, pseudonym=found[candidate_id]))
    session.flush()
    return found


def pseudonym(session: Session, candidate_id: str) -> str:
    return pseudonyms(session, [candidate_id])[candidate_id]


def current(session: Session, candidate_id: str) -> str | None:
    """The pseudonym of a living person, computed from their key (None once erased, or never logged)."""
    row = session.get(PseudonymRow, candidate_id)
    return compute(row.key, candidate_id) if row is not None else None


def resolve(session: Session, names: Iterable[str]) -> dict[str, str]:
    """pseudonym -> candidate id, for the living people among ``names`` (the erased ones stay unknown)."""
    wanted = sorted(set(names))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(select(PseudonymRow).where(PseudonymRow.pseudonym.in_(wanted[start : start + 500])))
        # Recomputed, not trusted: a row whose key does not give its pseudonym links nobody.
        out.update({r.pseudonym: r.candidate_id for r in rows if compute(r.key, r.candidate_id) == r.pseudonym})
    return out


def shred(session: Session, candidate_id: str) -> int:
    """Delete the person's key: their pseudonym in the audit log is unlinkable from then on."""
    _lock(session)
    result = session.execute(delete(PseudonymRow).where(PseudonymRow.candidate_id == candidate_id))
    return int(getattr(result, "rowcount", 0) or 0)
