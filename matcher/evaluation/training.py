"""Training the ranker: the built-in benchmark's train split (labels derived from ROME codes), the same split read
as text alone (both sides inferred, as on an external set of offers and CVs), French job titles labelled by ESCO
(another taxonomy, so that ROME's are not the only labels the ranker ever saw) and recruiters' decisions.

Domain code that both ``matcher train`` and the weekly retraining task call. The model's version is
derived from its content (fitted parameters and training-data hash), so two different models never
share a version and the audit log can always tell which one ranked a shortlist.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matcher.core.progress import Progress
from matcher.demo.samples import shipped_offers
from matcher.evaluation.benchmark import ESCO_BENCHMARKS, Benchmark, build_builtin, by_trade, load_benchmark
from matcher.evaluation.harness import METRICS, Prepared, Report, evaluate, prepare, stacked_training_set
from matcher.evaluation.offdomain import ablation, offdomain_sets
from matcher.ranking.features import FEATURES
from matcher.ranking.ranker import AdditiveRanker, RankerManifest, save_ranker, service_ranker
from matcher.ranking.scorer import LearnedScorer
from matcher.shortlists.decisions import grouped_feedback_training_set

if TYPE_CHECKING:
    from matcher.runtime import Runtime

LABELS = (
    "code-derived: same ROME occupation = 2, ROME mobility neighbour = 1 (built-in benchmark; its train split also"
    " as text alone, graded by trade wherever the person lives);"
    " French ESCO titles: same ESCO occupation = 2, same ISCO unit group = 1 (data/benchmarks/esco-fr-train)"
)
# French job titles labelled by ESCO occupations, from ISCO groups no off-domain check asks about.
ESCO_TRAINING = ESCO_BENCHMARKS / "esco-fr-train"
# A recruiter's decision weighs as much as this many code-derived labels.
FEEDBACK_WEIGHT = 10.0


def builtin_folder(rt: Runtime) -> Path:
    """The built-in benchmark's folder, written on first use."""
    folder = rt.settings.data_dir / "benchmarks" / "builtin"
    if not (folder / "corpus.jsonl").exists():
        build_builtin(rt, folder)
    return folder


def esco_training(rt: Runtime, progress: Progress | None = None) -> tuple[Benchmark, Prepared]:
    """The ESCO-labelled training folder, prepared with the runtime's embedder."""
    benchmark = load_benchmark(ESCO_TRAINING)
    return benchmark, prepare(rt, benchmark, progress=progress)


def text_training(
    rt: Runtime, benchmark: Benchmark, progress: Progress | None = None
) -> list[tuple[Benchmark, Prepared]]:
    """The benchmark's train split read as text alone (no structured field: occupations and skills inferred on both
    sides), graded by trade, prepared; none for a benchmark without the codes to grade it by (an external folder)."""
    structured = bool(benchmark.corpus) and all(
        (doc.get("metadata") or {}).get("candidate", {}).get("desired_occupations") for doc in benchmark.corpus.values()
    )
    structured = structured and all("offer" in (q.get("metadata") or {}) for q in benchmark.queries.values())
    if not structured:
        return []
    text = by_trade(benchmark, rt.taxonomy, split="train")
    return [(text, prepare(rt, text, progress=progress))]


def fit_ranker(
    rt: Runtime,
    benchmark: Benchmark,
    prepared: Prepared,
    *,
    with_feedback: bool = True,
    esco: tuple[Benchmark, Prepared] | None = None,
    text: list[tuple[Benchmark, Prepared]] | None = None,
) -> tuple[AdditiveRanker, np.ndarray, np.ndarray, int]:
    """The ranker fitted on the benchmark's train split, that split as text alone (``text``: already prepared), the
    ESCO-labelled titles (``esco``: already prepared) and recruiters' decisions (and how many there were).

    Pairwise: within each offer's list, better-graded candidates should score above worse ones. Every labelled
    pair weighs the same, whichever taxonomy labelled it. The text-alone rows teach the weights that hold where
    every occupation is a guess on both sides, as on an external set of offers and CVs: without them the built-in
    split's given codes are all it learns from.
    """
    text = text_training(rt, benchmark) if text is None else text
    X, y, groups = stacked_training_set(rt, [(benchmark, prepared), *text, esco or esco_training(rt)])
    weights = np.ones(len(y))
    decided = 0
    if with_feedback:
        X_feedback, y_feedback, offers = grouped_feedback_training_set(rt)
        decided = len(y_feedback)
        X, y = np.vstack([X, X_feedback]), np.concatenate([y, y_feedback])
        groups = np.concatenate([groups, np.asarray([f"decisions:{o}" for o in offers], dtype=object)])
        weights = np.concatenate([weights, np.full(decided, FEEDBACK_WEIGHT)])
    ranker = service_ranker().fit(X, y, sample_weight=weights, groups=groups)
    return ranker, X, y, decided


@dataclass
class Trained:
    """A model written to disk, with the test-split report it was measured on."""

    path: Path
    manifest: RankerManifest
    report: Report


def train(
    rt: Runtime,
    *,
    benchmark: Path | None = None,
    output: Path | None = None,
    with_feedback: bool = True,
    offdomain: bool = False,
    progress: Progress | None = None,
) -> Trained:
    """Fit on the train split (and decisions), measure on the test split, write the model (JSON manifest).

    ``offdomain``: also measure the off-domain guard and the ablation of each new part (slow: minutes),
    kept in the manifest's metrics.
    """
    data = load_benchmark(benchmark or builtin_folder(rt))
    prepared = prepare(rt, data, progress=progress)
    esco, text = esco_training(rt, progress), text_training(rt, data, progress)
    ranker, X, y, decided = fit_ranker(rt, data, prepared, with_feedback=with_feedback, esco=esco, text=text)
    scorer = LearnedScorer(ranker, FEATURES, "candidate")
    report = evaluate(rt, data, prepared, split="test", scorer=scorer, progress=progress)
    metrics: dict[str, Any] = {"split": "test", **report.metrics}
    if offdomain:
        sets = offdomain_sets(rt, data)
        # Kept as lists of (name, figures) pairs: the model page lists only the dict-valued metrics (systems).
        metrics["offdomain"] = [
            [s.name, evaluate(rt, s.benchmark, s.prepared, split=s.split, scorer=scorer).metrics] for s in sets
        ]
        metrics["ablation"] = [list(item) for item in ablation(rt, data, prepared, esco, text, sets).items()]
    labels = LABELS
    if decided:
        labels += (
            f" + {decided} recruiter decisions (hired 3, interview 2, interested/contacted 1, rejected 0),"
            f" weight {FEEDBACK_WEIGHT:g}"
        )
    path = output or rt.settings.ranker_path
    manifest = save_ranker(ranker, path, features=list(FEATURES), X=X, y=y, labels=labels, metrics=metrics)
    return Trained(path=path, manifest=manifest, report=report)


BUILTIN_LABELS = "dérivées des codes ROME"


def write_report(reports: list[Report], folder: Path, *, labels: str = BUILTIN_LABELS) -> None:
    """results.json, results.md and results.png in ``folder``; ``labels`` says where the grades come from."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps([{k: v for k, v in asdict(r).items() if k != "per_query"} for r in reports], indent=2),
        encoding="utf-8",
    )
    (folder / "results.md").write_text(
        f"Étiquettes : {labels}.\n\n"
        + "\n\n".join(f"### {r.split} ({r.queries} requêtes)\n\n{r.table()}" for r in reports)
        + "\n",
        encoding="utf-8",
    )
    report = reports[0]  # the chart: offers looking for profiles (shortlists)
    figure, axis = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(report.metrics)
    for offset, (system, values) in enumerate(report.metrics.items()):
        axis.bar([m + offset * width for m in range(len(METRICS))], [values[m] for m in METRICS], width, label=system)
    axis.set_xticks([m + width * (len(report.metrics) - 1) / 2 for m in range(len(METRICS))], METRICS)
    axis.set_ylim(0, 1)
    axis.set_title(f"Split {report.split} — {report.queries} offres (étiquettes : {labels})")
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "results.png", dpi=100)
    plt.close(figure)


def occupation_accuracy(rt: Runtime) -> dict[str, tuple[int, float, float]]:
    """Top-1 and top-3 accuracy of ROME inference from offer titles, per source and overall."""
    offers = [raw for raw in shipped_offers(rt.settings.reference_dir) if raw["rome_code"]]
    guesses = rt.classifier.infer_many([raw["title"] for raw in offers])
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
