"""The built-in benchmark's label noise is visible, and a split without labels fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.core.models import OfferIn
from matcher.evaluation.benchmark import Benchmark, MissingSplit, labels_of, load_benchmark
from matcher.evaluation.harness import Report
from matcher.evaluation.noise import disagreeing_queries, metrics_without
from matcher.runtime import Runtime
from tests.factories import offer_in

TINY = Path(__file__).parents[2] / "data" / "tiny_beir"


def test_a_split_without_labels_is_an_error_not_zeros() -> None:
    benchmark = load_benchmark(TINY)
    assert labels_of(benchmark, "test")
    with pytest.raises(MissingSplit, match="« train »"):
        labels_of(benchmark, "train")


def test_labels_are_read_whatever_the_qrels_file_looks_like(tmp_path: Path) -> None:
    """BEIR's header row or none, TREC's four columns, grades written as decimals, a byte-order mark, blank lines."""
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('\ufeff{"_id": 7, "title": "", "text": "Jardinier"}\n', encoding="utf-8")
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "Jardinier"}\n\n', encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t7\t2\n\nq1\t8\t1.0\n", encoding="utf-8")
    (folder / "qrels" / "dev.tsv").write_text("q1\t7\t1\n", encoding="utf-8")
    (folder / "qrels" / "trec.tsv").write_text("q1\t0\t7\t2\n", encoding="utf-8")
    benchmark = load_benchmark(folder)
    assert list(benchmark.corpus) == ["7"] and list(benchmark.queries) == ["q1"]
    assert benchmark.qrels == {"test": {"q1": {"7": 2, "8": 1}}, "dev": {"q1": {"7": 1}}, "trec": {"q1": {"7": 2}}}


def test_evaluate_command_refuses_a_split_without_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATCHER_EMBEDDER", "hashing")
    from matcher.core.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["evaluate", "--benchmark", str(TINY), "--split", "train"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "pas d'étiquettes pour la partition « train »" in result.output
    assert "partitions disponibles : test" in result.output


def _query(offer: OfferIn) -> dict[str, object]:
    return {"_id": offer.title, "title": offer.title, "text": "", "metadata": {"offer": offer.model_dump(mode="json")}}


def test_offers_whose_code_and_title_disagree_are_set_apart(rt: Runtime) -> None:
    offers = [
        offer_in("emp_1", title="Chercheur dissuasion nucléaire", rome_code="M1205"),
        offer_in("emp_1", title="Archiviste", rome_code="M1223"),
        offer_in("emp_1", title="Jardinier espaces verts", rome_code="A1203"),
        offer_in("emp_1", title="Secrétaire administratif", rome_code="M1607"),
    ]
    benchmark = Benchmark(corpus={}, queries={o.title: _query(o) for o in offers})
    assert set(disagreeing_queries(rt, benchmark)) == {"Chercheur dissuasion nucléaire", "Archiviste"}


def test_metrics_without_the_excluded_queries() -> None:
    report = Report(split="test", queries=2)
    report.per_query = {
        "bm25": {
            "a": {"ndcg@10": 1.0, "recall@50": 1.0, "mrr@10": 1.0},
            "b": dict.fromkeys(("ndcg@10", "recall@50", "mrr@10"), 0.0),
        }
    }
    kept, metrics = metrics_without(report, {"b"})
    assert kept == 1 and metrics["bm25"]["ndcg@10"] == 1.0
