"""``python -m matcher.cli.demo coverage``: how many demo candidates each shipped published offer can reach."""

from __future__ import annotations

import typer

from matcher.cli.common import open_runtime

app = typer.Typer(help="Données de démonstration.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Données de démonstration."""


@app.command()
def coverage() -> None:
    """Print, for every shipped published offer with an occupation (given or inferred), the demo candidates within its
    reach."""
    from matcher.demo.samples import MIN_WITHIN_REACH, loaded_coverage

    with open_runtime() as rt:
        rows = loaded_coverage(rt)
    for offer_id, title, workplace, count, inferred in sorted(rows, key=lambda row: row[3]):
        typer.echo(f"{count:5d}  {offer_id:<24} {workplace}  {title[:70]}{'  (métier déduit)' if inferred else ''}")
    low = min((row[3] for row in rows), default=0)
    typer.echo(f"{len(rows)} offres ; minimum {low} candidats à portée (objectif : {MIN_WITHIN_REACH} au moins).")
    if rows and low < MIN_WITHIN_REACH:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
