"""End-to-end ingest throughput: offers per second from accepted (stored + outbox) to searchable.

    uv run python -m bench.ingest [--offers 1000] [--embedder hashing|sentence-transformers]
    needs ELASTICSEARCH_URL (scripts/search-node start) and MATCHER_TEST_REDIS_URL (scripts/redis start)

Each configuration starts from an empty store (SQLite file), an empty embedding cache and new indices
on the same Elasticsearch node. The offers are written one per transaction, as the API writes them,
and the runner is kicked after each write from a thread pool (as FastAPI runs background tasks).
The clock runs from the first write until the index holds every offer (the outbox empty, the index
refreshed). Workers are started before the clock.

Baseline (same run): the in-process runner (no broker), which indexes inside the writing process.
Then Celery with 1 and 2 `matcher worker` processes (one pool child each) on Redis. Every configuration
writes with ``SEARCH_REFRESH=false``: a task refreshes once, before marking its rows done.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from indices.elasticsearch import ElasticsearchBackend
from indices.settings import SearchSettings
from matcher.catalog.employers import create_employer
from matcher.catalog.offers import create_offer
from matcher.core.indexes import OFFERS
from matcher.core.models import EmployerIn, OfferIn
from matcher.core.settings import MatcherSettings, get_settings
from matcher.demo.samples import shipped_offers
from matcher.jobs.runner import InProcessRunner, pending_count
from matcher.runtime import Runtime

REPO = Path(__file__).resolve().parents[1]


def offer_texts(count: int) -> list[tuple[str, str]]:
    real = [(o["title"], o["description"]) for o in shipped_offers(get_settings().reference_dir)]
    # Distinct texts (so no run reuses another's embeddings): real offers, numbered past the first round.
    return [
        (f"{t} ({n // len(real)})" if n >= len(real) else t, d)
        for n, (t, d) in enumerate(real * (count // len(real) + 1))
    ][:count]


def start_workers(
    count: int, settings: MatcherSettings, search: SearchSettings, log: Path
) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "MATCHER_DATA_DIR": str(settings.data_dir),
        "MATCHER_EMBEDDER": settings.embedder,
        "MATCHER_SEARCH_BACKEND": "elasticsearch",
        "MATCHER_BROKER_URL": settings.broker_url or "",
        "MATCHER_TASK_QUEUE": settings.task_queue,
        "MATCHER_OUTBOX_BATCH_SIZE": str(settings.outbox_batch_size),
        "MATCHER_EMBEDDING_THREADS": str(max(1, (os.cpu_count() or 2) // count)),
        "SEARCH_URL": search.url,
        "SEARCH_INDEX_PREFIX": search.index_prefix,
        "SEARCH_REFRESH": search.refresh,
    }
    with log.open("ab") as out:
        return [
            subprocess.Popen(
                [sys.executable, "-m", "matcher.cli.main", "worker", "--concurrency", "1", "--loglevel", "INFO"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for _ in range(count)
        ]


def run(
    config: str, workers: int, texts: list[tuple[str, str]], args: argparse.Namespace, folder: Path
) -> dict[str, float]:
    data = folder / config
    # refresh=false: each indexing task refreshes once before marking its rows done (matcher.indexing).
    search = SearchSettings(
        url=args.elasticsearch, index_prefix=f"bench-ingest-{uuid.uuid4().hex[:8]}", refresh="false"
    )
    broker = args.redis if workers else None
    settings = MatcherSettings(
        data_dir=data,
        embedder=args.embedder,
        broker_url=broker,
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        outbox_batch_size=args.batch,
    )
    backend = ElasticsearchBackend(search)
    rt = Runtime.open(settings, backend=backend)
    rt.ensure_indices()
    rt.embedder.embed(["échauffement"])  # the model is loaded before the clock, as in a running API
    processes = start_workers(workers, settings, search, data / "workers.log") if workers else []
    runner = InProcessRunner(rt)
    try:
        with rt.store.transaction() as session:
            employer = create_employer(session, data=EmployerIn(name="Commune de Privas", kind="commune")).id
        log = data / "workers.log"
        while workers and log.read_text(errors="replace").count("matcher worker process ready") < workers:
            time.sleep(0.2)  # every worker process has loaded its runtime and model
        time.sleep(1 if workers else 0)  # and its consumer polls the queue
        pool = ThreadPoolExecutor(max_workers=4)
        started = time.perf_counter()
        for title, description in texts:
            data_in = OfferIn(title=title, description=description, employer_id=employer, commune_insee="07186",
                              contract_types=["contractuel"])  # fmt: skip
            with rt.store.transaction() as session:
                create_offer(session, data=data_in, taxonomy=rt.taxonomy, geography=rt.geography)
            pool.submit(runner.kick)
        accepted = time.perf_counter() - started
        pool.shutdown(wait=True)
        while pending_count(rt):
            time.sleep(0.05)
            if workers and time.perf_counter() - started > 5:  # the beat's periodic dispatch, lost work
                runner.kick()
        rt.backend.flush()
        elapsed = time.perf_counter() - started
        assert rt.backend.count(OFFERS) == len(texts), "index incomplete"
    finally:
        for p in processes:
            os.killpg(p.pid, signal.SIGTERM)
        for p in processes:
            p.wait(30)
        indices = backend.client.indices.get(index=f"{search.index_prefix}-*", allow_no_indices=True)
        if indices:
            backend.client.indices.delete(index=",".join(indices))
        rt.close()
    return {"accepted_s": accepted, "searchable_s": elapsed, "rate": len(texts) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=64, help="outbox rows per indexing task")
    parser.add_argument("--embedder", choices=["hashing", "sentence-transformers"], default="sentence-transformers")
    parser.add_argument("--elasticsearch", default=os.environ.get("ELASTICSEARCH_URL"))
    parser.add_argument("--redis", default=os.environ.get("MATCHER_TEST_REDIS_URL"))
    parser.add_argument("--keep", type=Path, help="keep each configuration's store and worker logs here")
    args = parser.parse_args()
    if not args.elasticsearch or not args.redis:
        parser.error(
            "ELASTICSEARCH_URL and MATCHER_TEST_REDIS_URL are needed (scripts/search-node start, scripts/redis start)"
        )
    texts = offer_texts(args.offers)
    print(f"{args.offers} offers, embedder {args.embedder}, {os.cpu_count()} CPUs, batches of {args.batch}")
    print(f"{'configuration':<34} {'accepted in':>12} {'searchable in':>14} {'offers/s':>9}")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = str(args.keep or tmp_dir)
        baseline = None
        for label, workers in (
            ("in-process runner (baseline)", 0),
            ("Celery, 1 worker process", 1),
            ("Celery, 2 worker processes", 2),
        ):
            result = run(f"w{workers}", workers, texts, args, Path(tmp))
            baseline = baseline or result["rate"]
            print(
                f"{label:<34} {result['accepted_s']:>10.1f} s {result['searchable_s']:>12.1f} s "
                f"{result['rate']:>9.1f}  (x{result['rate'] / baseline:.2f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
