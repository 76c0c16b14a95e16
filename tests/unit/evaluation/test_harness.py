"""The evaluation harness on a hand-written BEIR folder, and its metrics on hand-computed cases."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from indices.analysis import analyze
from matcher.cli.main import app
from matcher.evaluation.benchmark import Benchmark, by_trade, domain_split, load_benchmark
from matcher.evaluation.harness import (
    evaluate_matches,
    grouped_training_set,
    mrr_at,
    ndcg_at,
    prepare,
    recall_at,
    stacked_training_set,
)
from matcher.runtime import Runtime
from tests.factories import candidate_in, offer_in

TINY = Path(__file__).parents[2] / "data" / "tiny_beir"


def test_metrics_by_hand() -> None:
    grades = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b", "x"], grades) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], grades) == pytest.approx((3 / math.log2(3)) / (3 + 1 / math.log2(3)))
    assert recall_at(["x", "b"], grades, 50) == 0.5
    assert mrr_at(["x", "y", "b"], grades) == pytest.approx(1 / 3)
    assert mrr_at(["x"], grades) == 0.0 and ndcg_at([], {}) == 0.0


def test_loads_beir_layout() -> None:
    benchmark = load_benchmark(TINY)
    assert len(benchmark.corpus) == 8 and len(benchmark.queries) == 3
    assert benchmark.qrels["test"]["q2"] == {"d3": 1, "d4": 2}


def test_stacked_training_sets_keep_each_benchmark_s_queries_apart(rt: Runtime) -> None:
    """Two benchmarks may both call a query "q1": stacked, each keeps its own rows and its own groups (a pairwise
    loss compares candidates within a group: mixing two lists would compare profiles of different offers)."""
    tiny = load_benchmark(TINY)
    as_train = Benchmark(tiny.corpus, tiny.queries, {"train": tiny.qrels["test"]})
    prepared = prepare(rt, as_train)
    X_one, y_one, groups_one = grouped_training_set(rt, as_train, prepared)
    X, y, groups = stacked_training_set(rt, [(as_train, prepared), (as_train, prepared)])
    n = len(y_one)
    assert n > 0 and len(y) == 2 * n
    assert (X[:n] == X_one).all() and (X[n:] == X_one).all() and (y[n:] == y_one).all()
    assert len(set(groups)) == 2 * len(set(groups_one)) == 6
    assert not set(groups[:n]) & set(groups[n:])


def test_domain_split_is_stable_and_keeps_occupations_apart() -> None:
    assert domain_split("A1203") == domain_split("A1204")  # same domain, same side
    sides = {domain_split(f"{letter}{n}01") for letter in "ABCDEFGHIJKLMN" for n in range(11, 19)}
    assert sides == {"train", "test"}


def test_evaluate_command_on_a_hand_written_benchmark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATCHER_EMBEDDER", "hashing")
    from matcher.core.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["evaluate", "--benchmark", str(TINY), "--output", str(tmp_path / "out")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "| bm25 |" in result.output and "| ranker |" in result.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    metrics = results[0]["metrics"]
    assert set(metrics) == {"bm25", "dense", "hybrid", "ranker"} and results[0]["queries"] == 3
    assert metrics["bm25"]["recall@50"] == 1.0  # every relevant profile shares words with its offer
    assert metrics["ranker"]["ndcg@10"] > 0.8
    assert (tmp_path / "out" / "results.png").stat().st_size > 1000
    assert "NDCG@10" in (tmp_path / "out" / "results.md").read_text()
    # Then the other way round: the six labelled profiles each look among the three offers (seekers' matches).
    assert results[1]["split"] == "test, profils → offres" and results[1]["queries"] == 6
    assert set(results[1]["metrics"]) == {"bm25", "dense", "hybrid", "ranker"}
    assert results[1]["metrics"]["ranker"]["mrr@10"] > 0.8  # each profile's one offer, first or nearly
    assert "profils → offres" in (tmp_path / "out" / "results.md").read_text()
    assert "les offres proposées aux candidats" in result.output
    # The folder's grades are its own: never announced as derived from ROME codes.
    assert "Étiquettes : celles du dossier tiny_beir (qrels/test.tsv)" in result.output
    assert "ROME" not in result.output.split("Étiquettes :")[1].split("\n")[0]
    assert (tmp_path / "out" / "results.md").read_text().startswith("Étiquettes : celles du dossier tiny_beir")


def _evaluate(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATCHER_EMBEDDER", "hashing")
    from matcher.core.settings import get_settings

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["evaluate", "--benchmark", str(folder), "--output", str(tmp_path / "out")])
    finally:
        get_settings.cache_clear()


def test_a_folder_written_by_other_tools_is_read_as_beir_means_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbered ids, JSON nulls, a null metadata, a label naming no document, a profile judged irrelevant only."""
    folder = tmp_path / "other"
    (folder / "qrels").mkdir(parents=True)
    corpus = [
        {
            "_id": 1,
            "title": None,
            "text": "Jardinier paysagiste : tonte, taille des haies, plantations.",
            "metadata": None,
        },
        {"_id": 2, "title": "Comptable", "text": "Saisie comptable, TVA, clôture des comptes."},
        {"_id": 3, "text": "Aide-soignante en EHPAD, soins d'hygiène et de confort."},
    ]
    queries = [
        {"_id": 10, "text": "La commune recrute un jardinier pour l'entretien des espaces verts."},
        {"_id": 11, "title": "Comptable H/F", "text": None},
    ]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus), encoding="utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n10\t1\t1\n10\t3\t0\n11\t2\t2\n11\t99\t1\n")
    result = _evaluate(folder, tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "étiquettes nommant un document absent du corpus : 1" in result.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results[0]["queries"] == 2
    assert results[0]["metrics"]["bm25"]["recall@50"] == 0.75  # the absent document is never found
    assert results[1]["queries"] == 2  # profiles 1 and 2: profile 3 is only judged irrelevant, it has nothing to find


def test_an_unreadable_folder_names_the_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "broken"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        '{"_id": "d1", "text": "Comptable"}\n{"_id": "d2", "text": \n', encoding="utf-8"
    )
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "Comptable"}\n', encoding="utf-8")
    result = _evaluate(folder, tmp_path, monkeypatch)
    assert result.exit_code == 1 and "corpus.jsonl, ligne 2 : JSON illisible" in result.output
    (folder / "corpus.jsonl").write_text('{"text": "Comptable"}\n', encoding="utf-8")
    assert "ligne 1 : un objet JSON avec un « _id » est attendu" in _evaluate(folder, tmp_path, monkeypatch).output
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "Comptable"}\n', encoding="utf-8")
    (folder / "queries.jsonl").unlink()
    assert "queries.jsonl : fichier absent" in _evaluate(folder, tmp_path, monkeypatch).output


def test_an_untitled_cv_is_read_from_its_title_line_not_its_first_words(rt: Runtime) -> None:
    """A CV known only by its text, its name and address first: the occupation comes from what the CV reader
    finds (its title line, else its first job), with the text as context."""
    cv = "\n".join(
        [
            "CURRICULUM VITAE",
            "Camille Martin",
            "12 rue des Lilas, 07000 Privas · 06 12 34 56 78",
            "Jardinière paysagiste",
            "EXPÉRIENCES",
            "2019 - 2023 : Jardinière — Mairie de Privas",
        ]
    )
    offer = {"_id": "q", "title": "Jardinier (H/F)", "text": "Entretien des espaces verts de la commune."}
    benchmark = Benchmark(corpus={"cv": {"_id": "cv", "title": "", "text": cv}}, queries={"q": offer}, qrels={})
    view = prepare(rt, benchmark).candidates["cv"]
    assert view.occupations[0] == "A1208" and view.title_terms == frozenset(analyze("Jardinière paysagiste"))


def test_by_trade_grades_every_profile_of_the_offers_occupation_wherever_the_person_lives(rt: Runtime) -> None:
    """The text-only guard folder: its labels say only what a text can (the trade), not a mobility area."""
    neighbour = rt.taxonomy.neighbours("A1203")[0]

    def profile(code: str, commune: str) -> dict:
        return {
            "title": code,
            "text": "",
            "metadata": {"candidate": {"desired_occupations": [code], "commune": commune}},
        }

    def offer(code: str, split: str) -> dict:
        return {
            "title": "Jardinier",
            "text": "Espaces verts.",
            "metadata": {"offer": {"rome_code": code}, "split": split},
        }

    benchmark = Benchmark(
        corpus={
            "near": profile("A1203", "07186"),
            "far": profile("A1203", "97411"),
            "next": profile(neighbour, "75056"),
            "other": profile("M1607", "07186"),
        },
        queries={"q1": offer("A1203", "test"), "q2": offer("A1203", "train"), "q3": offer("K2111", "test")},
        qrels={"test": {"q1": {"near": 2}}},  # the built-in labels: only who lives within reach
    )
    judged = by_trade(benchmark, rt.taxonomy)
    assert judged.qrels == {"test": {"q1": {"near": 2, "far": 2, "next": 1}}}  # q3: nobody of its trade
    assert all(set(doc) <= {"_id", "title", "text"} for doc in [*judged.corpus.values(), *judged.queries.values()])


def test_seekers_matches_look_within_the_profiles_mobility_area_and_rank_by_the_labels(rt: Runtime) -> None:
    """Each labelled profile searches the split's offers as a seeker's matches do: an offer beyond its mobility area
    is never proposed, however relevant; within it, the ranker puts the offers of its trade first."""

    def offer(title: str, code: str, commune: str) -> dict:
        data = offer_in(
            "emp", title=title, description=f"{title} : missions du poste.", rome_code=code, commune_insee=commune
        )
        return {"title": title, "text": data.description, "metadata": {"offer": data.model_dump(mode="json")}}

    gardener = candidate_in(mobility={"communes": ["07186"], "radius_km": 20})  # Privas
    benchmark = Benchmark(
        corpus={
            "gardener": {"title": "Jardinier", "text": "", "metadata": {"candidate": gardener.model_dump(mode="json")}}
        },
        queries={
            "privas": offer("Jardinier espaces verts", "A1203", "07186"),
            "lille": offer("Jardinier paysagiste", "A1203", "59350"),
            "clerk": offer("Agent d'accueil en mairie", "M1601", "07186"),
        },
        qrels={"test": {"privas": {"gardener": 2}, "lille": {"gardener": 2}, "clerk": {}}},
    )
    report = evaluate_matches(rt, benchmark, prepare(rt, benchmark), split="test", scorer=rt.scorer)
    assert report.queries == 1 and set(report.metrics) == {"bm25", "dense", "hybrid", "ranker"}
    ranker = report.per_query["ranker"]["gardener"]
    assert ranker["recall@50"] == 0.5  # Lille, 600 km away, is not proposed
    assert ranker["mrr@10"] == 1.0  # the gardener's offer in Privas comes before the clerk's
