"""``matcher`` command line: load data, (re)build indexes, measure shortlists.

Every heavy import happens inside the command that needs it, so ``matcher --help`` answers at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from matcher.cli import approach, cv, governance, imports, jobs, model, operations, ranking
from matcher.cli.common import open_runtime, prepare

if TYPE_CHECKING:
    from matcher.indexing.admin import IndexCheck, MigrationReport
    from matcher.runtime import Runtime

app = typer.Typer(help="Appariement offres / candidats pour les employeurs publics.", no_args_is_help=True)
index_app = typer.Typer(help="Index de recherche.", no_args_is_help=True)
app.add_typer(index_app, name="index")
db_app = typer.Typer(help="Base de données (système de référence).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (Alembic) to the configured database; nothing else is loaded."""
    from matcher.core.settings import get_settings
    from matcher.store.db import make_engine, migrate

    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    typer.echo("Schéma à jour.")


@app.command()
def seed(candidates: int = typer.Option(None, help="Nombre de candidats générés (défaut : réglage)")) -> None:
    """Load the demo offers and generated candidates, then index them."""
    with open_runtime() as rt:
        prepare(rt, candidates=candidates)


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Rebuild every index from the system of record (on Elasticsearch: a migration, the alias keeps serving)."""
    from matcher.core.progress import ProgressPrinter
    from matcher.indexing.admin import uses_aliases
    from matcher.jobs.runner import rebuild_indices

    with open_runtime() as rt:
        if uses_aliases(rt):
            _migrate(rt)
        else:
            report = rebuild_indices(rt, progress=ProgressPrinter())
            typer.echo(f"{report.indexed} documents indexés, {len(report.failed)} échecs.")


@index_app.command("migrate")
def index_migrate() -> None:
    """Build new indexes from the store, swap the aliases, replay what changed meanwhile, drop the old ones.

    On the embedded backend (no aliases) this is the same as ``index rebuild``.
    """
    with open_runtime() as rt:
        _migrate(rt)


def _migrate(rt: Runtime) -> None:
    from matcher.core.progress import ProgressPrinter
    from matcher.indexing.admin import MigrationFailed, migrate_indices

    try:
        reports = migrate_indices(rt, progress=ProgressPrinter())
    except MigrationFailed as exc:
        typer.echo(f"{exc.title} : {exc.detail}", err=True)
        raise typer.Exit(code=1) from exc
    _echo_migration(reports)


def _echo_migration(reports: list[MigrationReport]) -> None:
    for r in reports:
        where = f"{', '.join(r.old) or '-'} -> {r.new}" if r.new else "reconstruit (backend embarqué)"
        typer.echo(f"{r.index}: {where} ; {r.filled} copiés, {r.replayed} rejoués, {r.removed} retirés")
    if not all(r.check.consistent for r in reports):
        _echo_checks([r.check for r in reports])
        raise typer.Exit(code=1)


@index_app.command("check")
def index_check() -> None:
    """Compare every index with the store (counts and versions); exit code 1 on any difference."""
    from matcher.indexing.admin import check_indices
    from matcher.jobs.runner import pending_count

    with open_runtime() as rt:
        checks = check_indices(rt)
        _echo_checks(checks)
        if not all(c.consistent for c in checks):
            pending = pending_count(rt)
            if pending:
                typer.echo(f"{pending} écritures attendent encore dans l'outbox.", err=True)
            raise typer.Exit(code=1)


def _echo_checks(checks: list[IndexCheck]) -> None:
    for c in checks:
        state = "cohérent" if c.consistent else "INCOHÉRENT"
        typer.echo(
            f"{c.index}: {state} ; store {c.expected}, index {c.indexed}, "
            f"manquants {len(c.missing)}, périmés {len(c.stale)}, en trop {len(c.extra)}"
        )
        for label, ids in (("manquants", c.missing), ("périmés", c.stale), ("en trop", c.extra)):
            if ids:
                more = f" (+{len(ids) - 5})" if len(ids) > 5 else ""
                typer.echo(f"  {label}: {', '.join(ids[:5])}{more}")


@index_app.command("status")
def index_status() -> None:
    """Documents per index, and which embedding model their vectors come from."""
    from matcher.core.indexes import CANDIDATES, OFFERS
    from matcher.indexing.vectors import recorded_model, stale_vectors, vectors_id

    with open_runtime() as rt:
        rt.ensure_indices()
        for index in (OFFERS, CANDIDATES):
            typer.echo(f"{index}: {rt.backend.count(index)} documents")
        recorded = recorded_model(rt)
        stale = stale_vectors(rt, recorded)
        typer.echo(
            f"vecteurs : {recorded or '-'}"
            + (f" (modèle actuel {vectors_id(rt.embedder)} : lancez « matcher index migrate »)" if stale else "")
        )


@app.command("evaluate-shortlists")
def evaluate_shortlists(
    k: int = 10,
    hide_offer_rome: bool = typer.Option(
        False, help="Ne pas donner le code ROME de l'offre au classement (deviné depuis l'intitulé)"
    ),
) -> None:
    """Share of top-k shortlisted candidates in the offer's ROME occupation or a mobility neighbour.

    Labels are code-derived (the occupation each generated profile was drawn from).
    """
    from matcher.core.progress import ProgressPrinter
    from matcher.evaluation.relevance import shortlist_relevance

    with open_runtime() as rt:
        prepare(rt)
        report = shortlist_relevance(rt, k=k, hide_offer_rome=hide_offer_rome, progress=ProgressPrinter())
        typer.echo(json.dumps(asdict(report), indent=2))
        typer.echo(
            f"Top-{k} : {100 * report.relevant_share:.1f} % des candidats présélectionnés ont le métier ROME "
            f"de l'offre ou un métier de mobilité (étiquettes dérivées des codes ROME)."
        )


ranking.register(app)
model.register(app)
jobs.register(app)
governance.register(app)
operations.register(app)
approach.register(app)
cv.register(app)
imports.register(app)

if __name__ == "__main__":
    app()
