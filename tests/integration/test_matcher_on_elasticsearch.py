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
