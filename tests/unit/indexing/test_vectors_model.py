"""Indexes never mix two models' vectors: a start with another embedder rebuilds them (embedded backend)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.catalog import candidates
from matcher.cli.common import prepare
from matcher.core.indexes import CANDIDATES
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.indexing.vectors import UNRECORDED, VECTORS_MODEL, recorded_model, stale_vectors
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import SettingRow
from tests.factories import candidate_in, cli_on


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
        assert recorded_model(first) == "hashing-64"  # nothing indexed yet: this model's from now on
        _one_candidate(first)
        old = first.backend.vectors(CANDIDATES, ["cand_1"])["cand_1"]
        first.backend.flush()
    finally:
        first.close()
    second = Runtime.open(settings, embedder=LongerReading())
    try:
        assert stale_vectors(second, recorded_model(second)) == "hashing-64"
        prepare(second, candidates=0)
        assert recorded_model(second) == "hashing-64-longer" and stale_vectors(second, recorded_model(second)) is None
        new = second.backend.vectors(CANDIDATES, ["cand_1"])["cand_1"]
        assert not np.allclose(new, old)  # recomputed by the new model, not kept from the old one
    finally:
        second.close()


def test_indexes_filled_before_the_model_was_recorded_are_rebuilt_once(rt: Runtime) -> None:
    _one_candidate(rt)
    assert recorded_model(rt) is None and stale_vectors(rt, recorded_model(rt)) == UNRECORDED
    prepare(rt, candidates=0)
    assert recorded_model(rt) == rt.embedder.model_id and stale_vectors(rt, recorded_model(rt)) is None
    assert rt.backend.count(CANDIDATES) >= 1


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
    assert "vecteurs : ancien-modele:256 (modèle actuel hashing-64" in result.output
    assert cli(["index", "migrate"]).exit_code == 0
    result = cli(["index", "status"])
    assert "vecteurs : hashing-64\n" in result.output
