"""Which embedding model the indexes' vectors come from.

A new model, or the same one reading more tokens, gives vectors that must not be compared with the old
ones. The store records the embedder's model id after every full indexing; a start that finds another
rebuilds the embedded indexes, or asks for a migration where Elasticsearch serves behind aliases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.store.tables import SettingRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

VECTORS_MODEL = "index.vectors_model"  # SettingRow key: model id of the vectors in the indexes
UNRECORDED = "non enregistré"  # indexed by a version that did not record the model


def recorded_model(rt: Runtime) -> str | None:
    with rt.store.read() as session:
        row = session.get(SettingRow, VECTORS_MODEL)
        return row.value if row else None


def record_model(rt: Runtime) -> None:
    """The indexes now hold the current embedder's vectors only."""
    with rt.store.transaction() as session:
        row = session.get(SettingRow, VECTORS_MODEL)
        if row is None:
            session.add(SettingRow(key=VECTORS_MODEL, value=rt.embedder.model_id))
        else:
            row.value = rt.embedder.model_id


def stale_vectors(rt: Runtime, recorded: str | None) -> str | None:
    """The model the indexed vectors come from, when it is not the embedder's (None: the same, or nothing indexed).

    ``recorded``: what the store records (:func:`recorded_model`), read once by the caller that also needs it."""
    if recorded == rt.embedder.model_id:
        return None
    if recorded is None and not any(rt.backend.count(index) for index in (OFFERS, CANDIDATES)):
        return None
    return recorded or UNRECORDED


def recorded_model_query() -> Select[Any]:
    """The recorded model as a statement, for a caller that reads it along with other things (the health check)."""
    return select(SettingRow.value).where(SettingRow.key == VECTORS_MODEL)
