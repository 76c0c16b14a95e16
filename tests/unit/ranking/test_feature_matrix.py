"""The vectorised feature pass gives exactly the values of the pair-by-pair one, on the demo's real data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from matcher.core.records import candidate_from_row, offer_from_row
from matcher.demo.samples import seed_demo
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import process_outbox
from matcher.ranking.additive import AdditiveShapes
from matcher.ranking.features import FEATURES, facts_of, feature_matrix, pair_distances, shown_facts
from matcher.ranking.pipeline import Pair, candidate_pairs, explain, rank_pairs
from matcher.ranking.scorer import LearnedScorer, LinearScorer, Scorer
from matcher.reference.taxonomy import Taxonomy
from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, OfferRow
from tests.conftest import runtime_settings

TODAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The demo (shipped offers, 300 generated profiles) stored and indexed."""
    runtime = Runtime.open(runtime_settings(tmp_path_factory.mktemp("demo")), embedder=HashingEmbedder())
    runtime.ensure_indices()
    seed_demo(runtime, candidates=300)
    process_outbox(runtime)
    yield runtime
    runtime.close()


def reference(pairs: list[Pair], taxonomy: Taxonomy) -> np.ndarray:
    """The values of the pair-by-pair pass (:func:`facts_of`), as a matrix."""
    facts = facts_of(pairs, taxonomy=taxonomy, today=TODAY)
    return np.array([[f.values[name] for name in FEATURES] for f in facts])


def lists_of(rt: Runtime) -> Iterator[list[Pair]]:
    """Shortlists' pairs (given and inferred occupations, each diploma category) and one seeker's matches' pairs."""
    with rt.store.read() as session:
        offers = [offer_from_row(row) for row in session.query(OfferRow).order_by(OfferRow.id).limit(12)]
        candidate = candidate_from_row(session.query(CandidateRow).order_by(CandidateRow.id).first())
    for number, offer in enumerate(offers):
        pairs, _ = candidate_pairs(rt, offer=offer, hide_occupation=number % 3 == 0)  # inferred: guesses, confidences
        yield pairs
        category = ("A", "B", "C")[number % 3]
        yield [(replace(view, category=category), c, cos, lex) for view, c, cos, lex in pairs]
    view = rt.candidate_views.of(candidate)
    yield [(rt.offer_views.of(offer), view, 0.1 * i, 1.0 / (i + 1)) for i, offer in enumerate(offers)]


def test_the_feature_matrix_equals_the_pair_by_pair_facts(demo: Runtime) -> None:
    lists = list(lists_of(demo))
    for pairs in lists:
        assert len(pairs) > 1
        matrix = feature_matrix(pairs, taxonomy=demo.taxonomy, today=TODAY)
        assert matrix.shape == (len(pairs), len(FEATURES))
        assert np.array_equal(
            matrix, reference(pairs, demo.taxonomy)
        )  # equal, not close: explanations must add up the same
    every = np.vstack([feature_matrix(pairs, taxonomy=demo.taxonomy, today=TODAY) for pairs in lists])
    varied = {name for column, name in enumerate(FEATURES) if len(np.unique(every[:, column])) > 1}
    assert varied == set(FEATURES)  # every feature was exercised with more than one value


def test_shown_facts_are_the_pair_facts(demo: Runtime) -> None:
    pairs = next(lists_of(demo))
    matrix = feature_matrix(pairs, taxonomy=demo.taxonomy, today=TODAY)
    distances = pair_distances(pairs)
    for (offer, candidate, _, _), row, distance, expected in zip(
        pairs, matrix, distances, facts_of(pairs, taxonomy=demo.taxonomy, today=TODAY), strict=True
    ):
        assert shown_facts(offer, candidate, dict(zip(FEATURES, row.tolist(), strict=True)), distance) == expected


def test_an_empty_list_has_no_rows(demo: Runtime) -> None:
    assert feature_matrix([], taxonomy=demo.taxonomy, today=TODAY).shape == (0, len(FEATURES))


def scorers() -> list[Scorer]:
    rng = np.random.default_rng(19)
    some = FEATURES[::2]  # a model may read only some of the features
    return [
        LinearScorer(),
        LearnedScorer(AdditiveShapes(rng.uniform(0.0, 0.1, (len(FEATURES), 4)), 0.3), FEATURES, "all"),
        LearnedScorer(AdditiveShapes(rng.uniform(0.0, 0.1, (len(some), 3)), -0.1), some, "some"),
    ]


@pytest.mark.parametrize("scorer", scorers(), ids=lambda s: s.version)
def test_ranking_gives_the_pair_by_pair_scores_order_and_explanations(demo: Runtime, scorer: Scorer) -> None:
    for pairs in lists_of(demo):
        facts = facts_of(pairs, taxonomy=demo.taxonomy, today=TODAY)
        scored = scorer.score([f.values for f in facts])
        order = sorted(range(len(pairs)), key=lambda i: (-scored[i][0], pairs[i][1].id, pairs[i][0].title))
        expected = [
            (scored[i][0], i, explain(demo, pairs[i][0], facts[i], scored[i][1]) if rank < 5 else None)
            for rank, i in enumerate(order)
        ]
        assert rank_pairs(demo, pairs, scorer, today=TODAY, size=5) == expected
