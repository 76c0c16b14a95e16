"""Shared fixtures: a runtime on a temporary store, with the fast deterministic embedder.

The store is SQLite unless a test asks for both (``pytestmark = pytest.mark.both_stores``; every
test of tests/api does): it then runs on SQLite and on PostgreSQL (``MATCHER_TEST_POSTGRES_URL``;
always in CI, where a missing server fails the test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.runtime import Runtime
from matcher.store.db import make_engine, migrate

POSTGRES_URL = "MATCHER_TEST_POSTGRES_URL"


def require_service(env_var: str, what: str) -> str:
    """URL of a service the test needs: in CI its absence fails the test, on a laptop it skips it."""
    url = os.environ.get(env_var)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI: set {env_var} (.ci/run starts it)")
    pytest.skip(f"{what} not available (set {env_var})")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_stores: the `rt` fixture runs on SQLite and on PostgreSQL (MATCHER_TEST_POSTGRES_URL)"
    )


def both_stores() -> list[object]:
    """SQLite, and PostgreSQL where a server is given (or in CI, where its absence fails the test)."""
    stores: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(POSTGRES_URL) or os.environ.get("CI"):
        stores.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return stores


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_stores"):
        metafunc.parametrize("store", both_stores())


@pytest.fixture
def store() -> str:
    """The system of record under test: "sqlite" unless the test is parametrised (see the docstring)."""
    return "sqlite"


def runtime_settings(data_dir: Path) -> MatcherSettings:
    """The test settings: the hashing embedder, a small demo, files under ``data_dir``."""
    # webhook_allow_private: tests send webhooks to local receivers (http://127.0.0.1:…), which the
    # default (https to public addresses only) refuses.
    return MatcherSettings(
        data_dir=data_dir, embedder="hashing", demo_candidates=300, shortlist_size=10, webhook_allow_private=True
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> MatcherSettings:
    settings = runtime_settings(tmp_path)
    if store == "postgresql":
        settings = settings.model_copy(update={"database_url": request.getfixturevalue("postgres_url")})
    return settings


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    """The PostgreSQL URL, its public schema dropped and rebuilt by the migrations once per session."""
    url = require_service(POSTGRES_URL, "PostgreSQL")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_schema: str) -> str:
    """The PostgreSQL URL in the state the migrations leave: no rows (they add none), sequences at their start.

    Only the tables and sequences an earlier test used are reset: a TRUNCATE of every table costs ~1 s,
    this ~0.05 s.
    """
    engine = make_engine(postgres_schema)
    with engine.begin() as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).all()
        used = [name for name in tables if connection.scalar(text(f'SELECT EXISTS (SELECT FROM public."{name}")'))]
        if used:
            names = ", ".join(f'public."{name}"' for name in used)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        sequences = connection.scalars(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")
        ).all()
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE public."{sequence}" RESTART'))
    engine.dispose()
    return postgres_schema


@pytest.fixture
def rt(settings: MatcherSettings, store: str) -> Iterator[Runtime]:
    runtime = Runtime.open(settings, embedder=HashingEmbedder())
    assert runtime.store.engine.dialect.name == store
    runtime.ensure_indices()
    yield runtime
    runtime.close()
