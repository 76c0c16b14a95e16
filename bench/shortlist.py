"""Full shortlist latency on the embedded backend: retrieve 200 (hybrid) → features → rank → top 50.

    uv run python -m bench.shortlist [--candidates 100000] [--quick] [--queries 200] [--profile 50]

Candidates: the deterministic ROME-derived profiles with their real embeddings (cached by
``bench.search_backends``), stored in a SQLite file under ``var/bench/`` (built once) and indexed
as the service does (only profiles open to employers), then the index saved under the same folder as
the service's outbox jobs save theirs: its vectors and texts are then read from their files through the
page cache. The RSS is printed as anonymous memory and mapped file pages, after the 1-bit pass and
after the exact pass (which reads every vector). With ``--real N`` only the first N
are embedded and the others get perturbed copies of their vectors; they are then generated, stored and
indexed 50,000 at a time, so 1M profiles (``--candidates 1000000 --real 2000``) fit in memory.
Queries: real shipped offers; their vectors are in the embedding cache beforehand, as they are once an
offer is indexed. After the warm-up the process is settled as a serving one is (one BLAS thread, the
loaded heap frozen; ``--unsettled`` skips it). Printed beside it, measured in the same run: the same
shortlists with an exact kNN scan instead of the 1-bit scan, and the bare exact numpy scan (top 200 of
the indexed vectors); the main thread's CPU time per shortlist too (what a loaded machine inflates
least), and the RSS while timing. Then a cProfile breakdown per shortlist.
"""

from __future__ import annotations

import argparse
import cProfile
import ctypes
import gc
import io
import os
import pstats
import resource
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert

from bench.search_backends import (
    BENCH_DIR,
    QUICK,
    Corpus,
    bench_runtime,
    cached_vectors,
    load_corpus,
    log,
    model_embedder,
    pct,
)
from indices.embedded import EmbeddedBackend
from indices.protocol import Filter, Terms, WithinReach
from matcher.core.indexes import CANDIDATES
from matcher.core.models import Candidate, CandidateIn, Offer, Visibility
from matcher.core.settings import REPO_ROOT, MatcherSettings
from matcher.demo.samples import candidate_generator, offer_input, shipped_offers
from matcher.indexing.documents import candidate_document, candidate_text, offer_text, offer_vectors
from matcher.ranking.pipeline import shortlist_for
from matcher.runtime import Runtime, settle_serving_process
from matcher.store.tables import CandidateRow, SettingRow

LIMIT = 50
MARKER = "bench_candidates"
CHUNK = 50_000  # profiles generated, stored and indexed at a time
STAGES = (  # (file suffix, function): what one shortlist spends in each part
    ("matcher/ranking/pipeline.py", "shortlist_for"),
    ("matcher/embedding/transformer.py", "embed"),
    ("indices/hybrid.py", "hybrid_search"),
    ("indices/embedded.py", "bm25"),
    ("indices/embedded.py", "knn"),
    ("indices/embedded.py", "mask"),
    ("indices/bm25.py", "scores"),
    ("indices/vectors.py", "search"),
    ("matcher/ranking/pipeline.py", "complete_scores"),
    ("matcher/ranking/pipeline.py", "rank_pairs"),
    ("matcher/ranking/features.py", "feature_matrix"),
    ("matcher/ranking/scorer.py", "score_matrix"),
    ("matcher/ranking/views.py", "candidate_view"),
    ("matcher/ranking/pipeline.py", "explain"),
    ("matcher/core/records.py", "candidate_from_row"),
    ("matcher/ranking/pipeline.py", "_retrieve"),
    ("sqlalchemy/orm/query.py", "__iter__"),
)


def build_perturbed(source: Runtime, rt: Runtime, count: int, real: int, sigma: float) -> tuple[str, float]:
    """Store and index ``count`` generated profiles whose vectors are ``real`` real embeddings plus perturbed copies.

    Row ``i`` >= ``real`` gets the real vector of row ``i % real`` plus Gaussian noise (``sigma`` per
    dimension, then unit length): the profiles' own texts are not embedded (too slow on 2 loaded cores),
    so their vectors do not describe their texts, but latency and recall (against exact search on these
    same vectors) are measured on a realistic distribution of real embeddings. Profiles are generated,
    stored (once: the store is kept under ``var/bench``) and indexed ``CHUNK`` at a time.

    Returns:
        (what the vectors are, seconds spent indexing).
    """
    stored = _stored(rt, count)
    if not stored:
        log(f"storing {count} candidates in {rt.settings.sqlalchemy_url} ...")
        with rt.store.transaction() as session:
            session.query(CandidateRow).delete()
            session.query(SettingRow).filter(SettingRow.key == MARKER).delete()
    embedder = model_embedder(rt.settings)
    rng = np.random.default_rng(19)
    base: npt.NDArray[np.float32] | None = None
    note, index_s = "", 0.0
    log(f"generating and indexing {count} ROME-derived profiles, {CHUNK} at a time ...")
    for start, candidates in _generated(source, count):
        if base is None:  # the first chunk holds the profiles to embed
            texts = [candidate_text(c, source.taxonomy) for c in candidates[:real]]
            base, _, note = cached_vectors(texts, embedder)
            rt.backend.ensure_index(CANDIDATES, dims=base.shape[1])
        rows = np.arange(start, start + len(candidates))
        vectors = base[rows % real].copy()
        copies = rows >= real  # drawn in row order: the same vectors whatever the chunk size
        noisy = vectors[copies] + rng.normal(0.0, sigma, (int(copies.sum()), base.shape[1])).astype(np.float32)
        vectors[copies] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
        if not stored:
            _insert(rt, candidates)
        started = time.perf_counter()
        documents = [
            candidate_document(c, v, source.taxonomy, source.geography)
            for c, v in zip(candidates, vectors, strict=True)
            if c.visibility == Visibility.EMPLOYERS
        ]
        for at in range(0, len(documents), 1_000):
            rt.backend.upsert(CANDIDATES, documents[at : at + 1_000])
        index_s += time.perf_counter() - started
        log(f"  {start + len(candidates)}/{count}")
    if not stored:
        with rt.store.transaction() as session:
            session.add(SettingRow(key=MARKER, value=str(count)))
    started = time.perf_counter()
    rt.backend.bm25(CANDIDATES, "agent", k=1)  # the refresh
    index_s += time.perf_counter() - started
    return f"{real} real embeddings + {count - real} perturbed copies (sigma {sigma}); embedding {note}", index_s


def _generated(rt: Runtime, count: int) -> Iterator[tuple[int, list[Candidate]]]:
    """(first row, stored-like candidates) of the first ``count`` generated profiles, ``CHUNK`` at a time."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    chunk: list[Candidate] = []
    for number, (profile, _) in enumerate(candidate_generator(rt).profiles(count)):
        fields = {"id": f"cand_demo_{number:06d}", "version": 1, "consented_at": now, "created_at": now}
        chunk.append(Candidate.model_validate({**profile.model_dump(), **fields, "updated_at": now}))
        if len(chunk) == CHUNK:
            yield number + 1 - CHUNK, chunk
            chunk = []
    if chunk:
        yield count - len(chunk), chunk


def _stored(rt: Runtime, count: int) -> bool:
    with rt.store.read() as session:
        marker = session.get(SettingRow, MARKER)
        return marker is not None and marker.value == str(count)


def _insert(rt: Runtime, candidates: list[Candidate]) -> None:
    """Plain inserts: these profiles are valid by construction."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    fields = set(CandidateIn.model_fields)
    with rt.store.transaction() as session:
        for start in range(0, len(candidates), 5_000):
            rows = [
                {
                    **c.model_dump(mode="json", include=fields),
                    "id": c.id,
                    "version": 1,
                    "consented_at": now if c.visibility == Visibility.EMPLOYERS else None,
                }
                for c in candidates[start : start + 5_000]
            ]
            session.execute(insert(CandidateRow), rows)


def knn_recall(rt: Runtime, backend: EmbeddedBackend, offers: list[Offer]) -> dict[int, float]:
    """Recall@10 and @50 of the 1-bit kNN against the exact scan, same vectors and production filters."""
    found = {10: 0.0, 50: 0.0}
    for offer in offers:
        vector = offer_vectors(rt.embedder, [offer.title], [offer_text(offer)])[0]
        view_place = rt.geography.coordinates(offer.commune_insee)
        filters: list[Filter] = [Terms("visibility", (Visibility.EMPLOYERS.value,))]
        if view_place:
            filters.append(WithinReach(*view_place))
        backend.ann_threshold = 10**12
        exact = [h.id for h in backend.knn(CANDIDATES, vector, filters=filters, k=50)]
        backend.ann_threshold = rt.settings.ann_threshold
        approx = [h.id for h in backend.knn(CANDIDATES, vector, filters=filters, k=50)]
        for k in found:
            truth = set(exact[:k])
            found[k] += len(truth & set(approx[:k])) / max(len(truth), 1)
    return {k: v / len(offers) for k, v in found.items()}


def store_candidates(rt: Runtime, corpus: Corpus) -> None:
    """Write the corpus into the store once."""
    count = len(corpus.ids)
    if _stored(rt, count):
        return
    log(f"storing {count} candidates in {rt.settings.sqlalchemy_url} ...")
    with rt.store.transaction() as session:
        session.query(CandidateRow).delete()
        session.query(SettingRow).filter(SettingRow.key == MARKER).delete()
    for start in range(0, count, CHUNK):
        _insert(rt, corpus.candidates[start : start + CHUNK])
    with rt.store.transaction() as session:
        session.add(SettingRow(key=MARKER, value=str(count)))


def index_candidates(rt: Runtime, corpus: Corpus) -> float:
    """Index the profiles open to employers, as the outbox jobs would; returns seconds."""
    started = time.perf_counter()
    rt.backend.ensure_index(CANDIDATES, dims=corpus.vectors.shape[1])
    visible = [d for d, c in zip(corpus.documents, corpus.candidates, strict=True) if c.visibility == "employers"]
    for start in range(0, len(visible), 1_000):
        rt.backend.upsert(CANDIDATES, visible[start : start + 1_000])
    rt.backend.bm25(CANDIDATES, "agent", k=1)  # the refresh
    return time.perf_counter() - started


def load_offers(rt: Runtime, count: int) -> list[Offer]:
    """Every k-th shipped offer, with its text's and title's vectors put in the embedding cache (as indexing does)."""
    raws = [raw for raw in shipped_offers(rt.settings.reference_dir) if rt.geography.get(raw["commune_insee"])]
    now = datetime(2026, 1, 5, tzinfo=UTC)
    offers = [
        Offer.model_validate(
            {**offer_input(raw).model_dump(), "id": raw["id"], "version": 1, "created_at": now, "updated_at": now}
        )
        for raw in raws[:: max(1, len(raws) // count)][:count]
    ]
    offer_vectors(rt.embedder, [o.title for o in offers], [offer_text(o) for o in offers])
    return offers


class GcPauses:
    """Garbage collector pauses while timing (a 100k-document heap makes full collections visible)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def summary(self) -> str:
        longest = max(self.pauses, default=0.0)
        return f"{len(self.pauses)} GC pauses, {sum(self.pauses):.0f} ms in all, longest {longest:.0f} ms"


@dataclass
class Timed:
    """One pass over the offers: wall and main-thread CPU milliseconds per shortlist, and the GC's pauses."""

    wall: list[float]
    cpu: list[float]
    pauses: GcPauses


def time_shortlists(rt: Runtime, offers: list[Offer], *, cold_views: bool = False) -> Timed:
    """Latency (ms) of each offer's shortlist; ``offers`` were all run once before (lazy structures built).

    ``cold_views``: no candidate view kept between shortlists (each profile read and viewed again, as
    before views were kept by (id, version)).
    """
    wall, cpu = [], []
    with GcPauses() as pauses:
        for offer in offers:
            if cold_views:
                rt.__dict__.pop("candidate_views", None)
            started, started_cpu = time.perf_counter(), time.thread_time()
            shortlist = shortlist_for(rt, offer=offer, size=LIMIT)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            assert shortlist.retrieved <= rt.settings.retrieval_depth
    return Timed(wall, cpu, pauses)


def exact_scan_ms(matrix: npt.NDArray[np.float32], rt: Runtime, offers: list[Offer]) -> list[float]:
    """Bare exact numpy scan: cosine against every vector, top 200."""
    vectors = offer_vectors(rt.embedder, [o.title for o in offers], [offer_text(o) for o in offers])
    depth, timings = rt.settings.retrieval_depth, []
    for vector in vectors:
        started = time.perf_counter()
        scores = matrix @ vector
        top = np.argpartition(-scores, depth)[:depth]
        top = top[np.argsort(-scores[top])]
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def profile(rt: Runtime, offers: list[Offer]) -> str:
    """Time per shortlist in each stage (cProfile cumulative time), then the heaviest functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    for offer in offers:
        shortlist_for(rt, offer=offer, size=LIMIT)
    profiler.disable()
    stats = pstats.Stats(profiler)
    lines = [f"cProfile over {len(offers)} shortlists (profiler overhead included), ms per shortlist:"]
    entries = stats.stats  # type: ignore[attr-defined]
    for suffix, name in STAGES:
        found = [(v[1], v[3]) for (file, _, func), v in entries.items() if func == name and file.endswith(suffix)]
        if found:
            calls, cumulative = sum(c for c, _ in found), sum(t for _, t in found)
            label = f"{suffix}:{name}"
            lines.append(f"  {label:<44} {1000 * cumulative / len(offers):8.2f}  ({calls / len(offers):.0f} calls)")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    lines.append("heaviest functions by own time:")
    table = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(table) if "ncalls" in line), 0)
    lines += ["  " + line.replace(str(REPO_ROOT) + "/", "") for line in table[start:] if line.strip()]
    return "\n".join(lines)


def rss_gib() -> tuple[float, float, float]:
    """This process's resident memory now: (all, anonymous, file-backed: pages of mapped files, the page cache's)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    kib = [int(fields.get(name, "0 kB").split()[0]) for name in ("VmRSS", "RssAnon", "RssFile")]
    return kib[0] / 2**20, kib[1] / 2**20, kib[2] / 2**20


def hand_back_freed_heap() -> bool:
    """Return the C heap's free pages to the system (glibc keeps what the build freed, e.g. its texts)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.malloc_trim(0) >= 0)


def rss_text(rss: tuple[float, float, float]) -> str:
    return f"{rss[0]:.2f} GiB ({rss[1]:.2f} anonymous, {rss[2]:.2f} mapped files)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} candidates")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--profile", type=int, default=50, help="shortlists profiled with cProfile (0: none)")
    parser.add_argument("--real", type=int, default=0, help="embed only this many profiles, perturbed copies after")
    parser.add_argument("--sigma", type=float, default=0.02, help="noise per dimension of the perturbed copies")
    parser.add_argument("--unsettled", action="store_true", help="skip settle_serving_process() after the warm-up")
    args = parser.parse_args()
    count = QUICK if args.quick else args.candidates
    settings = MatcherSettings(data_dir=BENCH_DIR / f"shortlist-{count}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Persisted as the service's index is (its outbox jobs flush after each batch): once saved, the vectors
    # are read from the mapped file and the texts from theirs, through the page cache.
    index_dir = settings.data_dir / "embedded-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    backend = EmbeddedBackend(index_dir, ann_threshold=settings.ann_threshold)
    rt = Runtime.open(settings, embedder=model_embedder(settings), backend=backend)
    if args.real and args.real < count:
        if args.real > CHUNK:
            raise SystemExit(f"--real is at most {CHUNK}")
        embed_note, index_s = build_perturbed(bench_runtime("corpus"), rt, count, args.real, args.sigma)
    else:
        corpus = load_corpus(bench_runtime("corpus"), count)
        store_candidates(rt, corpus)
        log("indexing ...")
        index_s, embed_note = index_candidates(rt, corpus), corpus.embed_note
        del corpus  # the service holds the index, not these: the heap (and GC pauses) then resemble the service's
    started = time.perf_counter()
    backend.flush()
    save_s = time.perf_counter() - started
    gc.collect()
    built = rss_gib()
    trimmed = hand_back_freed_heap()
    handed_back = rss_gib()
    offers = load_offers(rt, args.queries)
    visible = backend.count(CANDIDATES)
    log("warm-up: every offer once (builds what the service builds lazily, e.g. the occupation titles index) ...")
    for offer in offers:
        shortlist_for(rt, offer=offer, size=LIMIT)
    if not args.unsettled:
        settle_serving_process()  # as the API's processes do once loaded
    load_before = os.getloadavg()
    log("timing shortlists (1-bit kNN) ...")
    approx = time_shortlists(rt, offers)
    rss_approx = rss_gib()
    backend.ann_threshold = 10**12
    log("timing shortlists (exact kNN) ...")
    exact = time_shortlists(rt, offers)
    backend.ann_threshold = settings.ann_threshold
    rss = rss_gib()
    log("timing shortlists (1-bit kNN, no candidate view kept) ...")
    cold = time_shortlists(rt, offers, cold_views=True)
    # The floor is numpy's best: a float32 matrix in memory (the index keeps bfloat16 rows), after the RSS above.
    scan = exact_scan_ms(backend._index(CANDIDATES).vectors.matrix, rt, offers)
    recall = knn_recall(rt, backend, offers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"\n{count} ROME-derived candidates ({visible} open to employers, indexed in {index_s:.0f} s), "
        f"{len(offers)} real offers; retrieve {settings.retrieval_depth} → features → rank → top {LIMIT}; "
        f"index saved in {save_s:.0f} s"
    )
    print(
        f"RSS once built and saved {rss_text(built)}; {rss_text(handed_back)} once the build's freed heap is "
        f"handed back (malloc_trim {'done' if trimmed else 'not available'}: "
        "a process loading the saved index never held it)"
    )
    print(
        f"RSS after the 1-bit pass {rss_text(rss_approx)}; after the exact pass (it reads every vector) "
        f"{rss_text(rss)}; peak {peak:.2f} GiB (building included)"
    )
    print(f"{'':<52}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'CPU p50':>10}{'CPU p99':>10}")
    for label, timed in (
        (f"shortlist, embedded 1-bit kNN (ann_threshold {settings.ann_threshold})", approx),
        ("shortlist, embedded exact kNN scan (baseline)", exact),
        ("shortlist, 1-bit kNN, candidate views rebuilt", cold),
    ):
        wall, cpu = timed.wall, timed.cpu
        print(
            f"{label:<52}{pct(wall, 0.5):>10.1f}{pct(wall, 0.95):>10.1f}{pct(wall, 0.99):>10.1f}"
            f"{pct(cpu, 0.5):>10.1f}{pct(cpu, 0.99):>10.1f}"
        )
    label = f"bare exact numpy scan, top {settings.retrieval_depth} (floor)"
    print(f"{label:<52}{pct(scan, 0.5):>10.1f}{pct(scan, 0.95):>10.1f}{pct(scan, 0.99):>10.1f}")
    print(
        "target: p50 <= 20 ms, p99 <= 50 ms at 100k; p50 <= 35 ms, p99 <= 100 ms, RSS <= 3 GB at 1M; "
        f"1-bit / exact p50 ratio {pct(approx.wall, 0.5) / pct(exact.wall, 0.5):.2f}"
    )
    print(
        f"1-bit kNN recall against the exact scan (same vectors, production filters): "
        f"@10 {recall[10]:.3f}, @50 {recall[50]:.3f} (target >= 0.95); vectors: {embed_note}"
    )
    settled = " (unsettled: no gc.freeze(), default BLAS threads)" if args.unsettled else ""
    print(f"during the 1-bit pass: {approx.pauses.summary()}; during the exact pass: {exact.pauses.summary()}{settled}")
    print(f"load average (1, 5, 15 min) before timing {load_before}, after {os.getloadavg()}")
    if args.profile:
        for offer in offers[: args.profile]:  # views kept again, as in the timed 1-bit pass
            shortlist_for(rt, offer=offer, size=LIMIT)
        print("\n" + profile(rt, offers[: args.profile]))


if __name__ == "__main__":
    main()
