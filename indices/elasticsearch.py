"""The Elasticsearch search backend: the embedded backend's contract, on a search cluster.

Names: the application only names the alias ``{prefix}-{index}``. It points at one physical index
``{prefix}-{index}-v{mapping version}-{suffix}`` built from ``indices/mappings/v{N}.json``. A mapping
change is :meth:`ElasticsearchBackend.create_physical_index` → fill (``upsert(..., physical=name)``)
→ :meth:`ElasticsearchBackend.swap_alias` (one atomic ``_aliases`` call) → drop the old index.

Versions are external (from the SQL store): Elasticsearch refuses a write whose version is not above
the stored one (409, reported ``stale``). It forgets a deleted document's version after
``index.gc_deletes`` (60 s), so a delete here deletes nothing: it overwrites the document with a
tombstone ``{"deleted": true}`` at the delete's version (``external_gte``: like the embedded backend, a
delete wins at an equal version). Every query, count and listing excludes tombstones; a newer upsert
replaces one. Tombstones live as long as their physical index (a rebuild from the store drops them).

Text is analysed in Python (:func:`indices.analysis.analyze`) and indexed with the ``whitespace``
analyzer, so both backends score the same terms with the same BM25 (k1=1.2, b=0.75; Elasticsearch keeps
the ``k1 + 1`` factor as a boost, so scores are on the same scale, up to Lucene's lossy length norms).
kNN scores are turned back into cosines.

Refresh: with ``refresh=wait_for`` (default) a write returns once searchable, as in the embedded
backend. A write of at least ``bulk_refresh_pause_at`` documents (a bulk load: the service writes in
batches of 512) turns the index's periodic refresh off while it runs, then restores it and refreshes
once. A process killed in between leaves it off (``index.refresh_interval: -1``): set it back (null),
or ``wait_for`` writes to that index wait until their request times out.

Queries: :meth:`ElasticsearchBackend.retrieve` sends BM25 and kNN as one ``_msearch`` (hybrid
retrieval in one round trip); with ``complete`` the kNN search also scores its hits with the BM25
query (a named query, ``include_named_queries_score``), so completing a shortlist's scores costs one
more request only, for the vectors of the fused BM25-only hits (:meth:`ElasticsearchBackend.vectors`).

``WithinReach`` needs each document's own radius and the node runs no scripts: the filter is "any r:
reach_km == r and a point within r km" over the distinct ``reach_km`` values, read with a terms
aggregation and kept ``reach_cache_s`` seconds (this process's writes add theirs at once). Documents
whose reach the kept values do not know (written meanwhile by another process) pass a catch-all clause
(cheap ranges between the known values); should one come back among the hits, the values are read
again and the search sent again, so answers stay exact.

Writes sent to the alias during create → fill → swap land in the old index: a migration replays them
afterwards (compare :meth:`ElasticsearchBackend.versions` with the store).
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np
import orjson
from elasticsearch import ApiError, Elasticsearch, SerializationError, TransportError
from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer

from indices.analysis import analyze
from indices.errors import IndexNotFound, SearchError, SearchRequestError, SearchUnavailable
from indices.protocol import (
    BulkResult,
    Document,
    Filter,
    GeoDistance,
    Hit,
    Ids,
    Retrieval,
    Terms,
    Vector,
    WithinReach,
)
from indices.settings import SearchSettings, get_search_settings

MAPPING_VERSION = 1
MAX_WINDOW = 10_000  # index.max_result_window and the kNN num_candidates ceiling
MAX_REACH_VALUES = 10_000
PAGE_SIZE = 10_000  # hits per page when listing versions
MAX_KEPT_TERMS = 200_000  # document frequencies kept per alias (max_query_terms), forgotten past that
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")  # no "-": it separates the parts of physical names
_DELETED: dict[str, Any] = {"term": {"deleted": True}}
_LIVE: dict[str, Any] = {"bool": {"must_not": [_DELETED]}}
_MATCH_NONE: dict[str, Any] = {"match_none": {}}
# Matches no document, yet is not folded away before the search (as match_none would be), so named
# queries beside it are still scored on the hits of the other part of the search.
_NOTHING: dict[str, Any] = {"bool": {"filter": [_DELETED, _LIVE]}}
_BM25 = "bm25"  # name of the BM25 query scored on kNN hits


def load_mapping(version: int = MAPPING_VERSION) -> dict[str, Any]:
    """The index template of one mapping version (``settings``, ``mappings``), as stored in ``indices/mappings``."""
    text = resources.files("indices").joinpath("mappings").joinpath(f"v{version}.json").read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


@dataclass(slots=True)
class _Op:
    """One bulk item. A document's source (its analysed text) is built when first sent, by the thread
    sending it (so analysis overlaps the node's indexing), and kept for a retry."""

    id: str
    action: dict[str, Any]
    doc: Document | None = None
    built: dict[str, Any] | None = None

    @property
    def source(self) -> dict[str, Any]:
        if self.built is None:
            assert self.doc is not None
            self.built = _source(self.doc)
        return self.built


class ElasticsearchBackend:
    """:class:`~indices.protocol.SearchBackend` over an Elasticsearch 8 cluster.

    Args:
        settings: Connection and index settings (default: :func:`~indices.settings.get_search_settings`).
        client: A ready client (tests, or one shared client per process); built from ``settings`` if omitted.
        **overrides: Fields of :class:`~indices.settings.SearchSettings` replacing those of ``settings``.
    """

    def __init__(
        self, settings: SearchSettings | None = None, *, client: Elasticsearch | None = None, **overrides: Any
    ) -> None:
        base = settings or get_search_settings()
        self.settings = SearchSettings.model_validate({**base.model_dump(), **overrides}) if overrides else base
        self.client = client or _make_client(self.settings)
        # alias -> (monotonic expiry, distinct reach_km values), see the module docstring
        self._reach: dict[str, tuple[float, tuple[float, ...]]] = {}
        # alias -> (documents with text, document frequency of each term seen), for max_query_terms
        self._doc_freqs: dict[str, tuple[int, dict[str, int]]] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    # -- names and lifecycle -------------------------------------------------------------------

    def alias(self, index: str) -> str:
        """The alias the application reads and writes for ``index``."""
        if not _NAME.match(index):
            raise ValueError(f"invalid index name {index!r} (lowercase letters, digits and '_')")
        return f"{self.settings.index_prefix}-{index}"

    def physical_indices(self, index: str) -> list[str]:
        """Physical indices the alias of ``index`` points at (empty when the alias is missing)."""
        with _translate(index):
            return self._physical(self.alias(index))

    def ensure_index(self, index: str, *, dims: int) -> None:
        """Create the alias and its first physical index if missing (idempotent, safe between processes)."""
        alias = self.alias(index)
        first = f"{alias}-v{MAPPING_VERSION}-0"  # a fixed name, so racing processes cannot create two
        with _translate(index):
            if self.client.indices.exists_alias(name=alias):
                return
            try:
                self._create(first, dims, aliases={alias: {}})
            except ApiError as exc:
                if _error_type(exc.body) != "resource_already_exists_exception":
                    raise
                if not self.client.indices.exists_alias(name=alias):  # left behind by an interrupted call
                    self.client.indices.update_aliases(actions=[{"add": {"index": first, "alias": alias}}])

    def create_physical_index(self, index: str, dims: int) -> str:
        """Create a new, empty physical index for ``index`` with the current mapping; the alias is untouched.

        Returns:
            Its name, to fill with ``upsert(index, docs, physical=name)`` then pass to :meth:`swap_alias`.
        """
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.alias(index)}-v{MAPPING_VERSION}-{stamp}"
        with _translate(index):
            self._create(name, dims)
        return name

    def swap_alias(self, index: str, new_physical: str) -> str | None:
        """Point the alias of ``index`` at ``new_physical`` only, in one atomic ``_aliases`` call.

        Returns:
            The physical index the alias pointed at before (kept: drop it once satisfied), or None.
        """
        alias = self.alias(index)
        self._check_physical(index, new_physical)
        with _translate(index):
            old = [name for name in self._physical(alias) if name != new_physical]
            actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in old]
            actions.append({"add": {"index": new_physical, "alias": alias}})
            self.client.indices.update_aliases(actions=actions)
        self._reach.pop(alias, None)
        return old[-1] if old else None

    def drop_index(self, index: str) -> None:
        """Delete the alias of ``index``, the indices behind it and any orphan physical index of ``index``."""
        alias = self.alias(index)
        own = re.compile(rf"^{re.escape(alias)}-v\d+-\d+$")
        with _translate(index):
            names = set(self._physical(alias))
            found = self.client.indices.get(
                index=f"{alias}-v*", allow_no_indices=True, ignore_unavailable=True, expand_wildcards="open,closed"
            )
            names.update(name for name in found if own.match(name))
            if names:
                self.client.indices.delete(index=",".join(sorted(names)))

    def delete_physical_index(self, index: str, physical: str) -> None:
        """Delete a physical index of ``index`` that the alias no longer points at (after :meth:`swap_alias`)."""
        self._check_physical(index, physical)
        with _translate(index):
            if physical in self._physical(self.alias(index)):
                raise SearchRequestError(f"{physical!r} is still behind the alias of {index!r}")
            self.client.indices.delete(index=physical)

    def mapping_version(self, index: str) -> int | None:
        """Mapping version (``_meta``) of the physical index behind the alias, None when the alias is missing."""
        alias = self.alias(index)
        with _translate(index):
            physical = self._physical(alias)
            if not physical:
                return None
            mapping = self.client.indices.get_mapping(index=physical[-1])
        return int(mapping[physical[-1]]["mappings"]["_meta"]["mapping_version"])

    # -- writes -----------------------------------------------------------------------------------

    def upsert(self, index: str, documents: Sequence[Document], *, physical: str | None = None) -> BulkResult:
        """Write documents; one as old as (or older than) the stored one or its tombstone is reported stale.

        Args:
            index: Logical index name.
            documents: Documents to write.
            physical: Write to this physical index of ``index`` instead of the alias (filling a migration).
        """
        result = BulkResult()
        ops = []
        for doc in documents:
            problem = _invalid(doc)
            if problem:
                result.failed[doc.id] = problem
            else:
                action = {"index": {"_id": doc.id, "version": doc.version, "version_type": "external"}}
                ops.append(_Op(doc.id, action, doc))
        self._bulk(index, physical, ops, result)
        return result

    def delete(self, index: str, ids_versions: Sequence[tuple[str, int]], *, physical: str | None = None) -> BulkResult:
        """Replace documents with tombstones at the delete's version (stale when the stored version is newer)."""
        result = BulkResult()
        ops = []
        for doc_id, version in ids_versions:
            if not 0 <= version < 2**63:
                result.failed[doc_id] = f"version {version} outside [0, 2**63)"
            else:
                action = {"index": {"_id": doc_id, "version": version, "version_type": "external_gte"}}
                ops.append(_Op(doc_id, action, built={"deleted": True}))
        self._bulk(index, physical, ops, result)
        return result

    def flush(self) -> None:
        """Make every write searchable (acknowledged writes are already durable in the translog)."""
        with _translate(self.settings.index_prefix):
            self.client.indices.refresh(
                index=f"{self.settings.index_prefix}-*", allow_no_indices=True, ignore_unavailable=True
            )

    def expunge_deleted(self, index: str) -> None:
        """Merge away the segments' deleted documents (a delete only marks them). The node keeps what its
        retention leases need for replica recovery (``index.soft_deletes.retention_lease.period``, 12 h by
        default): a document deleted since then goes at the next call."""
        with _translate(index):
            self.client.indices.forcemerge(
                index=self.alias(index), only_expunge_deletes=True, wait_for_completion=False
            )

    # -- reads ------------------------------------------------------------------------------------

    def versions(self, index: str) -> dict[str, int]:
        """Every live id with its version, paged with a point in time and ``search_after``."""
        alias = self.alias(index)
        out: dict[str, int] = {}
        with _translate(index):
            pit = self.client.open_point_in_time(index=alias, keep_alive="1m")["id"]
            try:
                after: list[Any] | None = None
                while True:
                    response = self.client.search(
                        pit={"id": pit, "keep_alive": "1m"},
                        query=_LIVE,
                        sort=["_shard_doc"],
                        size=PAGE_SIZE,
                        version=True,
                        source=False,
                        track_total_hits=False,
                        search_after=after,
                    )
                    pit = response.get("pit_id", pit)
                    hits = response["hits"]["hits"]
                    out.update((hit["_id"], int(hit["_version"])) for hit in hits)
                    if len(hits) < PAGE_SIZE:
                        break
                    after = hits[-1]["sort"]
            finally:
                self.client.close_point_in_time(id=pit)
        return out

    def vectors(self, index: str, ids: Sequence[str]) -> dict[str, Vector]:
        """Stored vectors of these live ids (missing or deleted ids are absent).

        Read as doc values (the index's float32 rows, as searches see them): cheaper than parsing each
        document's source (~1.5x at 100k).
        """
        out: dict[str, Vector] = {}
        unique = list(dict.fromkeys(ids))
        with _translate(index):
            for start in range(0, len(unique), MAX_WINDOW):
                chunk = unique[start : start + MAX_WINDOW]
                response = self.client.search(
                    index=self.alias(index),
                    query={"bool": {"filter": [{"ids": {"values": chunk}}], "must_not": [_DELETED]}},
                    size=len(chunk),
                    source=False,
                    docvalue_fields=[{"field": "vector"}],
                    track_total_hits=False,
                )
                for hit in response["hits"]["hits"]:
                    stored = (hit.get("fields") or {}).get("vector")
                    if stored:
                        out[hit["_id"]] = np.asarray(stored[0], dtype=np.float32)
        return out

    def count(self, index: str) -> int:
        """Number of live documents."""
        with _translate(index):
            return int(self.client.count(index=self.alias(index), query=_LIVE)["count"])

    def bm25(self, index: str, text: str, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        """BM25 over the same analysed terms as the embedded backend (up to ``max_query_terms``), best first."""
        terms = self._query_terms(index, text)
        if not terms or k <= 0:
            return []
        size = min(k, MAX_WINDOW)
        (response,) = self._search(index, filters, lambda clauses: [_bm25_body(terms, clauses, size)])
        return [Hit(hit["_id"], float(hit["_score"])) for hit in response["hits"]["hits"]]

    def knn(self, index: str, vector: Vector, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        """Approximate nearest neighbours (HNSW, filtered during the search) scored by cosine, best first."""
        if k <= 0:
            return []
        (response,) = self._search(index, filters, lambda clauses: [self._knn_body(vector, clauses, k)])
        return _dense_hits(response)

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
        """``bm25`` and ``knn`` (``k=depth``) in one request, as :func:`indices.hybrid.hybrid_search` asks.

        Args:
            complete: Also the BM25 score of every kNN hit (the BM25 query, named, scored on them). Not the
                cosines of the BM25 hits: their vectors would double the answer, and the fused list needs
                only about half of them (:meth:`vectors` then reads those).
        """
        if depth <= 0:
            return Retrieval([], [], bm25_of={} if complete else None)
        depth = min(depth, MAX_WINDOW)
        terms = self._query_terms(index, text) if text.strip() else []
        named = complete and bool(terms)

        def searches(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
            bodies = [_bm25_body(terms, clauses, depth)] if terms else []
            dense = self._knn_body(vector, clauses, depth)
            if named:
                # Scores nothing by itself (kNN hits and scores unchanged); its named part is scored on the hits.
                scored = {"match": {"text": {"query": " ".join(terms), "_name": _BM25}}}
                dense["query"] = {"bool": {"filter": [_NOTHING], "should": [scored]}}
            bodies.append(dense)
            return bodies

        responses = self._search(index, filters, searches, named_scores=named)
        lexical = [Hit(hit["_id"], float(hit["_score"])) for hit in responses[0]["hits"]["hits"]] if terms else []
        dense = _dense_hits(responses[-1])
        if not complete:
            return Retrieval(lexical, dense)
        bm25_of = {}
        for hit in responses[-1]["hits"]["hits"]:
            score = (hit.get("matched_queries") or {}).get(_BM25)
            if score is not None:
                bm25_of[hit["_id"]] = float(score)
        return Retrieval(lexical, dense, bm25_of=bm25_of)

    # -- internals --------------------------------------------------------------------------------

    def _physical(self, alias: str) -> list[str]:
        if not self.client.indices.exists_alias(name=alias):
            return []
        return sorted(self.client.indices.get_alias(name=alias))

    def _check_physical(self, index: str, physical: str) -> None:
        if not re.match(rf"^{re.escape(self.alias(index))}-v\d+-\d+$", physical):
            raise ValueError(f"{physical!r} is not a physical index of {index!r}")

    def _create(self, name: str, dims: int, aliases: dict[str, Any] | None = None) -> None:
        spec = load_mapping()
        mappings = copy.deepcopy(spec["mappings"])
        vector = mappings["properties"]["vector"]
        vector["dims"] = dims
        vector["index_options"]["type"] = self.settings.vector_index_type
        mappings["_meta"] = {"mapping_version": spec["version"], "dims": dims}
        settings = {
            "index": {
                **spec["settings"]["index"],
                "number_of_shards": self.settings.number_of_shards,
                "number_of_replicas": self.settings.number_of_replicas,
            }
        }
        self.client.indices.create(index=name, settings=settings, mappings=mappings, aliases=aliases)

    def _bulk(self, index: str, physical: str | None, ops: list[_Op], result: BulkResult) -> None:
        """Send ``ops`` in chunks, ``bulk_threads`` requests at a time; retry 429/5xx items and unanswered requests.

        Items still rejected with 429/5xx after the last round go to ``failed``. A whole request still
        failing (no connection, or 429/5xx for the request) raises :class:`SearchUnavailable`: the cluster is
        out of service, and replaying the whole call later is safe because every write carries its version.
        """
        if not ops:
            return
        if physical is None:
            target, require_alias = self.alias(index), True
        else:
            self._check_physical(index, physical)
            target, require_alias = physical, False
            with _translate(index):
                if not self.client.indices.exists(index=physical):  # a bulk would auto-create it
                    raise IndexNotFound(physical)
        settings = self.settings
        paused = 0 < settings.bulk_refresh_pause_at <= len(ops)
        refresh = "wait_for" if settings.refresh == "wait_for" and not paused else False

        def send(chunk: list[_Op]) -> Any:
            lines: list[dict[str, Any]] = []
            for op in chunk:
                lines += (op.action, op.source)
            try:
                return self.client.bulk(index=target, operations=lines, refresh=refresh, require_alias=require_alias)
            except (ApiError, TransportError) as exc:
                return exc

        size = settings.bulk_chunk_size
        pending: list[tuple[_Op, str]] = [(op, "") for op in ops]
        unanswered: Exception | None = None
        with _translate(index), self._refresh_paused(target, paused):
            for attempt in range(settings.bulk_retries + 1):
                if attempt:
                    time.sleep(settings.bulk_backoff_s * 2 ** (attempt - 1))
                chunks = [[op for op, _ in pending[start : start + size]] for start in range(0, len(pending), size)]
                threads = min(settings.bulk_threads, len(chunks))
                if threads > 1:
                    with ThreadPoolExecutor(threads, thread_name_prefix="bulk") as pool:
                        answers = list(pool.map(send, chunks))
                else:
                    answers = [send(chunk) for chunk in chunks]
                retry: list[tuple[_Op, str]] = []
                unanswered = None
                for chunk, answer in zip(chunks, answers, strict=True):
                    if isinstance(answer, ApiError | TransportError):
                        if not _retryable(answer):
                            raise _translated(index, answer) from answer
                        unanswered = answer
                        retry += [(op, str(answer)) for op in chunk]
                        continue
                    for op, item in zip(chunk, answer["items"], strict=True):
                        info = next(iter(item.values()))
                        status, error = int(info["status"]), info.get("error") or {}
                        if status < 300:
                            result.written.append(op.id)
                        elif status == 409:
                            result.stale.append(op.id)
                        elif error.get("type") == "index_not_found_exception":
                            raise IndexNotFound(index)
                        elif status == 429 or status >= 500:
                            retry.append((op, f"{status} {_reason(error)}"))
                        else:
                            result.failed[op.id] = _reason(error)
                pending = retry
                if not pending:
                    break
        if physical is None:
            self._learn_reach(target, ops)
        if unanswered is not None:
            raise SearchUnavailable(
                f"bulk write to {target!r} failed after {settings.bulk_retries + 1} attempts: {unanswered}"
            ) from unanswered
        for op, reason in pending:
            result.failed[op.id] = f"gave up after {settings.bulk_retries + 1} attempts: {reason}"
        if settings.refresh == "true" or (paused and settings.refresh == "wait_for"):
            with _translate(index):
                self.client.indices.refresh(index=target)

    @contextmanager
    def _refresh_paused(self, target: str, pause: bool) -> Iterator[None]:
        """Periodic refresh off on ``target`` while the block runs (when ``pause``), then as it was.

        Left alone when already off: another bulk is running (it restores it), or an operator chose so.
        """
        if not pause:
            yield
            return
        found = self.client.indices.get_settings(
            index=target, name="index.refresh_interval", flat_settings=True, include_defaults=True
        )  # with the defaults, so that every index behind ``target`` is listed, set or not
        before = {name: spec["settings"].get("index.refresh_interval") for name, spec in found.items()}
        if "-1" in before.values():
            yield
            return
        self.client.indices.put_settings(index=target, settings={"index.refresh_interval": "-1"})
        try:
            yield
        finally:
            for name, interval in before.items():
                self.client.indices.put_settings(index=name, settings={"index.refresh_interval": interval})

    def _search(
        self,
        index: str,
        filters: Sequence[Filter],
        bodies: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
        *,
        named_scores: bool = False,
    ) -> list[dict[str, Any]]:
        """Run the searches ``bodies(filter clauses)`` in one ``_msearch``; their responses, in order.

        When ``WithinReach`` relies on kept reach values and a hit has a reach they do not know (it came
        through the catch-all clause), the values are read again and the searches sent again, once.
        """
        alias = self.alias(index)
        checked = self.settings.reach_cache_s > 0 and any(isinstance(f, WithinReach) for f in filters)
        with _translate(index):
            for attempt in range(2):
                lines: list[dict[str, Any]] = []
                for body in bodies(self._filters(alias, filters)):
                    header: dict[str, Any] = {"index": alias}
                    if self.settings.number_of_shards > 1 and "knn" not in body:
                        # Score with global term statistics, as the single embedded index does (kNN always does).
                        header["search_type"] = "dfs_query_then_fetch"
                    if checked:
                        body["docvalue_fields"] = [*body.get("docvalue_fields", ()), "reach_km"]
                    lines += (header, body)
                answer = self.client.msearch(searches=lines, include_named_queries_score=named_scores or None)
                responses = [_response(index, r) for r in answer["responses"]]
                if not checked or attempt or self._reach_known(alias, responses):
                    break
                self._reach.pop(alias, None)
        return responses

    def _query_terms(self, index: str, text: str) -> list[str]:
        """Analysed terms of ``text``; past ``max_query_terms`` distinct ones, the most informative only.

        The document frequencies come from the index (``_termvectors``) and are kept per alias: a request
        only for terms never seen by this process.
        """
        terms = analyze(text)
        counts = Counter(terms)
        cap = self.settings.max_query_terms
        if not cap or len(counts) <= cap:
            return terms
        alias = self.alias(index)
        docs, freqs = self._doc_freqs.get(alias, (0, {}))
        unknown = [term for term in counts if term not in freqs]
        if unknown:
            with _translate(index):
                response = self.client.termvectors(
                    index=alias,
                    doc={"text": " ".join(unknown)},
                    fields=["text"],
                    term_statistics=True,
                    field_statistics=True,
                    positions=False,
                    offsets=False,
                    payloads=False,
                )
            found = response["term_vectors"].get("text") or {}
            docs = int((found.get("field_statistics") or {}).get("doc_count", docs))
            stats = found.get("terms") or {}
            if len(freqs) > MAX_KEPT_TERMS:
                freqs = {}
            freqs.update((term, int((stats.get(term) or {}).get("doc_freq", 0))) for term in unknown)
            self._doc_freqs[alias] = (docs, freqs)
        df = {term: freqs.get(term, 0) for term in counts}

        def weight(term: str) -> float:
            return counts[term] * math.log1p((docs - df[term] + 0.5) / (df[term] + 0.5))

        kept = set(sorted(counts, key=lambda term: (-weight(term), term))[:cap])
        return [term for term in terms if term in kept]

    def _knn_body(self, vector: Vector, clauses: list[dict[str, Any]], k: int) -> dict[str, Any]:
        k = min(k, MAX_WINDOW)
        knn: dict[str, Any] = {
            "field": "vector",
            "query_vector": np.asarray(vector, dtype=np.float32),
            "k": k,
            "num_candidates": min(max(k, self.settings.num_candidates), MAX_WINDOW),
            "filter": [_LIVE, *clauses],
        }
        if self.settings.rescore_oversample >= 1:
            # Scores and order then come from the raw floats, not the int8 quantised copy.
            knn["rescore_vector"] = {"oversample": self.settings.rescore_oversample}
        return {"knn": knn, "size": k, "_source": False, "track_total_hits": False}

    def _filters(self, alias: str, filters: Sequence[Filter]) -> list[dict[str, Any]]:
        """The clauses of ``filters`` (tombstones are excluded by the searches themselves)."""
        clauses: list[dict[str, Any]] = []
        for flt in filters:
            if isinstance(flt, Terms):
                clauses.append({"terms": {f"keywords.{flt.field}": list(flt.values)}})
            elif isinstance(flt, Ids):
                clauses.append({"ids": {"values": list(flt.values)}})
            elif isinstance(flt, GeoDistance):
                clauses.append(_any([_near(lat, lon, flt.km) for lat, lon in flt.centers]))
            elif isinstance(flt, WithinReach):
                # No scripts: one clause per distinct reach r, "reach_km == r and a point within r km".
                values = self._reach_values(alias)
                reach = [
                    {"bool": {"filter": [{"term": {"reach_km": r}}, _near(flt.lat, flt.lon, r)]}}
                    for r in values
                    if r >= 0
                ]
                if self.settings.reach_cache_s > 0:
                    reach.append(_unknown_reach(values))
                clauses.append(_any(reach))
            else:  # pragma: no cover - exhaustive over Filter
                raise TypeError(f"unknown filter {flt!r}")
        return clauses

    def _reach_values(self, alias: str) -> tuple[float, ...]:
        """Distinct ``reach_km`` of live documents with points, kept ``reach_cache_s`` seconds (0: read each time)."""
        keep = self.settings.reach_cache_s
        if keep > 0:
            kept = self._reach.get(alias)
            if kept is not None and kept[0] > time.monotonic():
                return kept[1]
        response = self.client.search(
            index=alias,
            size=0,
            track_total_hits=False,
            query={"bool": {"filter": [_LIVE, {"exists": {"field": "points"}}]}},
            aggs={"reach": {"terms": {"field": "reach_km", "size": MAX_REACH_VALUES}}},
        )
        reach = response["aggregations"]["reach"]
        if reach.get("sum_other_doc_count"):
            raise SearchRequestError(f"more than {MAX_REACH_VALUES} distinct reach_km values in {alias!r}")
        values = tuple(sorted({_float32(bucket["key"]) for bucket in reach["buckets"]}))
        if keep > 0:
            self._reach[alias] = (time.monotonic() + keep, values)
        return values

    def _reach_known(self, alias: str, responses: list[dict[str, Any]]) -> bool:
        """Whether every hit's reach is among the kept values (else it came through the catch-all clause)."""
        kept = self._reach.get(alias)
        known = set(kept[1]) if kept is not None else set()
        return all(
            _float32(r) in known
            for response in responses
            for hit in response["hits"]["hits"]
            for r in (hit.get("fields") or {}).get("reach_km", ())
        )

    def _learn_reach(self, alias: str, ops: list[_Op]) -> None:
        """Add the reach of documents just written to the kept values, so this process finds them at once."""
        kept = self._reach.get(alias)
        if kept is None:
            return
        new = {_float32(op.doc.reach_km) for op in ops if op.doc and op.doc.reach_km is not None} - set(kept[1])
        if new:
            self._reach[alias] = (kept[0], tuple(sorted({*kept[1], *new})))


class _OrjsonNdjsonSerializer(NdjsonSerializer):
    """``_bulk`` and ``_msearch`` bodies written by orjson (numpy vectors as they are: float32 stays short)."""

    def json_dumps(self, data: Any) -> bytes:
        return orjson.dumps(data, default=self.default, option=orjson.OPT_SERIALIZE_NUMPY)

    def json_loads(self, data: bytes) -> Any:
        return orjson.loads(data)


def _make_client(settings: SearchSettings) -> Elasticsearch:
    options: dict[str, Any] = {"ca_certs": settings.ca_certs} if settings.ca_certs else {}
    if settings.api_key is not None:
        options["api_key"] = settings.api_key.get_secret_value()
    elif settings.username is not None:
        password = settings.password.get_secret_value() if settings.password is not None else ""
        options["basic_auth"] = (settings.username, password)
    # Every write carries its external version and every read is idempotent, so timeouts may be retried.
    # Several nodes (comma-separated): requests go round them and a node that fails is set aside for a while.
    return Elasticsearch(
        [url.strip() for url in settings.url.split(",") if url.strip()],
        request_timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        retry_on_timeout=True,
        serializers={"application/json": OrjsonSerializer(), "application/x-ndjson": _OrjsonNdjsonSerializer()},
        **options,
    )


def _source(doc: Document) -> dict[str, Any]:
    return {
        "text": " ".join(analyze(doc.text)),
        "keywords": {name: list(values) for name, values in doc.keywords.items() if values},
        "points": [{"lat": lat, "lon": lon} for lat, lon in doc.points],
        "reach_km": doc.reach_km,
        "vector": np.asarray(doc.vector, dtype=np.float32),
    }


def _bm25_body(terms: list[str], clauses: list[dict[str, Any]], size: int) -> dict[str, Any]:
    # Tombstones out as must_not: as a filter clause, "not deleted" is walked doc by doc (twice slower at 100k).
    query = {
        "bool": {"must": [{"match": {"text": {"query": " ".join(terms)}}}], "must_not": [_DELETED], "filter": clauses}
    }
    return {"query": query, "size": size, "_source": False, "track_total_hits": False}


def _dense_hits(response: dict[str, Any]) -> list[Hit]:
    # Elasticsearch scores cosine as (1 + cos) / 2.
    return [Hit(hit["_id"], 2.0 * float(hit["_score"]) - 1.0) for hit in response["hits"]["hits"]]


def _response(index: str, response: dict[str, Any]) -> dict[str, Any]:
    """One ``_msearch`` response, or its error as :mod:`indices.errors` raises it."""
    error = response.get("error")
    if error is None:
        return response
    status = int(response.get("status", 500))
    reason = _reason(error) if isinstance(error, dict) else str(error)
    if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
        raise IndexNotFound(index)
    if status == 429 or status >= 500:
        raise SearchUnavailable(f"{index}: {status} {reason}")
    raise SearchRequestError(f"{index}: {status} {reason}")


def _unknown_reach(known: Sequence[float]) -> dict[str, Any]:
    """Documents with points whose reach is none of ``known``: ranges between them (cheap: they match nothing)."""
    if not known:
        others: dict[str, Any] = {"exists": {"field": "reach_km"}}
    else:
        bounds: list[float | None] = [None, *known, None]
        others = _any(
            [
                {"range": {"reach_km": {op: v for op, v in (("gt", low), ("lt", high)) if v is not None}}}
                for low, high in pairwise(bounds)
            ]
        )
    return {"bool": {"filter": [{"exists": {"field": "points"}}, others]}}


def _float32(value: float) -> float:
    """A reach as the index stores it (``float``), whatever way it was written or read back."""
    return float(np.float32(value))


def _invalid(doc: Document) -> str | None:
    """Reasons the server cannot report per item (one unserialisable item would fail the whole request)."""
    if not 0 <= doc.version < 2**63:
        return f"version {doc.version} outside [0, 2**63)"
    vector = np.asarray(doc.vector)
    if vector.ndim != 1 or not np.isfinite(vector).all():
        return f"vector must be one-dimensional and finite, got shape {vector.shape}"
    numbers = [c for point in doc.points for c in point] + ([doc.reach_km] if doc.reach_km is not None else [])
    if not all(math.isfinite(n) for n in numbers):
        return "points and reach_km must be finite"
    return None


def _near(lat: float, lon: float, km: float) -> dict[str, Any]:
    return {"geo_distance": {"distance": f"{km!r}km", "points": {"lat": lat, "lon": lon}}}


def _any(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    # A bool with no clause at all matches everything, the opposite of "any of nothing".
    return {"bool": {"should": clauses, "minimum_should_match": 1}} if clauses else _MATCH_NONE


def _reason(error: dict[str, Any]) -> str:
    reason = f"{error.get('type')}: {error.get('reason')}"
    cause = error.get("caused_by") or {}
    return f"{reason} (caused by {cause.get('type')}: {cause.get('reason')})" if cause else reason


def _error_type(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("type"))
    return None


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ApiError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, TransportError) and not isinstance(exc, SerializationError)


def _translated(index: str, exc: ApiError | TransportError) -> SearchError:
    if isinstance(exc, ApiError) and _error_type(exc.body) == "index_not_found_exception":
        return IndexNotFound(index)
    if _retryable(exc):
        return SearchUnavailable(f"{index}: {exc}")
    return SearchRequestError(f"{index}: {exc}")


@contextmanager
def _translate(index: str) -> Iterator[None]:
    """Turn client errors into :mod:`indices.errors` ones."""
    try:
        yield
    except (ApiError, TransportError) as exc:
        raise _translated(index, exc) from exc
