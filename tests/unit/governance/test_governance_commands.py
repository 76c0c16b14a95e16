"""The data-protection commands: purge (dry run first), audit verification, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text
from typer.testing import CliRunner

from matcher.catalog.candidates import create_candidate
from matcher.cli.main import app
from matcher.core.settings import MatcherSettings, get_settings
from matcher.governance import audit
from matcher.runtime import Runtime
from tests.factories import candidate_in


@pytest.fixture
def cli(settings: MatcherSettings, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MATCHER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MATCHER_EMBEDDER", "hashing")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_purge_dry_run_then_purge_verify_and_export(cli: CliRunner, rt: Runtime) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    with time_machine.travel(start, tick=False), rt.store.transaction() as session:
        cid = create_candidate(session, data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography).id
    exported = cli.invoke(app, ["privacy", "export", cid])
    assert exported.exit_code == 0 and json.loads(exported.stdout)["profile"]["id"] == cid
    with time_machine.travel(start + timedelta(days=120), tick=False):
        dry = cli.invoke(app, ["retention", "purge", "--dry-run"])
        assert dry.exit_code == 0 and f"{cid}\tno_process\téchéance 2026-04-05" in dry.stdout
        assert cli.invoke(app, ["privacy", "export", cid]).exit_code == 0  # still there
        assert cli.invoke(app, ["retention", "purge"]).exit_code == 0
    assert cli.invoke(app, ["privacy", "export", cid]).exit_code == 1
    verified = cli.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "2 entrées vérifiées" in verified.stdout  # candidate.erased, retention.purged
    with rt.store.transaction() as session:
        session.execute(text("UPDATE audit_log SET actor = 'x' WHERE action = :a"), {"a": audit.RETENTION_PURGED})
    broken = cli.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "ALTÉRÉ à l'entrée n° 2" in broken.stderr
