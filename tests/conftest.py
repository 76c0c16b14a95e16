"""Shared fixtures: a runtime on a temporary store, with the fast deterministic embedder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.runtime import Runtime


def require_service(env_var: str, what: str) -> str:
    """URL of a service the test needs: in CI its absence fails the test, on a laptop it skips it."""
    url = os.environ.get(env_var)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI: set {env_var} (.ci/run starts it)")
    pytest.skip(f"{what} not available (set {env_var})")


@pytest.fixture
def settings(tmp_path: Path) -> MatcherSettings:
    # webhook_allow_private: tests send webhooks to local receivers (http://127.0.0.1:…), which the
    # default (https to public addresses only) refuses.
    return MatcherSettings(
        data_dir=tmp_path, embedder="hashing", demo_candidates=300, shortlist_size=10, webhook_allow_private=True
    )


@pytest.fixture
def rt(settings: MatcherSettings) -> Iterator[Runtime]:
    runtime = Runtime.open(settings, embedder=HashingEmbedder())
    runtime.ensure_indices()
    yield runtime
    runtime.close()
