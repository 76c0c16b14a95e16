"""``matcher retention purge``, ``matcher audit verify`` and ``matcher privacy export``: data-protection chores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from matcher.cli.common import open_runtime
from matcher.core.errors import NotFound

retention_app = typer.Typer(help="Durées de conservation (guide CNIL du recrutement).", no_args_is_help=True)
audit_app = typer.Typer(help="Journal d'audit chaîné.", no_args_is_help=True)
privacy_app = typer.Typer(help="Droits des personnes (RGPD).", no_args_is_help=True)


@retention_app.command("purge")
def retention_purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Lister ce qui serait effacé, sans rien effacer"),
) -> None:
    """Erase every candidate past their retention deadline (store, indexes, caches)."""
    from matcher.governance.retention import purge

    with open_runtime() as rt:
        rt.ensure_indices()
        report = purge(rt, now=datetime.now(UTC), dry_run=dry_run)
        for item in report.items:
            typer.echo(f"{item.candidate_id}\t{item.rule}\téchéance {item.deadline:%Y-%m-%d}")
        verb = "seraient effacés" if dry_run else "effacés"
        typer.echo(f"{len(report.items) if dry_run else report.erased} candidats {verb}.", err=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit code 1 names the first row that was altered."""
    from matcher.governance.audit import verify

    with open_runtime() as rt:
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


@privacy_app.command("export")
def privacy_export(candidate_id: str = typer.Argument(..., help="Identifiant du candidat")) -> None:
    """Print, as JSON, everything held on a candidate (right of access and portability)."""
    from matcher.governance.privacy import export_person

    with open_runtime() as rt:
        try:
            with rt.store.read() as session:
                data = export_person(session, candidate_id=candidate_id)
        except NotFound as exc:
            typer.echo(exc.detail, err=True)
            raise typer.Exit(code=1) from exc
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@privacy_app.command("erase")
def privacy_erase(candidate_id: str = typer.Argument(..., help="Identifiant du candidat")) -> None:
    """Erase a candidate everywhere, for good (right to erasure)."""
    from matcher.governance.privacy import erase_candidate

    with open_runtime() as rt:
        rt.ensure_indices()
        try:
            report = erase_candidate(rt, candidate_id=candidate_id, reason="request", actor="cli")
        except NotFound as exc:
            typer.echo(exc.detail, err=True)
            raise typer.Exit(code=1) from exc
        typer.echo("Candidat effacé." if report.erased else "Candidat déjà effacé.")


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
    app.add_typer(audit_app, name="audit")
    app.add_typer(privacy_app, name="privacy")
