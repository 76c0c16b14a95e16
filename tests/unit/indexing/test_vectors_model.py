"""Indexes never mix two models' vectors, nor two ways of embedding offers: a start with another embedder, or after
the recipe changed, rebuilds them (embedded backend)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.catalog import candidates
from matcher.cli.common import prepare
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.indexing.documents import offer_document, offer_text, offer_vectors
from matcher.indexing.vectors import UNRECORDED, VECTORS_MODEL, recorded_model, stale_vectors, vectors_id
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import SettingRow
from tests.factories import candidate_in, cli_on, employer, stored_offer

HASHING = vectors_id(HashingEmbedder())  # "hashing-64+offres:titre+texte"


class LongerReading(HashingEmbedder):
    """Another model id and other vectors, same dimensions (as the same model reading more tokens)."""

    @property
    def model_id(self) -> str:
        return "hashing-64-longer"

    def embed(self, texts, *, progress=None):  # type: ignore[no-untyped-def]
        return super().embed([f"{t} plus long" for t in texts])


def _one_candidate(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        candidates.create_candidate(
            session, candidate_id="cand_1", data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography
        )
    process_outbox(rt)


def test_a_start_with_another_model_rebuilds_the_indexes(settings: MatcherSettings) -> None:
    first = Runtime.open(settings, embedder=HashingEmbedder())
    try:
        prepare(first, candidates=0)
        assert recorded_model(first) == HASHING  # nothing indexed yet: this model's from now on
        _one_candidate(first)
        old = first.backend.vectors(CANDIDATES, ["cand_1"])["cand_1"]
        first.backend.flush()
    finally:
        first.close()
    second = Runtime.open(settings, embedder=LongerReading())
    try:
        assert stale_vectors(second, recorded_model(second)) == HASHING
        prepare(second, candidates=0)
        assert recorded_model(second) == vectors_id(LongerReading()) == "hashing-64-longer+offres:titre+texte"
        assert stale_vectors(second, recorded_model(second)) is None
        new = second.backend.vectors(CANDIDATES, ["cand_1"])["cand_1"]
        assert not np.allclose(new, old)  # recomputed by the new model, not kept from the old one
    finally:
        second.close()


def test_indexes_filled_before_the_model_was_recorded_are_rebuilt_once(rt: Runtime) -> None:
    _one_candidate(rt)
    assert recorded_model(rt) is None and stale_vectors(rt, recorded_model(rt)) == UNRECORDED
    prepare(rt, candidates=0)
    assert recorded_model(rt) == vectors_id(rt.embedder) and stale_vectors(rt, recorded_model(rt)) is None
    assert rt.backend.count(CANDIDATES) >= 1


def test_offers_embedded_by_their_text_alone_are_embedded_again_with_their_title(rt: Runtime) -> None:
    """Indexes recorded with the model id alone hold offers' text vectors (before December 2026): a start rebuilds
    them, and each offer is then indexed by the vector it looks for profiles with."""
    offer = stored_offer(rt, employer(rt), title="Jardinier H/F")
    process_outbox(rt)
    rt.backend.drop_index(OFFERS)  # as an earlier version left it: the offer indexed by its text's vector
    rt.backend.ensure_index(OFFERS, dims=rt.embedder.dims)
    text_alone = rt.embedder.embed([offer_text(offer)])[0]
    assert rt.backend.upsert(OFFERS, [offer_document(offer, text_alone, rt.geography)]).written == [offer.id]
    with rt.store.transaction() as session:
        session.add(SettingRow(key=VECTORS_MODEL, value=rt.embedder.model_id))  # the record of that time
    assert stale_vectors(rt, recorded_model(rt)) == rt.embedder.model_id
    prepare(rt, candidates=0)
    assert recorded_model(rt) == vectors_id(rt.embedder)
    indexed = rt.backend.vectors(OFFERS, [offer.id])[offer.id]
    expected = offer_vectors(rt.embedder, [offer.title], [offer_text(offer)])[0]
    # Stored as bfloat16 (relative error 2^-8): the indexed vector is the blend's, far from the text's alone.
    assert float(np.abs(indexed - expected).max()) < 2e-3 < float(np.abs(indexed - text_alone).max())


def test_index_status_names_the_vectors_model_and_migrate_renews_them(
    rt: Runtime, settings: MatcherSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with rt.store.transaction() as session:
        session.add(SettingRow(key=VECTORS_MODEL, value="ancien-modele:256"))
    _one_candidate(rt)
    rt.close()  # the CLI opens its own runtime on the same files
    cli = cli_on(settings, monkeypatch)
    result = cli(["index", "status"])
    assert result.exit_code == 0, result.output
    assert f"vecteurs : ancien-modele:256 (modèle actuel {HASHING} :" in result.output
    assert cli(["index", "migrate"]).exit_code == 0
    result = cli(["index", "status"])
    assert f"vecteurs : {HASHING}\n" in result.output
