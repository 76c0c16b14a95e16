"""``matcher retention purge``, ``matcher audit verify`` and ``matcher privacy export``: data-protection chores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from matcher.audit import verify
from matcher.errors import NotFound
from matcher.privacy import erase_candidate, export_person
from matcher.retention import purge
from matcher.runtime import Runtime
from matcher.settings import get_settings

retention_app = typer.Typer(help="Durées de conservation (guide CNIL du recrutement).", no_args_is_help=True)
audit_app = typer.Typer(help="Journal d'audit chaîné.", no_args_is_help=True)
privacy_app = typer.Typer(help="Droits des personnes (RGPD).", no_args_is_help=True)


@retention_app.command("purge")
def retention_purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Lister ce qui serait effacé, sans rien effacer"),
) -> None:
    """Erase every candidate past their retention deadline (store, indexes, caches)."""
    rt = Runtime.open(get_settings())
    try:
        rt.ensure_indices()
        report = purge(rt, now=datetime.now(UTC), dry_run=dry_run)
        for item in report.items:
            typer.echo(f"{item.candidate_id}\t{item.rule}\téchéance {item.deadline:%Y-%m-%d}")
        verb = "seraient effacés" if dry_run else "effacés"
        typer.echo(f"{len(report.items) if dry_run else report.erased} candidats {verb}.", err=True)
    finally:
        rt.close()


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit code 1 names the first row that was altered."""
    rt = Runtime.open(get_settings())
    try:
        with rt.store.read() as session:
            report = verify(session)
        if report.ok:
            typer.echo(f"Journal intact : {report.checked} entrées vérifiées ; empreinte de tête {report.head}.")
            return
        typer.echo(
            f"Journal ALTÉRÉ à l'entrée n° {report.first_broken_seq} ({report.checked} entrées intactes avant).",
            err=True,
        )
        raise typer.Exit(code=1)
    finally:
        rt.close()


@privacy_app.command("export")
def privacy_export(candidate_id: str = typer.Argument(..., help="Identifiant du candidat")) -> None:
    """Print, as JSON, everything held on a candidate (right of access and portability)."""
    rt = Runtime.open(get_settings())
    try:
        with rt.store.read() as session:
            data = export_person(session, candidate_id=candidate_id)
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    except NotFound as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=1) from exc
    finally:
        rt.close()


@privacy_app.command("erase")
def privacy_erase(candidate_id: str = typer.Argument(..., help="Identifiant du candidat")) -> None:
    """Erase a candidate everywhere, for good (right to erasure)."""
    rt = Runtime.open(get_settings())
    try:
        rt.ensure_indices()
        report = erase_candidate(rt, candidate_id=candidate_id, reason="request", actor="cli")
        typer.echo("Candidat effacé." if report.erased else "Candidat déjà effacé.")
    except NotFound as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=1) from exc
    finally:
        rt.close()


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
    app.add_typer(audit_app, name="audit")
    app.add_typer(privacy_app, name="privacy")
