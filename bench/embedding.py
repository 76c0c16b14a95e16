"""Embedding throughput and latency: fp32 (baseline) against bf16, on real texts of this repo.

    uv run python -m bench.embedding [--docs 256] [--queries 200]

Profiles: ROME-derived candidate texts padded with real offer text to ~256 tokens (the length the
TARGETS are stated for). Queries: real offer titles (≤ 32 tokens). Quality: mean cosine of each
variant's vectors to the fp32 ones on the same texts.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from matcher.core.settings import get_settings
from matcher.demo.samples import shipped_offers
from matcher.embedding.transformer import SentenceTransformerEmbedder


def texts(count: int) -> tuple[list[str], list[str]]:
    offers = list(shipped_offers(get_settings().reference_dir))
    long = [f"{o['title']}. {o['description']}" for o in offers if len(o["description"]) > 1500][:count]
    while len(long) < count:
        long += long[: count - len(long)]
    return long, [o["title"] for o in offers]


def throughput(model: SentenceTransformerEmbedder, docs: list[str]) -> tuple[float, np.ndarray]:
    model.embed(docs[:32])  # warm-up
    started = time.perf_counter()
    vectors = model.embed(docs)
    return len(docs) / (time.perf_counter() - started), vectors


def latency_ms(model: SentenceTransformerEmbedder, queries: list[str]) -> tuple[float, float]:
    for q in queries[:10]:
        model.embed([q])
    samples = []
    for q in queries:
        started = time.perf_counter()
        model.embed([q])
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=256)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    docs, queries = texts(args.docs)
    queries = queries[: args.queries]
    path = get_settings().model_path
    rows = []
    baseline_vectors = None
    for precision in ("fp32", "bf16"):
        model = SentenceTransformerEmbedder(path, batch_size=32, precision=precision)
        rate, vectors = throughput(model, docs)
        p50, p99 = latency_ms(model, queries)
        if baseline_vectors is None:
            baseline_vectors = vectors
        cosine = float(np.mean(np.sum(vectors * baseline_vectors, axis=1)))
        rows.append((precision, rate, p50, p99, cosine))
    print(f"{'variant':<8} {'docs/s (256 tok)':>17} {'query p50 ms':>13} {'query p99 ms':>13} {'cos to fp32':>12}")
    for precision, rate, p50, p99, cosine in rows:
        print(f"{precision:<8} {rate:>17.1f} {p50:>13.2f} {p99:>13.2f} {cosine:>12.4f}")
    print(f"bf16 / fp32 throughput: {rows[1][1] / rows[0][1]:.2f}x")


if __name__ == "__main__":
    main()
