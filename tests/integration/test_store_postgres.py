"""The same store and service tests, on a real PostgreSQL (the production system of record)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from matcher.catalog.candidates import create_candidate
from matcher.core import records
from matcher.core.indexes import CANDIDATES
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.db import make_engine
from tests.conftest import require_service

# Re-run every service test of the SQLite suite against PostgreSQL: the `rt` fixture below wins.
from tests.factories import candidate_in
from tests.unit.catalog.test_writes import (  # noqa: F401
    test_a_failure_mid_transaction_leaves_nothing,
    test_candidate_consent_is_dated_and_withdrawn,
    test_create_update_delete_offer_versions_and_outbox,
    test_unknown_references_name_the_field_and_write_nothing,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def rt(settings: MatcherSettings) -> Iterator[Runtime]:
    url = require_service("MATCHER_TEST_POSTGRES_URL", "PostgreSQL")
    engine = make_engine(url)
    with engine.begin() as connection:  # a clean schema for every test, built by the migrations
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    runtime = Runtime.open(settings.model_copy(update={"database_url": url}), embedder=HashingEmbedder())
    runtime.ensure_indices()
    assert runtime.store.engine.dialect.name == "postgresql"
    yield runtime
    runtime.close()


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
