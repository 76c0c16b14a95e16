"""``matcher benchmark build``, ``matcher train``, ``matcher evaluate``: the ranking model's life cycle.

Thin commands over :mod:`matcher.evaluation`: each opens the runtime, calls one function, prints.
"""

from __future__ import annotations

from pathlib import Path

import typer

from matcher.cli import occupations
from matcher.cli.common import open_runtime

_LABELS = "dérivées des codes ROME (2 : même métier que l'offre, 1 : métier de mobilité), pas des décisions humaines"
_TRAINING_LABELS = (
    f"{_LABELS} ; la partie d'entraînement aussi en texte seul, par métier (où que vive la personne) ; et des "
    "intitulés français étiquetés par ESCO (2 : même métier ESCO, 1 : même groupe CITP)"
)


def train(
    benchmark: Path = typer.Option(None, help="Dossier BEIR (défaut : benchmark intégré)"),
    output: Path = typer.Option(None, help="Fichier du modèle (défaut : réglage MATCHER_RANKER_MODEL)"),
    feedback: bool = typer.Option(True, help="Apprendre aussi des décisions des recruteurs"),
    offdomain: bool = typer.Option(
        False, help="Mesurer aussi les ensembles hors domaine et l'ablation (plusieurs minutes), gardés dans le modèle"
    ),
) -> None:
    """Train the ranker on the benchmark's train split and recruiters' decisions; report it on the test split."""
    from matcher.core.progress import ProgressPrinter
    from matcher.evaluation import training

    with open_runtime() as rt:
        trained = training.train(
            rt,
            benchmark=benchmark,
            output=output,
            with_feedback=feedback,
            offdomain=offdomain,
            progress=ProgressPrinter(),
        )
        typer.echo(
            f"{trained.manifest.training_rows} paires d'entraînement, modèle {trained.manifest.version} "
            f"écrit : {trained.path}"
        )
        typer.echo(f"Étiquettes : {_TRAINING_LABELS}.")
        typer.echo(trained.report.table())
        metrics = trained.manifest.metrics
        if "offdomain" in metrics:
            from matcher.evaluation.offdomain import ablation_table

            for name, values in metrics["offdomain"]:
                ratio = values["ranker"]["ndcg@10"] / values["hybrid"]["ndcg@10"]
                typer.echo(
                    f"{name} : hybride {values['hybrid']['ndcg@10']:.3f}, classement complet "
                    f"{values['ranker']['ndcg@10']:.3f} (rapport {ratio:.3f})"
                )
            typer.echo(ablation_table(metrics["ablation"]))


def evaluate_command(
    benchmark: Path = typer.Option(None, help="Dossier BEIR (défaut : benchmark intégré)"),
    split: str = typer.Option("test", help="Partition des qrels à évaluer"),
    output: Path = typer.Option(None, help="Dossier des résultats (défaut : <data_dir>/evaluation)"),
) -> None:
    """NDCG@10, Recall@50 and MRR@10 of BM25, dense, hybrid and the full ranker, side by side: offers looking for
    profiles (shortlists), then profiles looking for offers (seekers' matches)."""
    from matcher.core.progress import ProgressPrinter
    from matcher.evaluation.benchmark import MissingSplit, UnreadableBenchmark, labels_of, load_benchmark
    from matcher.evaluation.harness import evaluate, evaluate_matches, prepare
    from matcher.evaluation.noise import disagreeing_queries, metrics_without
    from matcher.evaluation.training import BUILTIN_LABELS, builtin_folder, write_report

    with open_runtime() as rt:
        folder = benchmark or builtin_folder(rt)
        try:
            data = load_benchmark(folder)
            labels_of(data, split, folder=str(folder))
        except (MissingSplit, UnreadableBenchmark) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=1) from exc
        prepared = prepare(rt, data, progress=ProgressPrinter())
        report = evaluate(rt, data, prepared, split=split, scorer=rt.scorer, progress=ProgressPrinter())
        matches = evaluate_matches(rt, data, prepared, split=split, scorer=rt.scorer, progress=ProgressPrinter())
        out = output or rt.settings.data_dir / "evaluation"
        # An external folder's grades are its own (human judgments, another taxonomy): never call them ROME-derived.
        if benchmark is None:
            labels, short = _LABELS, BUILTIN_LABELS
        else:
            labels = short = f"celles du dossier {folder.name} (qrels/{split}.tsv)"
        write_report([report, matches], out, labels=short)
        typer.echo(f"Modèle : {rt.scorer.version}. Résultats : {out}/results.json, results.md, results.png")
        typer.echo(f"Étiquettes : {labels}. {report.queries} requêtes.")
        absent = sum(doc not in data.corpus for grades in data.qrels[split].values() for doc in grades)
        if absent:
            typer.echo(
                f"Attention : étiquettes nommant un document absent du corpus : {absent} (comptées non trouvées)."
            )
        typer.echo(report.table())
        best_baseline = max(report.metrics["bm25"]["ndcg@10"], report.metrics["dense"]["ndcg@10"])
        if best_baseline > 0:
            gain = report.metrics["ranker"]["ndcg@10"] / best_baseline - 1
            typer.echo(f"Classement complet : NDCG@10 {100 * gain:+.1f} % par rapport au meilleur de BM25 / dense.")
        noisy = disagreeing_queries(rt, data)
        excluded = set(noisy) & set(report.per_query.get("bm25", {}))
        if excluded:
            kept, metrics = metrics_without(report, excluded)
            typer.echo(
                f"\nSans les {len(excluded)} offres dont le code ROME et l'intitulé divergent (code hors des 10 "
                f"meilleurs choix du classifieur de métiers ET aucun mot commun avec le libellé ou les appellations "
                f"du code) : {kept} requêtes."
            )
            typer.echo("| système | NDCG@10 | Recall@50 | MRR@10 |\n|---|---|---|---|")
            for system, values in metrics.items():
                typer.echo(
                    f"| {system} | {values['ndcg@10']:.4f} | {values['recall@50']:.4f} | {values['mrr@10']:.4f} |"
                )
        typer.echo(
            f"\nDans l'autre sens, les offres proposées aux candidats : chaque profil étiqueté cherche parmi les "
            f"{report.queries} offres, dans sa zone de mobilité quand il en a une, comme ses correspondances "
            f"({matches.queries} profils)."
        )
        typer.echo(matches.table())


def occupations_command() -> None:
    """Occupation inference on the shipped offers that carry a ROME code (the code is not read)."""
    from matcher.evaluation.training import occupation_accuracy

    with open_runtime() as rt:
        for source, (count, top1, top3) in occupation_accuracy(rt).items():
            typer.echo(f"{source:<22} {count:>4} offres   top-1 {top1:.3f}   top-3 {top3:.3f}")


def build_command(output: Path = typer.Argument(..., help="Dossier à écrire")) -> None:
    """Write the built-in benchmark (real offers, ROME-derived candidates, code-derived labels)."""
    from matcher.evaluation.benchmark import build_builtin

    with open_runtime() as rt:
        build_builtin(rt, output)
        typer.echo(f"Benchmark écrit dans {output}")


def prose_command(output: Path = typer.Argument(..., help="Dossier à écrire")) -> None:
    """Write the check by another generator: the test split's real offers against prose profiles (code-derived
    labels); measure it with ``matcher evaluate --benchmark``."""
    from matcher.core.settings import get_settings
    from matcher.demo.samples import shipped_offers
    from matcher.evaluation.prose import prose_benchmark, write_benchmark
    from matcher.reference.taxonomy import Taxonomy

    reference = get_settings().reference_dir
    benchmark = prose_benchmark(Taxonomy(reference / "rome"), list(shipped_offers(reference)))
    write_benchmark(benchmark, output)
    typer.echo(
        f"Benchmark écrit dans {output} : {len(benchmark.queries)} offres, {len(benchmark.corpus)} profils "
        f"(étiquettes dérivées des codes ROME). Mesure : matcher evaluate --benchmark {output}"
    )


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command("evaluate")(evaluate_command)
    app.command("evaluate-occupations")(occupations_command)
    benchmark_app = typer.Typer(help="Benchmarks au format BEIR.", no_args_is_help=True)
    benchmark_app.command("build")(build_command)
    benchmark_app.command("prose")(prose_command)
    app.add_typer(benchmark_app, name="benchmark")
    app.add_typer(occupations.app, name="occupations")
