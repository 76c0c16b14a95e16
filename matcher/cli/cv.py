"""``matcher cv evaluate`` (the CV parser on the generated corpus and the hand-written CVs) and ``matcher cv read``.

Figures on the generated corpus are against the generator's own labels (there is no public French
CV corpus); the hand-written CVs carry the labels their writer gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from matcher.cv.draft import CvReader

cv_app = typer.Typer(help="CV : lecture d'un fichier, mesure du lecteur.", no_args_is_help=True)
HANDWRITTEN = Path(__file__).resolve().parents[2] / "tests" / "data" / "cv"


def _reader() -> CvReader:
    from matcher.core.settings import get_settings
    from matcher.cv.draft import CvReader
    from matcher.runtime import load_classifier, load_extractor, load_geography, load_taxonomy

    settings = get_settings()
    folder = settings.reference_dir
    return CvReader(
        taxonomy=load_taxonomy(folder / "rome"),
        geography=load_geography(folder / "geo"),
        extractor=load_extractor(folder),
        inferer=load_classifier(folder / "rome", settings.cache_dir),
    )


@cv_app.command("evaluate")
def evaluate_command(
    count: int = typer.Option(120, help="CV générés (moitié PDF, moitié DOCX)"),
    seed: int = typer.Option(16, help="Graine du corpus généré"),
    handwritten: Path = typer.Option(HANDWRITTEN, help="Dossier des CV écrits à la main (avec labels.json)"),
    out: Path | None = typer.Option(None, help="Écrire aussi les fichiers générés dans ce dossier"),
    check: bool = typer.Option(False, help="Code de sortie 1 si un objectif n'est pas atteint (corpus généré)"),
) -> None:
    """Field-level precision and recall, by field and by format, on both sets."""
    from matcher.evaluation.cv_corpus import CorpusGenerator
    from matcher.evaluation.cv_parser import (
        GENERATED_TODAY,
        HANDWRITTEN_TODAY,
        evaluate,
        generated_cases,
        handwritten_cases,
    )

    reader = _reader()
    generator = CorpusGenerator(reader.taxonomy, reader.geography, seed=seed)
    cases = list(generated_cases(generator, count))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for filename, content, _ in cases:
            (out / filename).write_bytes(content)
    generated = evaluate(
        f"Corpus généré : {count} CV (labels du générateur, pas de corpus public de CV français)",
        cases,
        reader,
        today=GENERATED_TODAY,
    )
    typer.echo("\n".join(generated.lines()))
    if handwritten.joinpath("labels.json").exists():
        hand = evaluate(
            f"CV écrits à la main : {handwritten}", handwritten_cases(handwritten), reader, today=HANDWRITTEN_TODAY
        )
        typer.echo("")
        typer.echo("\n".join(hand.lines()))
    missed = generated.failures()
    if missed:
        typer.echo("\nObjectifs non atteints : " + "; ".join(missed), err=True)
        if check:
            raise typer.Exit(code=1)


@cv_app.command("read")
def read_command(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Print the draft profile read from one CV file (JSON), as the upload would show it."""
    from matcher.cv.extract import extract_text

    fmt, text = extract_text(file.read_bytes(), file.name)
    typer.echo(_reader().read(text, fmt=fmt.value).model_dump_json(indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(cv_app, name="cv")
