"""``matcher`` command line: load data, (re)build indexes, measure shortlists."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

import typer

from matcher import governance_commands, job_commands, ranking_commands
from matcher.index_admin import (
    IndexCheck,
    MigrationFailed,
    MigrationReport,
    check_indices,
    migrate_indices,
    uses_aliases,
)
from matcher.jobs import pending_count, process_outbox, rebuild_indices
from matcher.progress import ProgressPrinter
from matcher.runtime import CANDIDATES, OFFERS, Runtime
from matcher.samples import seed_demo, seed_demo_accounts
from matcher.settings import get_settings

app = typer.Typer(help="Appariement offres / candidats pour les employeurs publics.", no_args_is_help=True)
index_app = typer.Typer(help="Index de recherche.", no_args_is_help=True)
app.add_typer(index_app, name="index")


def prepare(rt: Runtime, *, candidates: int | None = None) -> dict[str, Any]:
    """Make the service ready: demo data and accounts loaded once, indexes caught up. Returns the demo accounts."""
    progress = ProgressPrinter()
    rt.ensure_indices()
    if seed_demo(rt, candidates=candidates, progress=progress):
        typer.echo("Données de démonstration chargées.", err=True)
    accounts = seed_demo_accounts(rt)
    started = time.perf_counter()
    report = process_outbox(rt, progress=progress)
    if report.rows:
        typer.echo(f"Indexation : {report.indexed} documents en {time.perf_counter() - started:.1f} s.", err=True)
    return accounts


@app.command()
def seed(candidates: int = typer.Option(None, help="Nombre de candidats générés (défaut : réglage)")) -> None:
    """Load the demo offers and generated candidates, then index them."""
    rt = Runtime.open(get_settings())
    try:
        prepare(rt, candidates=candidates)
    finally:
        rt.close()


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Rebuild every index from the system of record (on Elasticsearch: a migration, the alias keeps serving)."""
    rt = Runtime.open(get_settings())
    try:
        if uses_aliases(rt):
            _migrate(rt)
        else:
            report = rebuild_indices(rt, progress=ProgressPrinter())
            typer.echo(f"{report.indexed} documents indexés, {len(report.failed)} échecs.")
    finally:
        rt.close()


@index_app.command("migrate")
def index_migrate() -> None:
    """Build new indexes from the store, swap the aliases, replay what changed meanwhile, drop the old ones.

    On the embedded backend (no aliases) this is the same as ``index rebuild``.
    """
    rt = Runtime.open(get_settings())
    try:
        _migrate(rt)
    finally:
        rt.close()


def _migrate(rt: Runtime) -> None:
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
    rt = Runtime.open(get_settings())
    try:
        checks = check_indices(rt)
        _echo_checks(checks)
        if not all(c.consistent for c in checks):
            pending = pending_count(rt)
            if pending:
                typer.echo(f"{pending} écritures attendent encore dans l'outbox.", err=True)
            raise typer.Exit(code=1)
    finally:
        rt.close()


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
    """Compare the indexes with the store (counts)."""
    rt = Runtime.open(get_settings())
    try:
        rt.ensure_indices()
        for index in (OFFERS, CANDIDATES):
            typer.echo(f"{index}: {rt.backend.count(index)} documents")
    finally:
        rt.close()


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
    rt = Runtime.open(get_settings())
    try:
        prepare(rt)
        from matcher.evaluation import shortlist_relevance

        report = shortlist_relevance(rt, k=k, hide_offer_rome=hide_offer_rome, progress=ProgressPrinter())
        typer.echo(json.dumps(asdict(report), indent=2))
        typer.echo(
            f"Top-{k} : {100 * report.relevant_share:.1f} % des candidats présélectionnés ont le métier ROME "
            f"de l'offre ou un métier de mobilité (étiquettes dérivées des codes ROME)."
        )
    finally:
        rt.close()


ranking_commands.register(app)
job_commands.register(app)
governance_commands.register(app)

if __name__ == "__main__":
    app()
