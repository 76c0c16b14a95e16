"""Index migration on a real Elasticsearch node: the alias keeps answering, writes made during the fill survive.

Run: ``scripts/search-node start`` then ``ELASTICSEARCH_URL=http://127.0.0.1:9200 pytest tests/integration``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import matcher.runtime as runtime_module
from indices.elasticsearch import ElasticsearchBackend
from matcher.catalog.candidates import create_candidate, update_candidate
from matcher.catalog.offers import delete_offer, update_offer
from matcher.core import records
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.models import CandidateIn, OfferIn, Visibility
from matcher.core.settings import REPO_ROOT, MatcherSettings
from matcher.demo.samples import demo_offers, seed_demo
from matcher.embedding.hashing import HashingEmbedder
from matcher.indexing.admin import check_indices, migrate_indices, store_versions
from matcher.indexing.vectors import VECTORS_MODEL, recorded_model, vectors_id
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import SettingRow
from tests.factories import cli_on

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def settings(tmp_path: Path) -> MatcherSettings:
    return MatcherSettings(data_dir=tmp_path, embedder="hashing", search_backend="elasticsearch")


@pytest.fixture
def rt(settings: MatcherSettings, es_backend: ElasticsearchBackend) -> Iterator[Runtime]:
    """The demo's real offers and 300 generated candidates (and those covering each offer), indexed by alias."""
    runtime = Runtime.open(settings, embedder=HashingEmbedder(), backend=es_backend)
    runtime.ensure_indices()
    seed_demo(runtime, candidates=300)
    assert process_outbox(runtime).failed == {}
    yield runtime
    runtime.store.engine.dispose()


class Prober(threading.Thread):
    """Queries both aliases in a loop, recording every answer (index, kind, size) and every error."""

    def __init__(self, backend: ElasticsearchBackend, vector_dims: int) -> None:
        super().__init__(daemon=True)
        self.backend = backend
        self.vector = HashingEmbedder(vector_dims).embed(["agent des espaces verts jardinier"])[0]
        self.answers: list[tuple[str, str, int]] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                for index in (OFFERS, CANDIDATES):
                    self.answers.append((index, "count", self.backend.count(index)))
                    self.answers.append((index, "knn", len(self.backend.knn(index, self.vector, k=10))))
                    self.answers.append((index, "bm25", len(self.backend.bm25(index, "agent jardinier", k=10))))
            except BaseException as exc:  # recorded, asserted on by the test
                self.errors.append(exc)

    def wait_for(self, more: int, timeout: float = 30.0) -> None:
        """Until ``more`` new answers came in; fails past ``timeout`` seconds or on an error."""
        target, deadline = len(self.answers) + more, time.monotonic() + timeout
        while len(self.answers) < target:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"fewer than {more} answers in {timeout:.0f} s"
            time.sleep(0.01)


def write_during_fill(rt: Runtime, step: str) -> None:
    """Changes to records the fill has already copied, indexed through the alias (so into the old index)."""
    with rt.store.transaction() as session:
        if step == OFFERS:  # the fill copied the first 512 offers (by id)
            offer_ids = sorted(store_versions(rt, OFFERS)[0])
            kept = records.get_offer(session, offer_id=offer_ids[0])
            data = OfferIn.model_validate({**kept.model_dump(include=set(OfferIn.model_fields))})
            update_offer(session, offer_id=kept.id, data=data, taxonomy=rt.taxonomy, geography=rt.geography)
            delete_offer(session, offer_id=offer_ids[1])
        else:  # every candidate is copied
            visible = sorted(store_versions(rt, CANDIDATES)[0])
            for number, candidate_id in enumerate(visible[:2]):
                current = records.get_candidate(session, candidate_id=candidate_id)
                fields = current.model_dump(include=set(CandidateIn.model_fields))
                if number:
                    fields["visibility"] = Visibility.PRIVATE
                update_candidate(
                    session,
                    candidate_id=candidate_id,
                    data=CandidateIn.model_validate(fields),
                    taxonomy=rt.taxonomy,
                    geography=rt.geography,
                )
            fields["visibility"] = Visibility.EMPLOYERS
            fields["display_name"] = "Nouvelle candidate"
            create_candidate(
                session,
                candidate_id="cand_during_fill",
                data=CandidateIn.model_validate(fields),
                taxonomy=rt.taxonomy,
                geography=rt.geography,
            )
    assert process_outbox(rt).failed == {}


def test_queries_keep_answering_and_the_final_index_equals_the_store(
    rt: Runtime, es_backend: ElasticsearchBackend
) -> None:
    before = {index: es_backend.physical_indices(index) for index in (OFFERS, CANDIDATES)}
    visible_before = es_backend.count(CANDIDATES)
    prober = Prober(es_backend, rt.embedder.dims)
    prober.start()
    prober.wait_for(30)
    during: dict[str, int] = {}

    def progress(step: str, done: int, total: int) -> None:
        index = step.split()[-1]
        if index not in during:
            # Mid-fill: the alias still serves the old index, and answers.
            assert es_backend.physical_indices(index) == before[index]
            write_during_fill(rt, index)
            during[index] = len(prober.answers)
            prober.wait_for(30)

    reports = migrate_indices(rt, progress=progress)
    prober.wait_for(6)  # a round of queries (6 answers) asked before the migration returned
    swapped = len(prober.answers)
    prober.wait_for(30)
    prober.stop.set()
    prober.join(timeout=30)

    assert not prober.is_alive() and prober.errors == []
    assert set(during) == {OFFERS, CANDIDATES}
    assert all(size > 0 for _, _, size in prober.answers), "an alias answered with nothing during the migration"
    counts = [size for _, kind, size in prober.answers if kind == "count"]
    assert min(counts) >= min(len(demo_offers(REPO_ROOT / "data")) - 1, visible_before - 1)
    # After the swap the aliases answer from the new indices, the writes made during the fill included:
    # one offer deleted; candidates one hidden and one new.
    after = prober.answers[swapped:]
    assert {index for index, _, _ in after} == {OFFERS, CANDIDATES}
    shipped = len(demo_offers(REPO_ROOT / "data"))
    assert {size for index, kind, size in after if kind == "count" and index == OFFERS} == {shipped - 1}
    assert {size for index, kind, size in after if kind == "count" and index == CANDIDATES} == {visible_before}
    assert {size for _, kind, size in after if kind != "count"} == {10}
    by_index = {r.index: r for r in reports}
    # Offers: one update and one delete after the fill copied them; candidates: one update, one hidden, one new.
    assert (by_index[OFFERS].replayed, by_index[OFFERS].removed) == (1, 1)
    assert (by_index[CANDIDATES].replayed, by_index[CANDIDATES].removed) == (2, 1)
    for index, report in by_index.items():
        assert report.old == before[index]
        assert es_backend.physical_indices(index) == [report.new]
        assert not es_backend.client.indices.exists(index=report.old[0])
        assert report.check.consistent
        assert es_backend.versions(index) == store_versions(rt, index)[0]
    assert es_backend.versions(CANDIDATES)["cand_during_fill"] == 1
    assert all(check.consistent for check in check_indices(rt))
    assert recorded_model(rt) == vectors_id(rt.embedder)  # the vectors behind the aliases are this model's


def test_a_failed_fill_leaves_the_alias_and_drops_the_new_index(rt: Runtime, es_backend: ElasticsearchBackend) -> None:
    before = {index: es_backend.physical_indices(index) for index in (OFFERS, CANDIDATES)}
    with rt.store.transaction() as session:
        session.merge(SettingRow(key=VECTORS_MODEL, value="ancien-modele:256"))

    def fail(step: str, done: int, total: int) -> None:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        migrate_indices(rt, progress=fail)
    assert recorded_model(rt) == "ancien-modele:256"  # the aliases still serve the old vectors
    names = es_backend.client.indices.get(index=f"{es_backend.settings.index_prefix}-*")
    assert sorted(names) == sorted(before[OFFERS] + before[CANDIDATES])
    assert all(check.consistent for check in check_indices(rt))


def test_cli_rebuild_is_a_migration_and_check_sees_differences(
    rt: Runtime, es_backend: ElasticsearchBackend, settings: MatcherSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_on(settings, monkeypatch)
    monkeypatch.setattr(runtime_module, "open_backend", lambda _: es_backend)
    assert cli(["index", "check"]).exit_code == 0
    any_offer = next(iter(es_backend.versions(OFFERS)))
    es_backend.delete(OFFERS, [(any_offer, 99)])
    result = cli(["index", "check"])
    assert result.exit_code == 1 and f"manquants: {any_offer}" in result.output
    before = es_backend.physical_indices(OFFERS)
    result = cli(["index", "rebuild"])
    assert result.exit_code == 0, result.output
    after = es_backend.physical_indices(OFFERS)
    assert len(after) == 1 and after != before
    result = cli(["index", "check"])
    assert result.exit_code == 0, result.output
    shipped = len(demo_offers(REPO_ROOT / "data"))
    assert f"offers: cohérent ; store {shipped}, index {shipped}" in result.output
