"""Embedding throughput and latency: torch fp32 (baseline) against torch bf16 and ONNX Runtime int8.

    uv run python -m bench.embedding [--docs 256] [--tokens 256] [--queries 200] [--onnx-levels all,extended,basic]

Profiles: real offer texts long enough to fill the 256 tokens the TARGETS are stated for (the token
count is printed; ``--tokens 512`` reads them as the service does, up to the model's whole window).
Queries: real offer titles (≤ 32 tokens). Quality: mean cosine of each variant's vectors to the fp32 ones
on the same texts. Needs the ``train`` group (torch) for the baselines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from matcher.core.settings import get_settings
from matcher.demo.samples import shipped_offers
from matcher.embedding.onnx import OnnxEmbedder
from matcher.embedding.protocol import Embedder
from matcher.embedding.transformer import SentenceTransformerEmbedder


def texts(count: int) -> tuple[list[str], list[str]]:
    offers = list(shipped_offers(get_settings().reference_dir))
    long = [f"{o['title']}. {o['description']}" for o in offers if len(o["description"]) > 1500][:count]
    while len(long) < count:
        long += long[: count - len(long)]
    return long, [o["title"] for o in offers]


def throughput(model: Embedder, docs: list[str]) -> tuple[float, float, np.ndarray]:
    """Docs per wall second, and docs per CPU second of this process (steadier on a shared machine)."""
    model.embed(docs[:32])  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    vectors = model.embed(docs)
    return len(docs) / (time.perf_counter() - started), len(docs) / (time.process_time() - cpu), vectors


def latency_ms(model: Embedder, queries: list[str]) -> tuple[float, float]:
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
    parser.add_argument("--tokens", type=int, default=256, help="tokens read per text (the service reads 512)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--onnx-levels", default="all", help="ONNX Runtime graph optimisation levels to compare (comma-separated)"
    )
    args = parser.parse_args()
    docs, queries = texts(args.docs)
    queries = queries[: args.queries]
    settings = get_settings()
    variants: list[tuple[str, Embedder]] = [
        (p, SentenceTransformerEmbedder(settings.model_path, batch_size=32, precision=p, max_seq_length=args.tokens))
        for p in ("fp32", "bf16")
    ]
    variants += [
        (f"onnx-int8 ({level})", OnnxEmbedder(settings.onnx_model, optimization=level, max_seq_length=args.tokens))
        for level in args.onnx_levels.split(",")
    ]
    onnx = variants[-1][1]
    assert isinstance(onnx, OnnxEmbedder)
    lengths, query_lengths = onnx.token_counts(docs), onnx.token_counts(queries)
    print(
        f"{len(docs)} profiles, {statistics.mean(lengths):.0f} tokens on average (max {max(lengths)}); "
        f"{len(queries)} queries, {statistics.median(query_lengths):.0f} tokens median (max {max(query_lengths)})"
    )
    rows = []
    baseline_vectors = None
    for name, model in variants:
        rate, cpu_rate, vectors = throughput(model, docs)
        p50, p99 = latency_ms(model, queries)
        if baseline_vectors is None:
            baseline_vectors = vectors
        cosine = np.sum(vectors * baseline_vectors, axis=1)
        rows.append((name, rate, p50, p99, float(cosine.mean()), float(cosine.min()), cpu_rate))
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; docs per CPU-second x CPUs is the rate "
        "an idle machine would give when every core is used"
    )
    print(
        f"{'variant':<22} {f'docs/s ({args.tokens} tok)':>17} {'docs/CPU-s':>11} {'query p50 ms':>13} "
        f"{'query p99 ms':>13} {'cos to fp32':>12} {'min cos':>8}"
    )
    for name, rate, p50, p99, cosine, lowest, cpu_rate in rows:
        print(f"{name:<22} {rate:>17.1f} {cpu_rate:>11.1f} {p50:>13.2f} {p99:>13.2f} {cosine:>12.4f} {lowest:>8.4f}")
    fp32 = rows[0]
    for name, rate, p50, *_ in rows[1:]:
        print(f"{name} / fp32: throughput {rate / fp32[1]:.2f}x, query p50 {p50 / fp32[2]:.2f}x")
    print("targets: >= 100 docs/s at 256 tokens, query p50 <= 4 ms, mean cosine to fp32 >= 0.99")


if __name__ == "__main__":
    main()
