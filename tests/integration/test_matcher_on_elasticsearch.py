"""The whole matcher on a real Elasticsearch node: same shortlists as on the embedded backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from indices.elasticsearch import ElasticsearchBackend
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.settings import MatcherSettings
from matcher.demo.samples import seed_demo
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import process_outbox
from matcher.ranking.pipeline import build_matches, build_shortlist
from matcher.runtime import Runtime
from tests.factories import count_requests

pytestmark = pytest.mark.elasticsearch


def demo_runtime(path: Path, backend: object | None = None) -> Runtime:
    settings = MatcherSettings(data_dir=path, embedder="hashing")
    rt = Runtime.open(settings, embedder=HashingEmbedder(), backend=backend)  # type: ignore[arg-type]
    rt.ensure_indices()
    seed_demo(rt, candidates=300)
    assert process_outbox(rt).failed == {}
    return rt


def test_shortlists_match_the_embedded_backend(tmp_path: Path, es_backend: ElasticsearchBackend) -> None:
    embedded = demo_runtime(tmp_path / "embedded")
    elastic = demo_runtime(tmp_path / "elastic", es_backend)
    try:
        for index in (OFFERS, CANDIDATES):
            assert elastic.backend.versions(index) == embedded.backend.versions(index)
        with embedded.store.read() as session:
            from matcher.catalog.offers import list_offers

            offers, _ = list_offers(session, limit=40)
        overlaps = []
        for offer in offers:
            a = [e.candidate_id for e in build_shortlist(embedded, offer_id=offer.id, size=10).entries]
            b = [e.candidate_id for e in build_shortlist(elastic, offer_id=offer.id, size=10).entries]
            if a or b:
                overlaps.append(len(set(a) & set(b)) / max(len(a), len(b)))
        candidate = next(iter(embedded.backend.versions(CANDIDATES)))
        matches_a = [m.offer_id for m in build_matches(embedded, candidate_id=candidate).entries]
        matches_b = [m.offer_id for m in build_matches(elastic, candidate_id=candidate).entries]
    finally:
        embedded.close()
        elastic.close()
    mean = sum(overlaps) / len(overlaps)
    print(f"shortlist top-10 overlap embedded vs Elasticsearch: mean {mean:.3f} over {len(overlaps)} offers")
    assert len(overlaps) >= 20 and mean >= 0.9
    assert len(set(matches_a) & set(matches_b)) >= 0.9 * max(len(matches_a), len(matches_b))


def test_a_shortlist_retrieves_in_one_round_trip(
    tmp_path: Path, es_backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BM25, kNN and the BM25 scores of the kNN hits come in one request; the vectors of BM25 hits kNN did not return,
    when the fused list keeps any, in one more (:meth:`ElasticsearchBackend.retrieve`).

    What a process learns once is kept: the reach values of the mobility filter (one aggregation for all
    offers, read before the first retrieval) and the document frequencies of long offers' terms (asked for terms
    never seen only).
    """

    def split(requests: list[str]) -> tuple[list[str], list[str]]:  # before and after the one _msearch
        assert requests.count("_msearch") == 1, requests
        at = requests.index("_msearch")
        return requests[:at], requests[at + 1 :]

    elastic = demo_runtime(tmp_path / "elastic", es_backend)
    try:
        with elastic.store.read() as session:
            from matcher.catalog.offers import list_offers

            offers, _ = list_offers(session, limit=6)
        sent = count_requests(es_backend, monkeypatch)  # "METHOD /path" of each request
        first = []
        for offer in offers:
            sent.clear()
            assert build_shortlist(elastic, offer_id=offer.id, size=10).entries
            first.append([request.rsplit("/", 1)[-1] for request in sent])
        assert sum(split(requests)[0].count("_search") for requests in first) <= 1, first  # the reach values, once
        assert all(split(requests)[1] in ([], ["_search"]) for requests in first), first  # vectors, at most once
        for offer in offers:
            sent.clear()
            entries = build_shortlist(elastic, offer_id=offer.id, size=10).entries
            assert entries and all(e.explanation.contributions for e in entries)
            before, after = split([request.rsplit("/", 1)[-1] for request in sent])
            assert before == [] and after in ([], ["_search"]), sent
    finally:
        elastic.close()
