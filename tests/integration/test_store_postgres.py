"""What only PostgreSQL (the production system of record) can show: its JSON columns, read back and indexed."""

from __future__ import annotations

import pytest

from matcher.catalog.candidates import create_candidate
from matcher.core import records
from matcher.core.indexes import CANDIDATES
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from tests.factories import candidate_in

# `rt` (tests/conftest.py) on PostgreSQL only; the service tests of the SQLite suite that matter
# there run on both stores (pytest.mark.both_stores) instead of being imported here.
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("store", ["postgresql"])]


def test_json_columns_and_indexing_from_postgres(rt: Runtime) -> None:

    with rt.store.transaction() as session:
        candidate = create_candidate(
            session, data=candidate_in(languages=["français", "anglais"]), taxonomy=rt.taxonomy, geography=rt.geography
        )
    with rt.store.read() as session:
        again = records.get_candidate(session, candidate_id=candidate.id)
    assert again.languages == ["français", "anglais"] and again.mobility.radius_km == 40
    assert process_outbox(rt).indexed == 1
    assert rt.backend.versions(CANDIDATES) == {candidate.id: 1}
