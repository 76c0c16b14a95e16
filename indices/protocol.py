"""The contract every search backend fulfils, in plain data types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Document:
    """One indexed record. ``version`` comes from the system of record: older versions never win.

    Attributes:
        id: Stable identifier of the record in the system of record.
        version: Monotonic version from the system of record.
        text: Free text searched with BM25.
        vector: Unit-length embedding (searched with kNN).
        keywords: Exact-match fields used in filters, each with one or more values.
        points: Places attached to the record, as (lat, lon) in degrees.
        reach_km: Radius around ``points`` that the record accepts (a candidate's mobility area).
    """

    id: str
    version: int
    text: str
    vector: Vector
    keywords: dict[str, list[str]] = field(default_factory=dict)
    points: list[tuple[float, float]] = field(default_factory=list)
    reach_km: float | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """Keep documents whose ``field`` holds at least one of ``values``."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GeoDistance:
    """Keep documents with a point within ``km`` of any of ``centers`` ((lat, lon) pairs)."""

    centers: tuple[tuple[float, float], ...]
    km: float


@dataclass(frozen=True, slots=True)
class WithinReach:
    """Keep documents whose own reach (``reach_km`` around one of their points) covers (lat, lon)."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Ids:
    """Keep only these document ids."""

    values: tuple[str, ...]


Filter = Terms | GeoDistance | WithinReach | Ids


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float


@dataclass(slots=True)
class BulkResult:
    """Outcome of a bulk write: nothing is dropped silently."""

    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """Both retrievers' answers to one query, from a backend that runs them in one request.

    Attributes:
        lexical: BM25 hits, best first.
        dense: kNN hits, best first.
        bm25_of: When computed, the BM25 score of every dense hit that matches a query term (an absent
            one matches none); None: not computed.
        cosine_of: When computed, the cosine of every lexical hit to the query vector; None: not computed.
    """

    lexical: list[Hit]
    dense: list[Hit]
    bm25_of: dict[str, float] | None = None
    cosine_of: dict[str, float] | None = None


@runtime_checkable
class RetrievesBoth(Protocol):
    """A backend that answers BM25 and kNN for one query in one request (see :func:`indices.hybrid.hybrid_search`)."""

    def retrieve(
        self,
        index: str,
        *,
        text: str,
        vector: Vector,
        filters: Sequence[Filter] = (),
        depth: int = 100,
        complete: bool = False,
    ) -> Retrieval:
        """The top ``depth`` BM25 and kNN hits; with ``complete``, the scores by the other retriever it can give too."""
        ...


@runtime_checkable
class ExpungesDeleted(Protocol):
    """A backend whose deletes only mark documents (search-engine segments): their bytes stay on disk until a
    merge. :meth:`expunge_deleted` asks for that merge, so an erasure reaches the disk too."""

    def expunge_deleted(self, index: str) -> None:
        """Start merging away the index's deleted documents (returns without waiting for the merge)."""
        ...


@runtime_checkable
class SearchBackend(Protocol):
    """Search engine operations the service relies on. Filters combine with AND."""

    def ensure_index(self, index: str, *, dims: int) -> None:
        """Create the index if missing (idempotent)."""
        ...

    def upsert(self, index: str, documents: Sequence[Document]) -> BulkResult:
        """Write documents; a document older than (or as old as) the stored one is reported stale."""
        ...

    def delete(self, index: str, ids_versions: Sequence[tuple[str, int]]) -> BulkResult:
        """Delete documents; the delete carries the version that removed them."""
        ...

    def versions(self, index: str) -> dict[str, int]:
        """Every live id with its version (consistency checks against the store)."""
        ...

    def vectors(self, index: str, ids: Sequence[str]) -> dict[str, Vector]:
        """Stored vectors of these ids (missing ids are absent)."""
        ...

    def bm25(self, index: str, text: str, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        """Keyword search with French analysis, best first."""
        ...

    def knn(self, index: str, vector: Vector, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        """Cosine nearest neighbours among filtered documents, best first."""
        ...

    def count(self, index: str) -> int: ...

    def flush(self) -> None:
        """Make every write durable."""
        ...
