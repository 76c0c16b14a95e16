"""Fixtures for tests against real services."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from indices.elasticsearch import ElasticsearchBackend
from indices.settings import SearchSettings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "elasticsearch: needs a real Elasticsearch node (ELASTICSEARCH_URL)")


@pytest.fixture(scope="session")
def elasticsearch_url() -> str:
    """URL of the Elasticsearch node: required in CI, the test skips on a laptop without one."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("Elasticsearch is required in CI: set ELASTICSEARCH_URL (scripts/search-node start)")
    pytest.skip("Elasticsearch not available (set ELASTICSEARCH_URL, e.g. after scripts/search-node start)")


@pytest.fixture
def es_backend(elasticsearch_url: str) -> Iterator[ElasticsearchBackend]:
    """An Elasticsearch backend with a prefix of its own; every index it created is deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    backend = ElasticsearchBackend(SearchSettings(url=elasticsearch_url, index_prefix=prefix))
    try:
        yield backend
    finally:
        leftovers = backend.client.indices.get(
            index=f"{prefix}-*", allow_no_indices=True, expand_wildcards="open,closed"
        )
        if leftovers:
            backend.client.indices.delete(index=",".join(leftovers))
        backend.close()
