"""``matcher backup`` and ``matcher restore``: the store copied and put back, the indexes rebuilt from it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from matcher.cli.common import open_runtime


def backup(
    file: Path = typer.Argument(None, help="Fichier à écrire (défaut : <data_dir>/backups/<date>.backup)"),
) -> None:
    """Copy the system of record (SQLite online backup, or pg_dump); the indexes are rebuilt from it on restore."""
    from matcher.core.settings import get_settings
    from matcher.store.backup import BackupError
    from matcher.store.backup import backup as make_backup

    settings = get_settings()
    destination = file or settings.data_dir / "backups" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.backup"
    try:
        make_backup(settings.sqlalchemy_url, destination)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"Sauvegarde écrite : {destination}")


def restore(
    file: Path = typer.Argument(..., help="Sauvegarde écrite par « matcher backup »"),
    rebuild: bool = typer.Option(True, help="Reconstruire les index depuis la base restaurée"),
) -> None:
    """Put a backup back (stop the service first), rebuild the indexes, check them and the audit chain."""
    from matcher.core.progress import ProgressPrinter
    from matcher.core.settings import get_settings
    from matcher.governance.audit import verify
    from matcher.indexing.admin import check_indices, migrate_indices, uses_aliases
    from matcher.jobs.runner import rebuild_indices
    from matcher.store.backup import BackupError
    from matcher.store.backup import restore as put_back

    try:
        put_back(get_settings().sqlalchemy_url, file)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"Base restaurée depuis {file}.")
    with open_runtime() as rt:
        rt.ensure_indices()
        if rebuild:
            if uses_aliases(rt):
                migrate_indices(rt, progress=ProgressPrinter())
            else:
                rebuild_indices(rt, progress=ProgressPrinter())
        checks = check_indices(rt)
        with rt.store.read() as session:
            chain = verify(session)
    for check in checks:
        typer.echo(f"{check.index}: {'cohérent' if check.consistent else 'INCOHÉRENT'} ({check.indexed} documents)")
    typer.echo(f"Journal d'audit : {'intact' if chain.ok else 'ALTÉRÉ'} ({chain.checked} entrées)")
    if not (chain.ok and all(c.consistent for c in checks)):
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
