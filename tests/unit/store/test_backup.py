"""Back up, destroy, restore: the store, the indexes and the audit chain come back whole (SQLite)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.governance import audit
from matcher.runtime import Runtime
from matcher.store.backup import BackupError, restore
from tests.factories import add_offers, cli_on, shortlisted, store_state


def test_backup_destroy_restore_gives_back_store_index_and_audit_chain(
    rt: Runtime, settings: MatcherSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shortlisted(rt, candidates=8)
    with rt.store.transaction() as session:
        for n in range(3):
            audit.record(session, actor="rec_1", action="test", subject=f"s{n}", payload={"n": n})
    rt.close()
    before = store_state(settings)
    assert before["chain"][0] and before["chain"][1] == 3 and before["candidates"] == 8
    cli = cli_on(settings, monkeypatch)
    copy = tmp_path / "saved" / "matcher.backup"
    result = cli(["backup", str(copy)])
    assert result.exit_code == 0, result.output
    # What is written after the backup is not in it; then everything is lost.
    again = Runtime.open(settings, embedder=HashingEmbedder())
    add_offers(again, 2)
    again.close()
    (settings.data_dir / "matcher.db").unlink()
    shutil.rmtree(settings.index_dir)
    result = cli(["restore", str(copy)])
    assert result.exit_code == 0, result.output
    assert "offers: cohérent" in result.output and "Journal d'audit : intact (3 entrées)" in result.output
    assert store_state(settings) == before


def test_restore_refuses_a_damaged_or_missing_file(settings: MatcherSettings, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(BackupError):
        restore(settings.sqlalchemy_url, damaged)
    with pytest.raises(BackupError, match="introuvable"):
        restore(settings.sqlalchemy_url, tmp_path / "absent.backup")
