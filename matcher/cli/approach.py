"""``matcher approach simulate`` (learning from answers, on a simulation) and ``matcher approach expire``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from matcher.cli.common import open_runtime

approach_app = typer.Typer(help="Approche directe : expiration des approches, simulation de l'apprentissage.")


@approach_app.command("simulate")
def simulate_command(
    offers: int = typer.Option(60, help="Offres réelles du dépôt (moitié entraînement, moitié tenue à l'écart)"),
    candidates: int = typer.Option(1200, help="Profils générés autour de ces offres"),
    share: float = typer.Option(0.4, help="Règle cachée : part du rayon de mobilité dans laquelle on accepte"),
    seed: int = typer.Option(7, help="Graine (mêmes offres, mêmes profils, mêmes réponses)"),
    figure: Path | None = typer.Option(None, help="Écrire la courbe (PNG) ici"),
) -> None:
    """Simulate answers that follow a hidden rule; print acceptance@10 on held-out offers vs the number of answers."""
    import tempfile

    from matcher.core.settings import get_settings
    from matcher.evaluation.answers import plot, simulate
    from matcher.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="simulation-") as folder:
        # A store and an index of its own: the simulation approaches and answers, it must not touch the service's.
        settings = get_settings().model_copy(
            update={"data_dir": Path(folder), "database_url": None, "search_backend": "embedded", "mail_sender": "file"}
        )
        rt = Runtime.open(settings)
        rt.ensure_indices()
        try:
            result = simulate(rt, offers=offers, candidates=candidates, share=share, seed=seed)
        finally:
            rt.close()
    typer.echo(f"Règle cachée : le candidat {result.rule}.")
    typer.echo(
        f"{result.train_offers} offres d'entraînement, {result.held_out_offers} tenues à l'écart, "
        f"{result.candidates} profils ({result.seconds:.0f} s)\n"
    )
    typer.echo(result.table())
    gain = result.final - result.cold_start
    typer.echo(f"\nacceptation@10 : {result.cold_start:.3f} à froid → {result.final:.3f} ({100 * gain:+.1f} points)")
    if figure:
        plot(result, str(figure))
        typer.echo(f"Courbe écrite : {figure}")


@approach_app.command("expire")
def expire_command() -> None:
    """Expire the approaches past their date now (the beat does it every hour)."""
    from matcher.approach.approaches import expire

    with open_runtime() as rt:
        typer.echo(json.dumps(expire(rt)))


def register(app: typer.Typer) -> None:
    app.add_typer(approach_app, name="approach")
