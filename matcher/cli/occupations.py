"""``matcher occupations infer|evaluate|train``: the occupation classifier on any file.

Figures are printed against the file's own ``rome_code`` column: on the shipped offers those are the
codes their publishers chose (some are far from the title), not human labels made for this test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from matcher.evaluation.occupations import CodedText
    from matcher.reference.classifier import OccupationClassifier

app = typer.Typer(help="Métier ROME d'une offre : déduction, mesure, entraînement.", no_args_is_help=True)


def _classifier(model: Path | None) -> OccupationClassifier:
    from matcher.core.settings import get_settings
    from matcher.reference.classifier import MODEL_PATH, OccupationClassifier
    from matcher.reference.taxonomy import Taxonomy

    settings = get_settings()
    taxonomy = Taxonomy(settings.reference_dir / "rome")
    path = model or MODEL_PATH
    if not path.exists():
        typer.echo(f"Modèle introuvable : {path} (lancez « matcher occupations train »).", err=True)
        raise typer.Exit(code=1)
    return OccupationClassifier.load(taxonomy, path, cache_dir=settings.cache_dir)


def _rows(file: Path) -> list[CodedText]:
    from matcher.evaluation.occupations import read_texts

    if not file.exists():
        typer.echo(f"Fichier introuvable : {file}", err=True)
        raise typer.Exit(code=1)
    try:
        rows = read_texts(file)
    except ValueError as exc:
        typer.echo(f"Fichier illisible : {file} : {exc}", err=True)
        raise typer.Exit(code=1) from None
    if not any(r.title for r in rows):
        typer.echo(
            f"Aucune ligne avec un intitulé ou une description (colonnes « title », « description ») dans {file}.",
            err=True,
        )
        raise typer.Exit(code=1)
    return rows


@app.command("infer")
def infer(
    file: Path = typer.Argument(..., help="CSV ou JSON lines : title, description (facultative)"),
    model: Path = typer.Option(None, help="Manifeste du modèle (défaut : matcher/models/occupations.json)"),
    k: int = typer.Option(5, help="Nombre de codes par ligne"),
) -> None:
    """Write one JSON line per input record, in its order: its ``id`` if it has one, its title (where it has none, the
    words its description opens with), the top-k ROME codes with their confidence, and whether the model abstains."""
    classifier = _classifier(model)
    rows = _rows(file)
    descriptions = [r.description for r in rows]
    codes, probabilities = classifier.probabilities([r.title for r in rows], descriptions)
    described = classifier.described(descriptions, len(rows))
    for row, row_codes, row_probabilities, read in zip(rows, codes, probabilities, described, strict=True):
        said = bool(row.title.strip())  # a record with neither title nor description gets no code, not a guess
        line = {
            **({"id": row.id} if row.id is not None else {}),
            "title": row.title,
            "codes": [
                {"code": c, "confidence": round(float(p), 4)}
                for c, p in zip(row_codes[:k], row_probabilities[:k], strict=True)
            ]
            if said
            else [],
            "abstains": not said or bool(row_probabilities[0] < classifier.manifest.threshold_for(read)),
        }
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


@app.command("evaluate")
def evaluate(
    file: Path = typer.Argument(None, help="CSV ou JSON lines avec rome_code (défaut : offres livrées, par source)"),
    model: Path = typer.Option(None, help="Manifeste du modèle"),
    description: bool = typer.Option(True, help="Lire la description des lignes (sinon : l'intitulé seul)"),
) -> None:
    """Top-1, top-3 and coverage at the abstention threshold, beside the tf-idf nearest-title baseline (same run)."""
    from dataclasses import replace

    from matcher.core.settings import get_settings
    from matcher.evaluation.occupations import evaluate as run
    from matcher.evaluation.occupations import shipped_coded

    classifier = _classifier(model)
    rows = _rows(file) if file else shipped_coded(get_settings().reference_dir)
    if not description:
        rows = [replace(r, description="") for r in rows]
    report = run(classifier, rows)
    manifest = classifier.manifest
    typer.echo(
        f"Modèle {report.model}, seuils d'abstention {manifest.threshold_for(True):.3f} (intitulé et description), "
        f"{manifest.threshold_for(False):.3f} (intitulé seul) ; "
        f"{report.left_out} lignes écartées car vues à l'entraînement. "
        "Vérité : le code ROME du fichier (choisi par l'émetteur de l'offre, pas un étiquetage humain dédié)."
    )
    unknown = sorted({r.rome_code for r in rows if r.rome_code and r.rome_code not in classifier.taxonomy.occupations})
    if unknown:
        named = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        typer.echo(
            f"Attention : {sum(r.rome_code in unknown for r in rows)} lignes portent un code absent du ROME 4.0 "
            f"({named}) : comptées fausses, le modèle ne répond qu'en codes du ROME 4.0."
        )
    typer.echo(report.table())


@app.command("cross-validate")
def cross_validate(
    file: Path = typer.Argument(None, help="CSV ou JSON lines avec rome_code (défaut : offres codées livrées)"),
    folds: int = typer.Option(5, min=2, help="Plis (chacun fait de domaines professionnels entiers)"),
    description: bool = typer.Option(True, help="Lire aussi la description des offres"),
) -> None:
    """Fit the weights on all folds but one, judge that one, in turn: figures on every coded row, none of them judged
    by weights that saw an occupation of its professional domain; with descriptions, then from titles alone."""
    from matcher.core.settings import get_settings
    from matcher.evaluation.occupations import cross_validate as run
    from matcher.evaluation.occupations import shipped_coded
    from matcher.reference.classifier import TITLE_MODEL, TitleSignals
    from matcher.reference.taxonomy import Taxonomy

    settings = get_settings()
    taxonomy = Taxonomy(settings.reference_dir / "rome")
    rows = _rows(file) if file else shipped_coded(settings.reference_dir)
    if not any(r.rome_code for r in rows):
        typer.echo("Aucune ligne avec un code ROME (colonne « rome_code ») : rien à valider.", err=True)
        raise typer.Exit(code=1)
    signals = TitleSignals(taxonomy, TITLE_MODEL, settings.cache_dir)
    described, titles_only = run(
        taxonomy,
        rows,
        folds=folds,
        use_description=description,
        signals=signals,
        log=lambda line: typer.echo(line, err=True),
    )
    typer.echo(f"{described.model} ; vérité : le code ROME de chaque ligne.")
    if description:
        typer.echo(described.table())
        typer.echo("\nIntitulé seul (descriptions ôtées) :")
    typer.echo(titles_only.table())


@app.command("train")
def train(
    output: Path = typer.Option(None, help="Manifeste à écrire (défaut : matcher/models/occupations.json)"),
    description: bool = typer.Option(True, help="Lire aussi la description de l'offre"),
) -> None:
    """Fit the weights on the shipped coded offers of the benchmark's train split; report on its test split,
    with the offers' descriptions and without them."""
    from dataclasses import replace

    from matcher.core.settings import get_settings
    from matcher.evaluation.occupations import evaluate as run
    from matcher.evaluation.occupations import fit, shipped_coded
    from matcher.reference.classifier import MODEL_PATH, TITLE_MODEL, OccupationClassifier, TitleSignals, save_manifest
    from matcher.reference.taxonomy import Taxonomy

    settings = get_settings()
    reference = settings.reference_dir
    taxonomy = Taxonomy(reference / "rome")
    signals = TitleSignals(taxonomy, TITLE_MODEL, settings.cache_dir)
    manifest = fit(taxonomy, shipped_coded(reference, "train"), use_description=description, signals=signals)
    classifier = OccupationClassifier(taxonomy, manifest, signals=signals)
    test = shipped_coded(reference, "test")
    report = run(classifier, test)
    titles_only = run(classifier, [replace(r, description="") for r in test])
    manifest.metrics = {
        "evaluated_on": "shipped coded offers, benchmark test split (domains never in training)",
        **{g: {s: f.__dict__ for s, f in systems.items()} for g, systems in report.groups.items()},
        "title_only": {g: {s: f.__dict__ for s, f in systems.items()} for g, systems in titles_only.groups.items()},
    }
    save_manifest(manifest, output or MODEL_PATH)
    typer.echo(f"Modèle {manifest.version} écrit ({manifest.training['rows']} offres d'entraînement).")
    typer.echo(report.table())
    typer.echo("\nIntitulé seul (descriptions ôtées) :")
    typer.echo(titles_only.table())
