"""Issue #4's bar, with the real model: on the built-in benchmark's test split, the shipped ranker's NDCG@10
is at least 10 % above the best of BM25-only and dense-only. Labels are code-derived (ROME)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from matcher.cli.ranking import builtin_folder, occupation_accuracy
from matcher.core.settings import MatcherSettings
from matcher.evaluation.benchmark import load_benchmark
from matcher.evaluation.harness import evaluate, prepare
from matcher.ranking.scorer import LearnedScorer
from matcher.runtime import Runtime

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def rt() -> Iterator[Runtime]:
    # The default data dir on purpose: its embedding cache is shared with `make run` and the notebook.
    runtime = Runtime.open(MatcherSettings())
    yield runtime
    runtime.close()


def test_full_ranker_beats_bm25_and_dense_by_ten_percent(rt: Runtime) -> None:
    assert isinstance(rt.scorer, LearnedScorer), "the trained model ships in matcher/models/ranker.json"
    benchmark = load_benchmark(builtin_folder(rt))
    report = evaluate(rt, benchmark, prepare(rt, benchmark), split="test", scorer=rt.scorer)
    print(report.table())
    best = max(report.metrics["bm25"]["ndcg@10"], report.metrics["dense"]["ndcg@10"])
    assert report.queries > 100
    assert report.metrics["ranker"]["ndcg@10"] >= 1.10 * best


def test_occupation_inference_from_titles(rt: Runtime) -> None:
    accuracy = occupation_accuracy(rt)
    count, top1, top3 = accuracy["toutes"]
    print(accuracy)
    assert count == 695
    # Measured: top-1 0.272, top-3 0.367 overall; France Travail titles (written as ROME job titles) 0.57.
    # Place de l'emploi public codes are often far from their titles (see the notebook's error analysis).
    assert top1 > 0.25
    assert top3 > 0.33
    assert accuracy["france-travail"][1] > 0.5
