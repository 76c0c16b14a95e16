"""Which embedding model, and which way of embedding offers, the indexes' vectors come from.

A new model, the same one reading more tokens, or offers embedded another way give vectors that must not be
compared with the old ones. The store records :func:`vectors_id` after every full indexing; a start that finds
another rebuilds the embedded indexes, or asks for a migration where Elasticsearch serves behind aliases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.store.tables import SettingRow

if TYPE_CHECKING:
    from matcher.embedding.protocol import Embedder
    from matcher.runtime import Runtime

VECTORS_MODEL = "index.vectors_model"  # SettingRow key: vectors_id of the vectors in the indexes
UNRECORDED = "non enregistré"  # indexed by a version that did not record the model
# How offers are embedded (matcher.indexing.documents.offer_vectors). Before December 2026 an offer's vector was its
# text's alone, and the record was the model id alone: such indexes are rebuilt.
OFFER_RECIPE = "offres:titre+texte"


def vectors_id(embedder: Embedder) -> str:
    """What the indexes' vectors must come from: this embedder's model, and the way offers are embedded."""
    return f"{embedder.model_id}+{OFFER_RECIPE}"


def recorded_model(rt: Runtime) -> str | None:
    with rt.store.read() as session:
        row = session.get(SettingRow, VECTORS_MODEL)
        return row.value if row else None


def record_model(rt: Runtime) -> None:
    """The indexes now hold the current embedder's vectors only, offers embedded the current way."""
    with rt.store.transaction() as session:
        row = session.get(SettingRow, VECTORS_MODEL)
        if row is None:
            session.add(SettingRow(key=VECTORS_MODEL, value=vectors_id(rt.embedder)))
        else:
            row.value = vectors_id(rt.embedder)


def stale_vectors(rt: Runtime, recorded: str | None) -> str | None:
    """What the indexed vectors come from, when it is not :func:`vectors_id` (None: the same, or nothing indexed).

    ``recorded``: what the store records (:func:`recorded_model`), read once by the caller that also needs it."""
    if recorded == vectors_id(rt.embedder):
        return None
    if recorded is None and not any(rt.backend.count(index) for index in (OFFERS, CANDIDATES)):
        return None
    return recorded or UNRECORDED


def recorded_model_query() -> Select[Any]:
    """The recorded model as a statement, for a caller that reads it along with other things (the health check)."""
    return select(SettingRow.value).where(SettingRow.key == VECTORS_MODEL)
