"""Per-employer visibility on both search backends: a profile whose consent names one employer is found by that
employer's searches and no other's, on the embedded backend and on a real Elasticsearch node alike."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from matcher.access import accounts
from matcher.access.accounts import PartnerIn, Principal, Role
from matcher.catalog.candidate_sync import sync_candidates
from matcher.catalog.employers import create_employer
from matcher.catalog.search import SearchFilters, SearchIn, search_candidates
from matcher.core.indexes import CANDIDATES
from matcher.core.models import EmployerIn, EmployerKind
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from tests.factories import candidate_body


def _person(n: int, **consent: object) -> dict:
    return {
        "external_id": f"p-{n}",
        "version": 1,
        "consent": {
            "given_at": (date.today() - timedelta(days=3)).isoformat(),
            "channel": "online",
            "scope": "all_public_employers",
            "duration_days": 180,
            **consent,
        },
        "profile": candidate_body(display_name=f"Personne {n}"),
    }


@pytest.mark.parametrize("backend", ["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def test_a_named_employer_finds_the_profile_and_another_does_not(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    es = request.getfixturevalue("es_backend") if backend == "elasticsearch" else None
    rt = Runtime.open(MatcherSettings(data_dir=tmp_path, embedder="hashing"), embedder=HashingEmbedder(), backend=es)
    try:
        rt.ensure_indices()
        with rt.store.transaction() as session:
            a, b = (
                create_employer(session, data=EmployerIn(name=name, kind=EmployerKind.COMMUNE)).id
                for name in ("Privas", "Aubenas")
            )
            partner_id = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[a])).id
        partner = Principal(role=Role.PARTNER, subject=partner_id, employer_ids=frozenset({a}))
        report = sync_candidates(
            rt.store,
            partner=partner,
            items=[_person(1, scope="employers", employer_ids=[a]), _person(2)],
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        named, everyone = (i.candidate_id for i in report.items)
        assert process_outbox(rt).failed == {}
        assert rt.backend.count(CANDIDATES) == 2

        def found(employer_ids: set[str]) -> set[str]:
            # Text and a place: the lexical, vector and geographic parts of the query all carry the filter.
            search = SearchIn(query="jardinier paysagiste", filters=SearchFilters(commune_insee="07019"))
            return {h.candidate_id for h in search_candidates(rt, search, employer_ids=employer_ids).items}

        assert found({a}) == {named, everyone}
        assert found({b}) == {everyone}
        assert found(set()) == {everyone}
    finally:
        rt.close()
