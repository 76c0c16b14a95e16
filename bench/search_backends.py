"""Embedded backend against Elasticsearch on the same real embeddings: indexing, hybrid latency, kNN recall.

    uv run python -m bench.search_backends [--candidates 100000] [--quick] [--queries 200] [--real 2000]
    ELASTICSEARCH_URL=http://127.0.0.1:9200 (scripts/search-node start; SEARCH_NODE_HEAP=3g for 100k)

Candidates: the deterministic ROME-derived profiles (``candidate_generator(rt).profiles(n)``), embedded
once with the packaged model in bf16; vectors are cached under ``var/bench/`` (in chunks of 5,000, so an
interrupted first pass resumes) with the embedding rate measured when they were computed, so later runs
can report "embedding included" figures from that rate (and say so). With ``--real N`` only the first N
are embedded and the others get perturbed copies of their vectors (as in ``bench.shortlist``). Queries:
real shipped offers, embedded with the same model. Baseline printed beside the backends: an exact numpy
scan of the same vectors (also the ground truth for recall). Without ``ELASTICSEARCH_URL`` only the
embedded column runs.

Elasticsearch runs twice in the same run, on the same documents: "before" is the request pattern the
backend had until the one-round-trip work (bulk: one request at a time, the client's stdlib JSON, refresh
turned off by this script; queries: BM25 and kNN as two searches, the reach values aggregated for each,
then the missing scores as two more requests: six per shortlist retrieval) and "after" is the backend as
it ships (orjson, parallel bulk that pauses refresh itself; one ``_msearch`` per query, reach values kept,
long queries capped to their most informative terms; a shortlist retrieval's missing scores: the BM25 of
kNN hits within that request, the vectors of the fused BM25-only hits in a second one). Both query paths
run on the same index, their queries interleaved; each search's body is the current one (tombstones out
by ``must_not``, vectors read as doc values), so "before" is if anything faster than it was. The bench
counts the retrievals that differ between the one-request path and the same settings in separate requests
(beside the separate requests against themselves: the node's own noise), and between before and after.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from elasticsearch import Elasticsearch

from indices.elasticsearch import ElasticsearchBackend
from indices.embedded import EmbeddedBackend
from indices.geo import haversine_km
from indices.hybrid import HybridHit, SeparateRetrievers, hybrid_search
from indices.protocol import BulkResult, Document, Filter, SearchBackend, Terms, WithinReach
from indices.settings import SearchSettings
from matcher.core.indexes import CANDIDATES
from matcher.core.models import Candidate, Offer, Visibility
from matcher.core.settings import REPO_ROOT, MatcherSettings
from matcher.demo.samples import candidate_generator, offer_input, shipped_offers
from matcher.embedding.hashing import HashingEmbedder
from matcher.embedding.transformer import SentenceTransformerEmbedder
from matcher.indexing.documents import candidate_document, candidate_text, offer_text, offer_vectors
from matcher.runtime import Runtime

Matrix = npt.NDArray[np.float32]
BENCH_DIR = REPO_ROOT / "var" / "bench"
CHUNK = 5_000
QUICK = 5_000


def log(message: str) -> None:
    """Progress on stderr (figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class Corpus:
    """The benchmark candidates: profiles, their texts and documents' vectors, plus how fast they were embedded."""

    ids: list[str]
    candidates: list[Candidate]
    texts: list[str]
    vectors: Matrix
    documents: list[Document]
    model_id: str
    embed_rate: float  # docs/s of the pass that computed the vectors
    embed_note: str  # "measured in this run" or when the cached rate was measured


def bench_runtime(name: str) -> Runtime:
    """A runtime on its own SQLite file under ``var/bench`` (taxonomy, geography, generator, store)."""
    settings = MatcherSettings(data_dir=BENCH_DIR / name, embedder="hashing")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Runtime.open(settings, embedder=HashingEmbedder(), backend=EmbeddedBackend(None))


def model_embedder(settings: MatcherSettings) -> SentenceTransformerEmbedder:
    """The packaged model, as the service runs it (bf16)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceTransformerEmbedder(settings.model_path, precision="bf16")


def generate_candidates(rt: Runtime, count: int) -> tuple[list[str], list[Candidate], list[str]]:
    """Ids, stored-like candidates and profile texts of the first ``count`` generated profiles."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    ids, candidates, texts = [], [], []
    for number, (profile, _) in enumerate(candidate_generator(rt).profiles(count)):
        cid = f"cand_demo_{number:06d}"
        candidate = Candidate.model_validate(
            {**profile.model_dump(), "id": cid, "version": 1, "consented_at": now, "created_at": now, "updated_at": now}
        )
        ids.append(cid)
        candidates.append(candidate)
        texts.append(candidate_text(candidate, rt.taxonomy))
        if (number + 1) % 20_000 == 0:
            log(f"  profiles {number + 1}/{count}")
    return ids, candidates, texts


def _digest(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _slug(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id)


def cached_vectors(texts: Sequence[str], embedder: SentenceTransformerEmbedder) -> tuple[Matrix, float, str]:
    """Vectors of ``texts`` from ``var/bench`` or embedded now (chunk by chunk, resumable).

    Returns:
        (vectors, docs/s of the embedding pass, where that rate comes from).
    """
    slug, digest = _slug(embedder.model_id), _digest(texts)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    final = BENCH_DIR / f"candidates-{len(texts)}-{slug}.npy"
    meta_path = final.with_suffix(".json")
    if final.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta["digest"] == digest:
            note = f"measured on {meta['created'][:10]} when the cache was built ({meta['embedded_docs']} docs)"
            return np.load(final), float(meta["docs_per_s"]), note
    chunks_dir = BENCH_DIR / f"chunks-{slug}"
    chunks_dir.mkdir(exist_ok=True)
    parts: list[Matrix] = []
    seconds = docs = 0.0
    fresh = elsewhere = 0
    started = time.perf_counter()
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        path = chunks_dir / f"{start:08d}-{len(chunk)}-{_digest(chunk)}.npy"
        info = path.with_suffix(".json")
        if path.exists() and info.exists():
            parts.append(np.load(path))
            chunk_info = json.loads(info.read_text())
            if chunk_info.get("device", "cpu") == "cpu":  # a chunk filled on an accelerator says so
                seconds += chunk_info["seconds"]
                docs += len(chunk)
            else:
                elsewhere += len(chunk)
            continue
        t0 = time.perf_counter()

        def progress(done: int, total: int, start: int = start, fresh: int = fresh) -> None:
            if done % 1024 < embedder.batch_size * 4 or done == total:
                rate = (fresh + done) / max(time.perf_counter() - started, 1e-9)
                left = (len(texts) - start - done) / max(rate, 1e-9)
                log(f"  embedding {start + done}/{len(texts)}  {rate:.1f} docs/s  ~{left / 60:.0f} min left")

        vectors = embedder.embed(chunk, progress=progress)
        elapsed = time.perf_counter() - t0
        np.save(path, vectors)
        info.write_text(json.dumps({"seconds": elapsed, "docs": len(chunk), "model_id": embedder.model_id}))
        parts.append(vectors)
        seconds += elapsed
        docs += len(chunk)
        fresh += len(chunk)
    matrix = np.concatenate(parts) if parts else np.zeros((0, embedder.dims), np.float32)
    rate = docs / seconds if seconds else 0.0
    created = datetime.now(UTC).isoformat()
    np.save(final, matrix)
    meta = {"digest": digest, "docs_per_s": rate, "embedded_docs": int(docs), "created": created}
    meta_path.write_text(json.dumps({**meta, "model_id": embedder.model_id, "seconds": seconds}))
    note = "measured in this run" if fresh == len(texts) else f"measured over {int(docs)} docs, {fresh} in this run"
    if elsewhere:
        note += f"; {elsewhere} vectors were filled on an accelerator, not counted"
    return matrix, rate, note


def load_corpus(rt: Runtime, count: int, real: int = 0, sigma: float = 0.02) -> Corpus:
    """Generate ``count`` candidates and their real embeddings (cached); with ``real``, only that many embedded."""
    log(f"generating {count} ROME-derived profiles ...")
    ids, candidates, texts = generate_candidates(rt, count)
    embedder = model_embedder(rt.settings)
    if 0 < real < count:
        base, rate, note = cached_vectors(texts[:real], embedder)
        vectors = perturbed_copies(base, count, sigma)
        note += f"; {real} real embeddings + {count - real} perturbed copies (sigma {sigma})"
    else:
        vectors, rate, note = cached_vectors(texts, embedder)
    documents = [candidate_document(c, v, rt.taxonomy, rt.geography) for c, v in zip(candidates, vectors, strict=True)]
    return Corpus(ids, candidates, texts, vectors, documents, embedder.model_id, rate, note)


def perturbed_copies(base: Matrix, count: int, sigma: float) -> Matrix:
    """``count`` unit vectors: ``base`` first, then row ``i`` is ``base[i % len(base)]`` plus Gaussian noise.

    The copies' vectors do not describe their profiles' texts, but latency and recall (against exact search
    on these same vectors) are measured on a realistic distribution of real embeddings.
    """
    rows = np.arange(count)
    vectors = base[rows % len(base)].copy()
    copies = rows >= len(base)
    rng = np.random.default_rng(19)
    noisy = vectors[copies] + rng.normal(0.0, sigma, (int(copies.sum()), base.shape[1])).astype(np.float32)
    vectors[copies] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return vectors


def measure_embedding(corpus: Corpus, rt: Runtime, sample: int) -> None:
    """Re-embed the first ``sample`` texts (after a warm-up) and store that rate beside the cache."""
    embedder = model_embedder(rt.settings)
    embedder.embed(corpus.texts[:32])
    started = time.perf_counter()
    embedder.embed(corpus.texts[:sample])
    rate = sample / (time.perf_counter() - started)
    meta_path = BENCH_DIR / f"candidates-{len(corpus.texts)}-{_slug(embedder.model_id)}.json"
    meta = json.loads(meta_path.read_text())
    meta.update(docs_per_s=rate, embedded_docs=sample, created=datetime.now(UTC).isoformat())
    meta_path.write_text(json.dumps(meta))
    corpus.embed_rate, corpus.embed_note = rate, f"measured in this run on the first {sample} profiles"


# -- queries and ground truth ---------------------------------------------------------------------


@dataclass
class Queries:
    """Real offers as shortlist queries: text, vector and the production filters at their workplace."""

    texts: list[str]
    vectors: Matrix
    filters: list[list[Filter]]
    workplaces: list[tuple[float, float]]


def load_queries(rt: Runtime, count: int) -> Queries:
    """Every k-th shipped offer (deterministic), embedded as shortlists embed them, with the candidates' model."""
    offers = [raw for raw in shipped_offers(rt.settings.reference_dir) if rt.geography.get(raw["commune_insee"])]
    step = max(1, len(offers) // count)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    texts, titles, filters, places = [], [], [], []
    for raw in offers[::step][:count]:
        data = {**offer_input(raw).model_dump(), "id": raw["id"], "version": 1, "created_at": now, "updated_at": now}
        offer = Offer.model_validate(data)
        texts.append(offer_text(offer))
        titles.append(offer.title)
        place = rt.geography.get(raw["commune_insee"])
        assert place is not None
        places.append((place.lat, place.lon))
        filters.append([Terms("visibility", (Visibility.EMPLOYERS.value,)), WithinReach(place.lat, place.lon)])
    return Queries(texts, offer_vectors(model_embedder(rt.settings), titles, texts), filters, places)


def filter_masks(corpus: Corpus, queries: Queries) -> list[npt.NDArray[np.bool_]]:
    """Which candidates each query's production filters keep (numpy, for the exact filtered ground truth)."""
    visible = np.array([c.visibility == Visibility.EMPLOYERS for c in corpus.candidates])
    rows, lat, lon, reach = [], [], [], []
    for row, doc in enumerate(corpus.documents):
        for point in doc.points:
            rows.append(row)
            lat.append(point[0])
            lon.append(point[1])
            reach.append(doc.reach_km or -1.0)
    point_rows = np.asarray(rows)
    masks = []
    for q_lat, q_lon in queries.workplaces:
        inside = haversine_km(q_lat, q_lon, np.asarray(lat), np.asarray(lon)) <= np.asarray(reach)
        mask = np.zeros(len(corpus.ids), dtype=bool)
        mask[point_rows[inside]] = True
        masks.append(mask & visible)
    return masks


def exact_top(
    corpus: Corpus, queries: Queries, k: int, masks: Sequence[npt.NDArray[np.bool_]] | None
) -> tuple[list[list[str]], list[float]]:
    """Exact cosine top-``k`` by a full numpy scan (the baseline and the ground truth) and its latency in ms."""
    out, timings = [], []
    for number, vector in enumerate(queries.vectors):
        started = time.perf_counter()
        scores = corpus.vectors @ vector
        if masks is not None:
            scores = np.where(masks[number], scores, -np.inf)
        top = np.argpartition(-scores, k)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[np.isfinite(scores[top])]
        timings.append((time.perf_counter() - started) * 1000)
        out.append([corpus.ids[row] for row in top])
    return out, timings


# -- the backends ---------------------------------------------------------------------------------


@dataclass
class Column:
    """Figures of one backend (None: not measured for this column)."""

    name: str
    index_s: float
    hybrid_filtered_ms: list[float]
    hybrid_plain_ms: list[float]
    retrieval_ms: list[float]
    knn_ms: list[float] | None
    recall: dict[str, float] | None
    notes: list[str]


def build_embedded(corpus: Corpus) -> tuple[EmbeddedBackend, float]:
    """Index into a fresh in-memory embedded backend, 1-bit kNN path forced; the first search's refresh counts."""
    backend = EmbeddedBackend(None, ann_threshold=1)
    backend.ensure_index(CANDIDATES, dims=corpus.vectors.shape[1])
    started = time.perf_counter()
    for start in range(0, len(corpus.documents), 1_000):
        backend.upsert(CANDIDATES, corpus.documents[start : start + 1_000])
    backend.bm25(CANDIDATES, "agent", k=1)  # builds BM25, postings and geo arrays, as a refresh would
    return backend, time.perf_counter() - started


def elasticsearch_backends(url: str) -> tuple[ElasticsearchBackend, ElasticsearchBackend]:
    """(before, after): the old request pattern (see the module docstring) and the backend as it ships."""
    settings = SearchSettings(url=url, index_prefix="bench", refresh="false")
    old = settings.model_copy(
        update={"bulk_threads": 1, "bulk_refresh_pause_at": 0, "reach_cache_s": 0.0, "max_query_terms": 0}
    )
    return ElasticsearchBackend(old, client=Elasticsearch(url)), ElasticsearchBackend(settings)


def bulk_load(backend: ElasticsearchBackend, corpus: Corpus, *, old: bool) -> float:
    """Seconds to load the corpus into a fresh index and refresh it (``old``: refresh turned off here, as before)."""
    backend.drop_index(CANDIDATES)
    backend.ensure_index(CANDIDATES, dims=corpus.vectors.shape[1])
    alias = backend.alias(CANDIDATES)
    started = time.perf_counter()
    if old:
        backend.client.indices.put_settings(index=alias, settings={"index": {"refresh_interval": "-1"}})
    step = 5_000 if old else 50_000  # old: the calls the bench made before; new: large calls, as a rebuild makes
    for start in range(0, len(corpus.documents), step):
        result: BulkResult = backend.upsert(CANDIDATES, corpus.documents[start : start + step])
        if result.failed:
            raise RuntimeError(f"{len(result.failed)} documents failed: {next(iter(result.failed.values()))}")
        log(f"  elasticsearch bulk {min(start + step, len(corpus.documents))}/{len(corpus.documents)}")
    if old:
        backend.client.indices.put_settings(index=alias, settings={"index": {"refresh_interval": None}})
    backend.flush()
    return time.perf_counter() - started


def build_elasticsearch(corpus: Corpus, url: str) -> tuple[ElasticsearchBackend, ElasticsearchBackend, float, float]:
    """Load the corpus the old way (then drop it), then the new way; (before, after, old seconds, new seconds)."""
    before, after = elasticsearch_backends(url)
    log("  bulk, before ...")
    old_s = bulk_load(before, corpus, old=True)
    log("  bulk, after ...")
    new_s = bulk_load(after, corpus, old=False)
    alias = after.alias(CANDIDATES)
    while after.client.indices.stats(index=alias, metric="merge")["_all"]["total"]["merges"]["current"]:
        time.sleep(1)
    return before, after, old_s, new_s


def elasticsearch_notes(backend: ElasticsearchBackend) -> list[str]:
    alias = backend.alias(CANDIDATES)
    stats = backend.client.indices.stats(index=alias, metric="segments,store")["_all"]["primaries"]
    s = backend.settings
    return [
        f"{s.vector_index_type}, num_candidates {s.num_candidates}, rescore oversample {s.rescore_oversample}, "
        f"bulk {s.bulk_chunk_size} docs/request, {s.bulk_threads} requests at once, refresh paused from "
        f"{s.bulk_refresh_pause_at} docs; query terms capped at {s.max_query_terms}, reach values kept "
        f"{s.reach_cache_s:g} s",
        f"{stats['segments']['count']} segments, {stats['store']['size_in_bytes'] / 2**20:.0f} MiB on disk",
    ]


def timed(queries: Queries, *ones: Callable[[int], object]) -> list[list[float]]:
    """Latency (ms) of each ``one(i)`` for every query, after a short warm-up.

    Several are interleaved query by query (in turns, the first one alternating), so that the load of this
    shared machine drifts over all of them alike.
    """
    for i in range(min(10, len(queries.texts))):
        for one in ones:
            one(i)
    timings: list[list[float]] = [[] for _ in ones]
    for i in range(len(queries.texts)):
        order = list(range(len(ones)))
        if i % 2:
            order.reverse()
        for j in order:
            started = time.perf_counter()
            ones[j](i)
            timings[j].append((time.perf_counter() - started) * 1000)
    return timings


def hybrid(backend: SearchBackend, queries: Queries, i: int, *, filtered: bool = True, k: int = 100) -> object:
    filters = queries.filters[i] if filtered else ()
    return hybrid_search(backend, CANDIDATES, text=queries.texts[i], vector=queries.vectors[i], filters=filters, k=k)


def retrieval(backend: SearchBackend, queries: Queries, i: int) -> list[HybridHit]:
    """What a shortlist retrieves: the top 200, production filters, every hit with both scores."""
    vector = queries.vectors[i]
    return hybrid_search(
        backend, CANDIDATES, text=queries.texts[i], vector=vector, filters=queries.filters[i], k=200, complete=True
    )


def knn_recall(
    backend: SearchBackend, queries: Queries, truth: list[list[str]], truth_filtered: list[list[str]]
) -> tuple[dict[str, float], list[float]]:
    """Recall@10 and @50 of ``knn`` against the exact top lists, unfiltered and filtered; unfiltered latency."""
    sums = dict.fromkeys(("r10", "r50", "r10f", "r50f"), 0.0)
    timings = []
    for i, vector in enumerate(queries.vectors):
        started = time.perf_counter()
        found = [hit.id for hit in backend.knn(CANDIDATES, vector, k=50)]
        timings.append((time.perf_counter() - started) * 1000)
        found_f = [hit.id for hit in backend.knn(CANDIDATES, vector, filters=queries.filters[i], k=50)]
        for key, hits, exact in (("", found, truth[i]), ("f", found_f, truth_filtered[i])):
            for k in (10, 50):
                expected = set(exact[:k])
                sums[f"r{k}{key}"] += len(expected & set(hits[:k])) / len(expected) if expected else 1.0
    return {key: total / len(queries.vectors) for key, total in sums.items()}, timings


Truth = tuple[list[list[str]], list[list[str]]]  # exact top lists, unfiltered and filtered


def measure(
    columns: Sequence[tuple[str, SearchBackend, float, list[str]]], queries: Queries, truth: Truth | None
) -> list[Column]:
    """Every figure of (name, backend, indexing seconds, notes) columns: hybrid latency with and without
    filters, shortlist retrieval (their queries interleaved, see :func:`timed`); kNN recall and latency of the
    last column when ``truth`` is given (the others query the same index)."""
    log(f"querying {', '.join(name for name, *_ in columns)} ...")
    backends = [backend for _, backend, *_ in columns]

    def each(run: Callable[[SearchBackend, int], object]) -> list[list[float]]:
        return timed(queries, *[lambda i, b=b: run(b, i) for b in backends])

    filtered = each(lambda b, i: hybrid(b, queries, i))
    plain = each(lambda b, i: hybrid(b, queries, i, filtered=False))
    full = each(lambda b, i: retrieval(b, queries, i))
    out = [
        Column(name, index_s, filtered[j], plain[j], full[j], None, None, notes)
        for j, (name, _, index_s, notes) in enumerate(columns)
    ]
    if truth is not None:
        recall, knn_ms = knn_recall(backends[-1], queries, *truth)
        out[-1].recall, out[-1].knn_ms = recall, knn_ms
    return out


def differences(before: SearchBackend, after: SearchBackend, queries: Queries) -> tuple[int, float]:
    """(queries whose shortlist retrieval differs in ids, order or scores; mean overlap of their top 50)."""
    differ, overlap = 0, 0.0
    for i in range(len(queries.texts)):
        a, b = retrieval(before, queries, i), retrieval(after, queries, i)
        differ += a != b
        top_a, top_b = {h.id for h in a[:50]}, {h.id for h in b[:50]}
        overlap += len(top_a & top_b) / max(len(top_a), len(top_b), 1)
    return differ, overlap / max(len(queries.texts), 1)


# -- report ---------------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(
    corpus: Corpus,
    queries: Queries,
    exact_ms: list[float],
    exact_f_ms: list[float],
    cols: list[Column],
    extra: Sequence[str] = (),
) -> None:
    n, rate = len(corpus.ids), corpus.embed_rate
    print(
        f"\n{n} ROME-derived candidates, {corpus.vectors.shape[1]}-d {corpus.model_id} vectors, "
        f"{len(queries.texts)} real offers as queries, {os.cpu_count()} CPU cores"
    )
    print(f"embedding rate {rate:.1f} docs/s ({corpus.embed_note}); 'included' = both steps in sequence")
    width = 24
    print(f"\n{'figure':<58}" + "".join(f"{c.name:>{width}}" for c in cols))

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:<58}" + "".join(f"{cell:>{width}}" for cell in cells))

    def timings(values: list[float] | None) -> str:
        if values is None:
            return "(same index)"
        return f"{pct(values, 0.5):.1f} / {pct(values, 0.95):.1f} / {pct(values, 0.99):.1f}"

    row("indexing time, embedding excluded (s)", [f"{c.index_s:.1f}" for c in cols])
    row("indexing docs/s, embedding excluded", [f"{n / c.index_s:,.0f}" for c in cols])
    row("indexing docs/s, embedding included", [f"{1 / (1 / rate + c.index_s / n):,.1f}" for c in cols])
    for label, attr in (
        ("hybrid top-100, production filters", "hybrid_filtered_ms"),
        ("hybrid top-100, no filter", "hybrid_plain_ms"),
        ("shortlist retrieval: top-200 + missing scores, filters", "retrieval_ms"),
        ("kNN top-50 alone, no filter", "knn_ms"),
    ):
        row(f"{label}: p50 / p95 / p99 ms", [timings(getattr(c, attr)) for c in cols])

    def recall(c: Column, key: str) -> str:
        return "(same index)" if c.recall is None else f"{c.recall[f'r10{key}']:.3f} / {c.recall[f'r50{key}']:.3f}"

    row("kNN recall@10 / @50, no filter", [recall(c, "") for c in cols])
    row("kNN recall@10 / @50, production filters", [recall(c, "f") for c in cols])
    print(
        f"\nbaseline, exact numpy scan of the same {n} float32 vectors (top-50, ground truth): "
        f"p50 {pct(exact_ms, 0.5):.2f} ms, p95 {pct(exact_ms, 0.95):.2f} ms; "
        f"with the filter mask applied: p50 {pct(exact_f_ms, 0.5):.2f} ms"
    )
    for c in cols:
        for note in c.notes:
            print(f"{c.name}: {note}")
    for line in extra:
        print(line)
    print(
        f"load average (1, 5, 15 min) at the end: {os.getloadavg()} (this machine is shared: compare columns, not runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} candidates")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=0, help="embed only this many profiles, perturbed copies after")
    parser.add_argument("--sigma", type=float, default=0.02, help="noise per dimension of the perturbed copies")
    parser.add_argument("--skip-embedded", action="store_true", help="Elasticsearch columns only")
    parser.add_argument(
        "--measure-embedding",
        type=int,
        default=0,
        metavar="N",
        help="re-measure the embedding rate on N profiles (quiet machine) and store it",
    )
    parser.add_argument("--keep-index", action="store_true", help="leave the bench-candidates index on the node")
    args = parser.parse_args()
    count = QUICK if args.quick else args.candidates
    rt = bench_runtime("corpus")
    corpus = load_corpus(rt, count, args.real, args.sigma)
    if args.measure_embedding:
        measure_embedding(corpus, rt, args.measure_embedding)
    log("embedding the queries ...")
    queries = load_queries(rt, args.queries)
    masks = filter_masks(corpus, queries)
    exact, exact_ms = exact_top(corpus, queries, 50, None)
    exact_f, exact_f_ms = exact_top(corpus, queries, 50, masks)
    truth = (exact, exact_f)
    cols, extra = [], []
    if not args.skip_embedded:
        log("indexing into the embedded backend ...")
        embedded, seconds = build_embedded(corpus)
        detail = f"1-bit scan + exact rescoring of {embedded.rescore:,} (ann_threshold=1)"
        cols += measure([("embedded", embedded, seconds, [detail])], queries, truth)
        del embedded
        gc.collect()
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        log(f"indexing into Elasticsearch at {url} ...")
        before, after, old_s, new_s = build_elasticsearch(corpus, url)
        notes = elasticsearch_notes(after)
        old = ("elasticsearch before", SeparateRetrievers(before), old_s, [])
        cols += measure([old, ("elasticsearch", after, new_s, notes)], queries, truth)
        n = len(queries.texts)
        differ, _ = differences(SeparateRetrievers(after), after, queries)
        again, _ = differences(SeparateRetrievers(after), SeparateRetrievers(after), queries)
        extra.append(
            f"elasticsearch, one request vs the same settings in separate requests: {differ} of {n} shortlist "
            f"retrievals differ (ids, order or scores); separate requests vs themselves: {again} (kNN over "
            "several segments is not deterministic in Elasticsearch: they search concurrently, sharing a bound)"
        )
        differ, overlap = differences(SeparateRetrievers(before), after, queries)
        extra.append(
            f"elasticsearch before vs after (query terms capped at {after.settings.max_query_terms}): {differ} of "
            f"{n} shortlist retrievals differ, top-50 overlap {overlap:.3f}"
        )
        if not args.keep_index:
            after.drop_index(CANDIDATES)
        before.close()
        after.close()
    else:
        log("ELASTICSEARCH_URL not set: Elasticsearch skipped")
    report(corpus, queries, exact_ms, exact_f_ms, cols, extra)


if __name__ == "__main__":
    main()
