"""Backing up and restoring the system of record (the indexes are rebuilt from it afterwards).

SQLite: the online backup API (a consistent copy while the service runs). PostgreSQL: ``pg_dump`` in
its custom format and ``pg_restore`` (Debian's client tools, matching the server's major version).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore could not be made (tool missing, database out of reach, wrong file)."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def _libpq_url(url: str) -> str:
    """``postgresql+psycopg://…`` as the command-line tools want it (``postgresql://…``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if found is None:
        raise BackupError(f"{name} introuvable : installez le client PostgreSQL (paquet postgresql-client)")
    return str(found)


def backup(url: str, destination: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``destination``; returns it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(url)
    if source is not None:
        if not source.exists():
            raise BackupError(f"base introuvable : {source}")
        with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
            live.backup(copy)
        return destination
    run = subprocess.run(  # noqa: S603 - a fixed tool; arguments come from our settings
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={destination}", _libpq_url(url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise BackupError(f"pg_dump a échoué : {run.stderr.strip()[-500:]}")
    return destination


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup ``source`` (stop writers first)."""
    if not source.exists():
        raise BackupError(f"sauvegarde introuvable : {source}")
    target = _sqlite_path(url)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with sqlite3.connect(source) as copy:
                if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                    raise BackupError(f"sauvegarde SQLite endommagée : {source}")
                with sqlite3.connect(target) as live:
                    copy.backup(live)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"sauvegarde SQLite illisible : {source} ({exc})") from exc
        return
    run = subprocess.run(  # noqa: S603 - a fixed tool; arguments come from our settings
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise BackupError(f"pg_restore a échoué : {run.stderr.strip()[-500:]}")
