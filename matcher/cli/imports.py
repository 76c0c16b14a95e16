"""``matcher import offers FILE --employer ID`` and ``matcher import candidates FILE``: bring one's own data.

What the files hold and whose items they become: :mod:`matcher.catalog.imports`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from matcher.cli.common import open_runtime

if TYPE_CHECKING:
    from matcher.catalog.imports import ImportReport
    from matcher.runtime import Runtime

import_app = typer.Typer(
    help="Import d'offres et de profils depuis un fichier CSV ou JSON lines (comme une synchronisation partenaire).",
    no_args_is_help=True,
)
FILE = typer.Argument(..., exists=True, dir_okay=False, help="Fichier .csv, ou JSON lines (.jsonl, .ndjson)")


@import_app.command("offers")
def import_offers_command(
    file: Path = FILE,
    employer: str = typer.Option(..., "--employer", help="Employeur des offres : identifiant, SIREN ou nom exact"),
) -> None:
    """Import offers for one employer (source ``import:<employer id>``, reference from ``external_id``)."""
    from matcher.catalog.imports import import_offers
    from matcher.core.errors import MatcherError
    from matcher.core.progress import ProgressPrinter

    with open_runtime() as rt:
        try:
            report = import_offers(rt, path=file, employer=employer, progress=ProgressPrinter())
        except MatcherError as exc:
            typer.echo(f"{file} : {exc.detail}", err=True)
            raise typer.Exit(code=1) from exc
        _conclude(rt, file, report)


@import_app.command("candidates")
def import_candidates_command(file: Path = FILE) -> None:
    """Import candidate profiles, each with the person's consent (source ``import``)."""
    from matcher.catalog.imports import import_candidates
    from matcher.core.errors import MatcherError
    from matcher.core.progress import ProgressPrinter

    with open_runtime() as rt:
        try:
            report = import_candidates(rt, path=file, progress=ProgressPrinter())
        except MatcherError as exc:
            typer.echo(f"{file} : {exc.detail}", err=True)
            raise typer.Exit(code=1) from exc
        _conclude(rt, file, report)


def _conclude(rt: Runtime, file: Path, report: ImportReport) -> None:
    """Say what became of each refused item and of the whole file, index what changed; exit 1 on a refusal."""
    from matcher.catalog.sync import Status
    from matcher.core.progress import ProgressPrinter
    from matcher.jobs.runner import process_outbox

    for item in report.items:
        if item.status is Status.REJECTED:
            why = "; ".join(f"{e.field} : {e.message}" if e.field else e.message for e in item.errors)
            typer.echo(f"{file}, ligne {item.line} ({item.external_id or 'sans external_id'}) : refusé — {why}")
    counts = report.counts
    rejected = counts[Status.REJECTED]
    if report.changed == 0:
        refused = f", refusés {rejected}" if rejected else ""
        up_to_date = counts[Status.UNCHANGED]
        typer.echo(f"{file} ({report.owner}) : rien n'a changé (déjà à jour {up_to_date}{refused}).")
    else:
        typer.echo(
            f"{file} ({report.owner}) : lus {len(report.items)}, créés {counts[Status.CREATED]}, "
            f"mis à jour {counts[Status.UPDATED]}, inchangés {counts[Status.UNCHANGED]}, "
            f"supprimés {counts[Status.DELETED]}, refusés {rejected}."
        )
        rt.ensure_indices()
        indexed = process_outbox(rt, batch_size=128, progress=ProgressPrinter())
        typer.echo(f"Indexation : {indexed.indexed} documents indexés, {indexed.deleted} retirés.", err=True)
    if rejected:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
