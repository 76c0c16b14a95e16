"""A check by another generator: real offers against profiles written in a style the built-in benchmark never uses.

The built-in benchmark's profiles come from the same generator as the demo's (title, occupation label, skills, past
jobs, one per line of thought). A ranker tuned on them could learn that style rather than the trade. This folder
keeps the test split's real coded offers as queries (title and description, no structured field) and writes each
profile as a short first-person paragraph from a ROME occupation: a title of the occupation, sometimes only inside
the text, years of experience, a few of its skills in lower case, sometimes the first sentence of its definition and
a remark a CV would add. Labels are **code-derived**, as the built-in ones: 2 for a profile written from the offer's
occupation, 1 from a ROME mobility neighbour. No person is real; no profile names a place.

``matcher benchmark prose FOLDER`` writes it; ``matcher evaluate --benchmark FOLDER`` measures it. Deterministic.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcher.evaluation.benchmark import GRADES, Benchmark, domain_split
from matcher.reference.taxonomy import Taxonomy, gendered_forms

PER_OFFER_CODE = 4  # profiles per occupation an offer asks for
PER_NEIGHBOUR = 2  # per ROME mobility neighbour of such an occupation (the 4 closest)
DISTRACTORS = 400  # other occupations, 2 profiles each: most of the corpus is no answer to any offer
REMARKS = ("Permis B.", "Disponible immédiatement.", "Mobile sur la région.", "")


def _lower_first(label: str) -> str:
    """'Réaliser des travaux' -> 'réaliser des travaux'; an acronym ('CAP agricole') is left as it is."""
    return label[0].lower() + label[1:] if len(label) > 1 and not label[1].isupper() else label


def _profile(taxonomy: Taxonomy, code: str, rng: random.Random) -> dict[str, Any]:
    occupation = taxonomy.occupations[code]
    titles = [t.label for t in taxonomy.titles_of(code)] or [occupation.label]
    skills = [taxonomy.skill_label(s) for s in taxonomy.skills_of(code) if not taxonomy.skills[s].is_context]
    rng.shuffle(skills)
    title = rng.choice(gendered_forms(rng.choice(titles)))
    years = rng.randint(1, 20)
    parts = [
        f"Fort de {years} ans d'expérience comme {title.lower()}, je recherche un nouveau poste."
        if rng.random() < 0.5
        else f"{title} depuis {years} ans."
    ]
    if skills:
        parts.append("Mes compétences : " + ", ".join(_lower_first(s) for s in skills[: rng.randint(3, 7)]) + ".")
    if occupation.definition and rng.random() < 0.4:
        parts.append(occupation.definition.split(".")[0].strip() + ".")
    parts.append(rng.choice(REMARKS))
    profile: dict[str, Any] = {"text": " ".join(p for p in parts if p)}
    if rng.random() < 0.6:  # the others carry their title in their text only
        profile["title"] = rng.choice(gendered_forms(rng.choice(titles)))
    return profile


def prose_benchmark(taxonomy: Taxonomy, offers: Sequence[dict[str, Any]], *, seed: int = 7) -> Benchmark:
    """Offers (shipped records with ``rome_code``) of the test split against prose profiles; labels in ``test``."""
    rng = random.Random(seed)
    queries = [
        o for o in offers if o.get("rome_code") in taxonomy.occupations and domain_split(o["rome_code"]) == "test"
    ]
    asked = sorted({o["rome_code"] for o in queries})
    neighbours = sorted({n for c in asked for n in taxonomy.neighbours(c)[:4]} - set(asked))
    others = sorted(set(taxonomy.occupations) - set(asked) - set(neighbours))
    rng.shuffle(others)
    plan = [(c, PER_OFFER_CODE) for c in asked] + [(c, PER_NEIGHBOUR) for c in [*neighbours, *others[:DISTRACTORS]]]
    corpus: dict[str, dict[str, Any]] = {}
    codes: dict[str, str] = {}
    for code, count in plan:
        for _ in range(count):
            doc_id = f"p{len(corpus):05d}"
            corpus[doc_id] = {"_id": doc_id, **_profile(taxonomy, code, rng)}
            codes[doc_id] = code
    qrels: dict[str, dict[str, int]] = {}
    for offer in queries:
        grades = {d: GRADES.get(taxonomy.relation(offer["rome_code"], c), 0) for d, c in codes.items()}
        qrels[offer["id"]] = {d: g for d, g in grades.items() if g}
    return Benchmark(
        corpus=corpus,
        queries={o["id"]: {"_id": o["id"], "title": o["title"], "text": o["description"]} for o in queries},
        qrels={"test": {q: g for q, g in qrels.items() if g}},
    )


def write_benchmark(benchmark: Benchmark, folder: Path) -> Path:
    """``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` in ``folder``."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    for name, records in (("corpus", benchmark.corpus), ("queries", benchmark.queries)):
        lines = (json.dumps(record, ensure_ascii=False) for record in records.values())
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for split, labels in benchmark.qrels.items():
        rows = [f"{q}\t{d}\t{g}" for q, grades in labels.items() for d, g in grades.items()]
        (folder / "qrels" / f"{split}.tsv").write_text("query-id\tcorpus-id\tscore\n" + "\n".join(rows) + "\n")
    return folder
