"""``matcher benchmark build``, ``matcher train`` and ``matcher evaluate``: the ranking model's life cycle."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import typer

from matcher.benchmark import Benchmark, build_builtin, load_benchmark
from matcher.features import FEATURES
from matcher.feedback import feedback_training_set
from matcher.harness import Prepared, Report, evaluate, prepare, training_set
from matcher.progress import ProgressPrinter
from matcher.ranker import AdditiveRanker, save_ranker
from matcher.runtime import Runtime
from matcher.samples import shipped_offers
from matcher.scoring import LearnedScorer, Scorer
from matcher.settings import get_settings

LABELS = "code-derived: same ROME occupation = 2, ROME mobility neighbour = 1 (built-in benchmark)"


def builtin_folder(rt: Runtime) -> Path:
    folder = rt.settings.data_dir / "benchmarks" / "builtin"
    if not (folder / "corpus.jsonl").exists():
        build_builtin(rt, folder)
    return folder


# A recruiter's decision weighs as much as this many code-derived labels.
FEEDBACK_WEIGHT = 10.0


def fit_ranker(
    rt: Runtime, benchmark: Benchmark, prepared: Prepared, *, with_feedback: bool = True
) -> tuple[AdditiveRanker, np.ndarray, np.ndarray, int]:
    """The ranker fitted on the benchmark's train split (code-derived labels) plus recruiters' decisions."""
    X, y = training_set(rt, benchmark, prepared)
    weights = np.ones(len(y))
    decided = 0
    if with_feedback:
        X_feedback, y_feedback = feedback_training_set(rt)
        decided = len(y_feedback)
        X, y = np.vstack([X, X_feedback]), np.concatenate([y, y_feedback])
        weights = np.concatenate([weights, np.full(decided, FEEDBACK_WEIGHT)])
    return AdditiveRanker(n_segments=4, alpha=1.0).fit(X, y, sample_weight=weights), X, y, decided


def write_report(reports: list[Report], folder: Path) -> None:
    """results.json, results.md and results.png in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps([{k: v for k, v in asdict(r).items() if k != "per_query"} for r in reports], indent=2),
        encoding="utf-8",
    )
    (folder / "results.md").write_text(
        "\n\n".join(f"### {r.split} ({r.queries} requêtes)\n\n{r.table()}" for r in reports) + "\n", encoding="utf-8"
    )
    report = reports[-1]
    metrics = ("ndcg@10", "recall@50", "mrr@10")
    figure, axis = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(report.metrics)
    for offset, (system, values) in enumerate(report.metrics.items()):
        axis.bar([m + offset * width for m in range(len(metrics))], [values[m] for m in metrics], width, label=system)
    axis.set_xticks([m + width * (len(report.metrics) - 1) / 2 for m in range(len(metrics))], metrics)
    axis.set_ylim(0, 1)
    axis.set_title(f"Split {report.split} — {report.queries} offres (étiquettes dérivées des codes ROME)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "results.png", dpi=100)
    plt.close(figure)


def train(
    benchmark: Path = typer.Option(None, help="Dossier BEIR (défaut : benchmark intégré)"),
    output: Path = typer.Option(None, help="Fichier du modèle (défaut : réglage MATCHER_RANKER_MODEL)"),
    feedback: bool = typer.Option(True, help="Apprendre aussi des décisions des recruteurs"),
) -> None:
    """Train the ranker on the benchmark's train split and recruiters' decisions; report it on the test split."""
    rt = Runtime.open(get_settings())
    try:
        data = load_benchmark(benchmark or builtin_folder(rt))
        prepared = prepare(rt, data, progress=ProgressPrinter())
        ranker, X, y, decided = fit_ranker(rt, data, prepared, with_feedback=feedback)
        scorer = LearnedScorer(ranker, FEATURES, "additive-v1")
        report = evaluate(rt, data, prepared, split="test", scorer=scorer, progress=ProgressPrinter())
        manifest = save_ranker(
            ranker,
            output or rt.settings.ranker_path,
            version="additive-v1",
            features=list(FEATURES),
            X=X,
            y=y,
            labels=LABELS
            + (
                f" + {decided} recruiter decisions (hired 3, interview 2, interested/contacted 1, "
                f"rejected 0), weight {FEEDBACK_WEIGHT:g}"
                if decided
                else ""
            ),
            metrics={"split": "test", **report.metrics},
        )
        typer.echo(
            f"{manifest.training_rows} paires d'entraînement, modèle écrit : {output or rt.settings.ranker_path}"
        )
        typer.echo(report.table())
    finally:
        rt.close()


def evaluate_command(
    benchmark: Path = typer.Option(None, help="Dossier BEIR (défaut : benchmark intégré)"),
    split: str = typer.Option("test", help="Partition des qrels à évaluer"),
    output: Path = typer.Option(None, help="Dossier des résultats (défaut : <data_dir>/evaluation)"),
) -> None:
    """NDCG@10, Recall@50 and MRR@10 of BM25, dense, hybrid and the full ranker, side by side."""
    rt = Runtime.open(get_settings())
    try:
        data = load_benchmark(benchmark or builtin_folder(rt))
        prepared = prepare(rt, data, progress=ProgressPrinter())
        scorer: Scorer = rt.scorer
        report = evaluate(rt, data, prepared, split=split, scorer=scorer, progress=ProgressPrinter())
        folder = output or rt.settings.data_dir / "evaluation"
        write_report([report], folder)
        typer.echo(f"Modèle : {scorer.version}. Résultats : {folder}/results.json, results.md, results.png")
        typer.echo(report.table())
        best_baseline = max(report.metrics["bm25"]["ndcg@10"], report.metrics["dense"]["ndcg@10"])
        if best_baseline > 0:
            gain = report.metrics["ranker"]["ndcg@10"] / best_baseline - 1
            typer.echo(f"Classement complet : NDCG@10 {100 * gain:+.1f} % par rapport au meilleur de BM25 / dense.")
    finally:
        rt.close()


def occupations_command() -> None:
    """Occupation inference on the shipped offers that carry a ROME code (the code is not read)."""
    rt = Runtime.open(get_settings())
    try:
        accuracy = occupation_accuracy(rt)
        for source, (count, top1, top3) in accuracy.items():
            typer.echo(f"{source:<22} {count:>4} offres   top-1 {top1:.3f}   top-3 {top3:.3f}")
    finally:
        rt.close()


def occupation_accuracy(rt: Runtime) -> dict[str, tuple[int, float, float]]:
    """Top-1 and top-3 accuracy of ROME inference from offer titles, per source and overall."""
    offers = [raw for raw in shipped_offers(rt.settings.reference_dir) if raw["rome_code"]]
    guesses = rt.inferer.infer_many([raw["title"] for raw in offers])
    groups: dict[str, list[tuple[bool, bool]]] = {}
    for raw, found in zip(offers, guesses, strict=True):
        codes = [g.code for g in found]
        hit = (codes[:1] == [raw["rome_code"]], raw["rome_code"] in codes[:3])
        for group in (raw["source"], "toutes"):
            groups.setdefault(group, []).append(hit)
    return {
        group: (len(hits), float(np.mean([h[0] for h in hits])), float(np.mean([h[1] for h in hits])))
        for group, hits in groups.items()
    }


def build_command(output: Path = typer.Argument(..., help="Dossier à écrire")) -> None:
    """Write the built-in benchmark (real offers, ROME-derived candidates, code-derived labels)."""
    rt = Runtime.open(get_settings())
    try:
        build_builtin(rt, output)
        typer.echo(f"Benchmark écrit dans {output}")
    finally:
        rt.close()


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command("evaluate")(evaluate_command)
    app.command("evaluate-occupations")(occupations_command)
    benchmark_app = typer.Typer(help="Benchmarks au format BEIR.", no_args_is_help=True)
    benchmark_app.command("build")(build_command)
    app.add_typer(benchmark_app, name="benchmark")
