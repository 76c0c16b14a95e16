"""The migrations form one line: a single head, each revision after exactly one other."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from matcher.store.db import MIGRATIONS


def test_one_head_and_no_branch() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    revisions = list(scripts.walk_revisions())
    assert all(isinstance(r.down_revision, str | None) for r in revisions)  # no merge points
    assert [r.down_revision for r in revisions].count(None) == 1
