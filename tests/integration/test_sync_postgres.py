"""Concurrent partner pushes on a real PostgreSQL (where the partner's advisory lock serialises them)."""

from __future__ import annotations

import pytest

from tests.integration.test_store_postgres import rt  # noqa: F401 - the PostgreSQL runtime fixture
from tests.unit.catalog.test_sync_concurrency import test_concurrent_identical_and_crossing_batches  # noqa: F401

pytestmark = pytest.mark.postgres
