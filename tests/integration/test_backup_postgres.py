"""Back up, destroy, restore on a real PostgreSQL (pg_dump / pg_restore): store, index and audit chain whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.governance import audit
from matcher.runtime import Runtime
from matcher.store.db import make_engine
from tests.factories import add_offers, cli_on, shortlisted, store_state

pytestmark = pytest.mark.postgres


def _clean_schema(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def test_pg_dump_and_restore_give_back_store_index_and_chain(
    settings: MatcherSettings, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_url  # migrated, empty
    settings = settings.model_copy(update={"database_url": url})
    rt = Runtime.open(settings, embedder=HashingEmbedder())
    rt.ensure_indices()
    shortlisted(rt, candidates=6)
    with rt.store.transaction() as session:
        audit.record(session, actor="rec_1", action="test", subject="s", payload={"n": 1})
    rt.close()
    before = store_state(settings)
    cli = cli_on(settings, monkeypatch)
    copy = tmp_path / "pg.backup"
    result = cli(["backup", str(copy)])
    assert result.exit_code == 0, result.output
    again = Runtime.open(settings, embedder=HashingEmbedder())
    add_offers(again, 2)
    again.close()
    _clean_schema(url)  # everything lost
    result = cli(["restore", str(copy)])
    assert result.exit_code == 0, result.output
    assert store_state(settings) == before
