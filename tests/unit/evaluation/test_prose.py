"""The check by another generator: real test-split offers against prose profiles, labels from ROME relations."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.core.settings import REPO_ROOT
from matcher.demo.samples import shipped_offers
from matcher.evaluation.benchmark import Benchmark, domain_split, load_benchmark
from matcher.evaluation.prose import prose_benchmark, write_benchmark
from matcher.reference.taxonomy import Taxonomy, gendered_forms

DATA = REPO_ROOT / "data"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy(DATA / "rome")


@pytest.fixture(scope="module")
def prose(taxonomy: Taxonomy) -> Benchmark:
    return prose_benchmark(taxonomy, list(shipped_offers(DATA)))


def test_queries_are_the_test_splits_real_coded_offers_as_text(prose: Benchmark) -> None:
    offers = {o["id"]: o for o in shipped_offers(DATA)}
    assert len(prose.queries) > 100
    for query_id, query in prose.queries.items():
        offer = offers[query_id]
        assert domain_split(offer["rome_code"]) == "test"
        assert query == {"_id": query_id, "title": offer["title"], "text": offer["description"]}  # no structured field


def test_a_profile_graded_2_names_a_title_of_the_offers_occupation(prose: Benchmark, taxonomy: Taxonomy) -> None:
    offers = {o["id"]: o for o in shipped_offers(DATA)}
    checked = 0
    for query_id, grades in list(prose.qrels["test"].items())[:40]:
        forms = {f.lower() for t in taxonomy.titles_of(offers[query_id]["rome_code"]) for f in gendered_forms(t.label)}
        forms.add(taxonomy.occupations[offers[query_id]["rome_code"]].label.lower())
        for doc_id, grade in grades.items():
            doc = prose.corpus[doc_id]
            said = f"{doc.get('title', '')} {doc['text']}".lower()
            if grade == 2:
                assert any(form in said for form in forms), (query_id, doc)
                checked += 1
            assert set(doc) <= {"_id", "title", "text"}  # text only: nothing to read a place or a code from
    assert checked >= 40
    # Most of the corpus answers no offer: the ranking has distractors to pass.
    answering = {d for grades in prose.qrels["test"].values() for d in grades}
    assert len(prose.corpus) - len(answering) > len(prose.corpus) / 2


def test_it_is_deterministic_and_written_as_beir(prose: Benchmark, taxonomy: Taxonomy, tmp_path: Path) -> None:
    assert prose_benchmark(taxonomy, list(shipped_offers(DATA))) == prose
    assert load_benchmark(write_benchmark(prose, tmp_path / "prose")) == prose
