"""Calibrating search's floor: precision per floor on hand-made pages, and first pages of a benchmark (candidate
search, and the job board the other way round)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from indices.geo import haversine_km
from matcher.evaluation.benchmark import load_benchmark, structured_candidate, structured_offer
from matcher.evaluation.floor import Shown, board_pages, calibrate, first_pages
from matcher.indexing.documents import offer_text, offer_vectors
from matcher.runtime import Runtime

TINY = Path(__file__).parents[2] / "data" / "tiny_beir"


def by_words(relevant: bool) -> Shown:
    return Shown("c", cosine=0.1, by_words=True, relevant=relevant)


def by_meaning(cosine: float, relevant: bool) -> Shown:
    return Shown("c", cosine=cosine, by_words=False, relevant=relevant)


def test_the_floor_is_the_lowest_from_which_meaning_alone_stays_half_as_right_as_words() -> None:
    # Words: 3 right of 4 (0.75), so meaning alone must reach 0.375. Above 0.5: 2 of 2 right; from 0.4: 2 of 3
    # (0.67); from 0.3: 2 of 5 (0.40); from 0.2: 2 of 8 (0.25, too low).
    pages = [
        [by_words(True), by_words(True), by_meaning(0.55, True), by_meaning(0.35, False), by_meaning(0.25, False)],
        [by_words(True), by_words(False), by_meaning(0.52, True), by_meaning(0.45, False)],
        [by_meaning(0.31, False), by_meaning(0.22, False), by_meaning(0.21, False)],
    ]
    result = calibrate(pages, floors=(0.2, 0.3, 0.4, 0.5, 0.6), min_shown=1)
    assert result.queries == 3 and result.words_precision == 0.75 and result.level == 0.375
    rows = {r.floor: r for r in result.rows}
    assert (rows[0.4].shown, rows[0.4].by_meaning, rows[0.4].precision_by_meaning) == (7, 3, pytest.approx(2 / 3))
    assert rows[0.3].precision_by_meaning == pytest.approx(0.4) and rows[0.2].precision_by_meaning == 0.25
    assert rows[0.4].precision == pytest.approx(5 / 7) and rows[0.4].empty == 1  # the third query: "nothing"
    assert rows[0.6].by_meaning == 0 and math.isnan(rows[0.6].precision_by_meaning)
    assert result.chosen == 0.3
    assert "| 0.30 ← |" in result.table()
    # Floors showing too few profiles on meaning alone are not judged: here none is, so none is chosen.
    assert calibrate(pages, floors=(0.2, 0.3, 0.4, 0.5, 0.6), min_shown=10).chosen is None


def test_a_dip_above_stops_the_descent() -> None:
    # From 0.5 up all is right; at 0.4 a wrong one makes 1 of 2; at 0.3 two right ones lift it back to 3 of 4.
    page = [
        by_words(True),
        by_meaning(0.55, True),
        by_meaning(0.45, False),
        by_meaning(0.35, True),
        by_meaning(0.32, True),
    ]
    result = calibrate([page], share=0.6, floors=(0.3, 0.4, 0.5), min_shown=1)
    assert [round(r.precision_by_meaning, 2) for r in result.rows] == [0.75, 0.5, 1.0]
    assert result.chosen == 0.5  # 0.3 reaches the level, but 0.4 above it does not


def test_first_pages_follow_candidate_search_and_the_labels(rt: Runtime) -> None:
    benchmark = load_benchmark(TINY)
    pages = first_pages(rt, benchmark, page_size=3)
    assert len(pages) == 3 and all(0 < len(page) <= 3 for page in pages)
    gardener = pages[0]  # "Jardinier H/F": both gardening profiles are labelled, the first found by its words
    assert gardener[0].by_words and gardener[0].relevant
    for page in pages:
        assert all(-1.0 <= s.cosine <= 1.0 for s in page)
    assert sum(s.relevant for page in pages for s in page) >= 3


def test_on_the_built_in_benchmark_only_profiles_within_reach_are_searched(rt: Runtime, tmp_path: Path) -> None:
    from matcher.evaluation.benchmark import build_builtin

    benchmark = load_benchmark(build_builtin(rt, tmp_path / "builtin", candidates=60))
    labelled = {q for split in benchmark.qrels.values() for q in split}
    pages = first_pages(rt, benchmark, split="test")
    assert len(pages) == len(benchmark.qrels["test"]) < len(labelled)
    assert any(s.relevant for page in pages for s in page)
    # Every profile shown lies within reach of its offer's workplace, as in candidate search.
    queries = [q for q in benchmark.queries if q in benchmark.qrels["test"]]
    for query_id, page in zip(queries, pages, strict=True):
        offer = structured_offer(benchmark.queries[query_id])
        assert offer is not None
        workplace = rt.geography.coordinates(offer.commune_insee)
        assert workplace is not None
        for shown in page:
            profile = structured_candidate(benchmark.corpus[shown.doc_id])
            assert profile is not None
            places = rt.geography.points(profile.mobility.communes)
            near = haversine_km(*workplace, [p[0] for p in places], [p[1] for p in places]).min()
            assert near <= profile.mobility.radius_km + 1e-6, (query_id, shown.doc_id)


def test_the_board_searches_offers_within_each_profiles_reach_by_its_title(rt: Runtime, tmp_path: Path) -> None:
    from matcher.evaluation.benchmark import build_builtin

    benchmark = load_benchmark(build_builtin(rt, tmp_path / "builtin", candidates=60))
    grades: dict[str, dict[str, int]] = {}  # profile -> offer -> grade
    for query_id, labels in benchmark.qrels["test"].items():
        for doc_id, grade in labels.items():
            grades.setdefault(doc_id, {})[query_id] = grade
    profiles = [p for p in benchmark.corpus if p in grades and benchmark.corpus[p].get("title", "").strip()]
    pages = board_pages(rt, benchmark, split="test", page_size=5)
    assert len(pages) == len(profiles) > 0
    assert any(s.relevant for page in pages for s in page)
    meaning = 0
    for profile_id, page in zip(profiles, pages, strict=True):
        profile = structured_candidate(benchmark.corpus[profile_id])
        assert profile is not None
        places = rt.geography.points(profile.mobility.communes)
        for shown in page:
            assert shown.relevant == (grades[profile_id].get(shown.doc_id, 0) > 0)
            offer = structured_offer(benchmark.queries[shown.doc_id])
            assert offer is not None
            workplace = rt.geography.coordinates(offer.commune_insee)
            assert workplace is not None
            near = haversine_km(*workplace, [p[0] for p in places], [p[1] for p in places]).min()
            assert near <= profile.mobility.radius_km + 1e-6, (profile_id, shown.doc_id)
            if not shown.by_words:  # found by meaning: its cosine is against the offer's vector as indexed
                meaning += 1
                title = rt.embedder.embed([benchmark.corpus[profile_id]["title"].strip()])[0]
                indexed = offer_vectors(rt.embedder, [offer.title], [offer_text(offer)])[0]
                assert shown.cosine == pytest.approx(float(title @ indexed), abs=5e-3)  # bfloat16
    assert meaning > 0
