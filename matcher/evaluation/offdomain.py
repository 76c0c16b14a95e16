"""Off-domain guard: the full ranker against its own hybrid retrieval on benchmarks it was not built for.

Four folders, all text only (no structured field, so every structured feature is inferred or absent):

- ``texte seul``: the built-in benchmark's test split with every structured field dropped, graded by trade alone
  (French, labels derived from ROME codes: the profile's occupation is the offer's, or a mobility neighbour;
  where the person lives is not in the text, so it is not in the labels either);
- ``CV``: the same offers and labels, each profile written as a CV (:func:`as_cvs`): no title field, a name, an
  address, employers and dates around the job it wants, as a real CV's text reads (no public French CV corpus
  exists: the CVs are the CV parser's generated ones);
- ``ESCO (anglais)``: ``data/benchmarks/esco-en``, English job descriptions against profiles written from
  ESCO occupations (labels derived from ESCO occupations and ISCO groups; see
  ``scripts/build_esco_beir.py``);
- ``ESCO (français)``: ``data/benchmarks/esco-fr``, the same kind of choice read through ESCO's French titles
  only: an offer known by its title against profiles naming two other titles of their occupation. French,
  so the ranker infers ROME occupations on both sides, but the labels come from another taxonomy (ESCO
  occupations, ISCO groups): it shows whether the ranker trusts ROME guesses over what the titles say.

The target: full ranker NDCG@10 ≥ 0.97 × hybrid on each. None of them is seen in training (the ranker's
ESCO training rows come from other ISCO groups). The ablation refits the ranker without each new part
(confidence-weighted occupation features, retrieval features, training rows labelled by ESCO) and measures
every variant on the same sets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from matcher.core.models import CandidateIn
from matcher.evaluation.benchmark import ESCO_BENCHMARKS, Benchmark, by_trade, load_benchmark
from matcher.evaluation.cv_corpus import CorpusGenerator, cv_text
from matcher.evaluation.harness import Prepared, Report, evaluate, prepare, stacked_training_set
from matcher.ranking.features import FEATURES
from matcher.ranking.ranker import service_ranker
from matcher.ranking.scorer import LearnedScorer

if TYPE_CHECKING:
    from matcher.runtime import Runtime

ESCO_EN = ESCO_BENCHMARKS / "esco-en"
ESCO_FR = ESCO_BENCHMARKS / "esco-fr"
RETRIEVAL_FEATURES = ("retrieval", "retrieval_unsure")
# How the ranker weighed occupation guesses before they carried a confidence: by rank only.
RANK_WEIGHTS = (1.0, 0.8, 0.65, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)
GUARD = 0.97


@dataclass
class Evaluated:
    """A benchmark prepared once, and the split it is judged on."""

    name: str
    benchmark: Benchmark
    prepared: Prepared
    split: str = "test"


def as_cvs(rt: Runtime, builtin: Benchmark) -> Benchmark:
    """:func:`by_trade`'s folder with each profile written as a CV: a text without title, graded the same."""
    stripped = by_trade(builtin, rt.taxonomy)
    writer = CorpusGenerator(rt.taxonomy, rt.geography)
    corpus = {}
    for number, (doc_id, doc) in enumerate(builtin.corpus.items()):
        profile = CandidateIn.model_validate(doc["metadata"]["candidate"])
        cv = writer.written(profile, profile.desired_occupations[0], number)
        corpus[doc_id] = {"_id": doc_id, "title": "", "text": cv_text(cv)}
    return Benchmark(corpus, stripped.queries, stripped.qrels)


def offdomain_sets(rt: Runtime, builtin: Benchmark) -> list[Evaluated]:
    """The four off-domain sets, prepared."""
    stripped = by_trade(builtin, rt.taxonomy)
    cvs = as_cvs(rt, builtin)
    english, french = load_benchmark(ESCO_EN), load_benchmark(ESCO_FR)
    return [
        Evaluated("texte seul (benchmark intégré sans champs structurés, par métier)", stripped, prepare(rt, stripped)),
        Evaluated("CV (les mêmes profils écrits en CV, texte seul, par métier)", cvs, prepare(rt, cvs)),
        Evaluated("ESCO (anglais, texte seul)", english, prepare(rt, english)),
        Evaluated("ESCO (français, intitulés seuls)", french, prepare(rt, french)),
    ]


def guard_table(reports: list[tuple[str, Report]]) -> str:
    """Markdown: each set's hybrid and ranker NDCG@10, their ratio, and whether the guard holds."""
    lines = [
        "| ensemble | requêtes | BM25 | dense | hybride | classement complet | rapport | ≥ 0,97 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in reports:
        m = {s: v["ndcg@10"] for s, v in r.metrics.items()}
        ratio = m["ranker"] / m["hybrid"] if m["hybrid"] else 0.0
        lines.append(
            f"| {name} | {r.queries} | {m['bm25']:.3f} | {m['dense']:.3f} | {m['hybrid']:.3f} | {m['ranker']:.3f} | "
            f"{ratio:.3f} | {'oui' if ratio >= GUARD else 'non'} |"
        )
    return "\n".join(lines)


def rank_weighted(prepared: Prepared) -> Prepared:
    """The same views with occupation guesses weighed by rank, not confidence (the previous behaviour)."""
    offers = {
        q: replace(
            v,
            occupation_confidences=RANK_WEIGHTS[: len(v.occupations)] if v.occupation_source != "offre" else (1.0,),
            skills_confidence=1.0,
        )
        for q, v in prepared.offers.items()
    }
    candidates = {
        d: replace(v, occupation_confidences=(1.0,) * len(v.occupations)) for d, v in prepared.candidates.items()
    }
    return replace(prepared, offers=offers, candidates=candidates)


@dataclass(frozen=True)
class Variant:
    name: str
    confidence: bool = True
    retrieval: bool = True
    esco: bool = True  # training rows labelled by ESCO beside the ROME-labelled ones
    text: bool = True  # training rows of the train split read as text alone


VARIANTS = (
    Variant("modèle livré (confiance + recherche + ESCO + texte seul)"),
    Variant("sans lignes en texte seul", text=False),
    Variant("sans lignes étiquetées par ESCO", esco=False),
    Variant("sans confiance (métier pondéré par rang)", confidence=False),
    Variant("sans caractéristiques de recherche", retrieval=False),
    Variant(
        "comme avant (ni confiance, ni recherche, ni ESCO, ni texte seul)",
        confidence=False,
        retrieval=False,
        esco=False,
        text=False,
    ),
)


def _views(prepared: Prepared, variant: Variant) -> Prepared:
    return prepared if variant.confidence else rank_weighted(prepared)


def ablation(
    rt: Runtime,
    builtin: Benchmark,
    prepared: Prepared,
    esco: tuple[Benchmark, Prepared],
    text: list[tuple[Benchmark, Prepared]],
    sets: list[Evaluated],
    *,
    variants: tuple[Variant, ...] = VARIANTS,
) -> dict[str, dict[str, float]]:
    """Variant -> set name -> full-ranker NDCG@10 (refitted for each variant on the built-in train split and,
    unless the variant leaves them out, that split as text alone ``text`` and the ESCO-labelled training titles
    ``esco``)."""
    out: dict[str, dict[str, float]] = {}
    for variant in variants:
        training = [(builtin, _views(prepared, variant))]
        if variant.text:
            training += [(benchmark, _views(views, variant)) for benchmark, views in text]
        if variant.esco:
            training.append((esco[0], _views(esco[1], variant)))
        X, y, groups = stacked_training_set(rt, training)
        kept = [i for i, f in enumerate(FEATURES) if variant.retrieval or f not in RETRIEVAL_FEATURES]
        ranker = service_ranker().fit(X[:, kept], y, groups=groups)
        scorer = LearnedScorer(ranker, tuple(FEATURES[i] for i in kept), variant.name)
        out[variant.name] = {}
        for s in [Evaluated("benchmark intégré", builtin, prepared), *sets]:
            report = evaluate(rt, s.benchmark, _views(s.prepared, variant), split=s.split, scorer=scorer)
            out[variant.name][s.name] = report.metrics["ranker"]["ndcg@10"]
    return out


def ablation_table(results: dict[str, dict[str, float]] | list[list[Any]]) -> str:
    """Markdown table of :func:`ablation`'s results (or the list of pairs a model manifest keeps)."""
    results = dict(results) if isinstance(results, list) else results
    names = list(next(iter(results.values())))
    lines = ["| variante | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for variant, values in results.items():
        lines.append(f"| {variant} | " + " | ".join(f"{values[n]:.3f}" for n in names) + " |")
    return "\n".join(lines)
