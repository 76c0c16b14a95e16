"""Benchmarks in BEIR layout: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``.

The built-in benchmark takes the repository's real offers (that carry a ROME code) as queries and
ROME-derived candidate profiles as the corpus. Labels are **code-derived**: 2 when the profile was
generated from the offer's ROME occupation, 1 from one of its ROME mobility neighbours — and only
when the workplace lies in the candidate's mobility area (nobody else can be approached). Queries
are split by professional domain (the ROME code's first three characters), so that no occupation
of the test split is seen in training.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indices.geo import haversine_km
from matcher.core.models import CandidateIn, OfferIn
from matcher.demo.profiles import ProfileGenerator
from matcher.demo.samples import candidate_generator, offer_input, shipped_offers
from matcher.indexing.documents import candidate_text

if TYPE_CHECKING:
    from matcher.reference.taxonomy import Taxonomy
    from matcher.runtime import Runtime

TEST_SHARE = 3  # out of 10 domains
GRADES = {"same": 2, "neighbour": 1}  # a profile's occupation to the offer's, as ROME relates them
# BEIR folders derived from ESCO (scripts/build_esco_beir.py): off-domain checks and the ranker's second labels.
ESCO_BENCHMARKS = Path(__file__).resolve().parents[2] / "data" / "benchmarks"


@dataclass
class Benchmark:
    """A BEIR folder in memory; ``metadata`` may carry structured offers and candidates."""

    corpus: dict[str, dict[str, Any]]
    queries: dict[str, dict[str, Any]]
    qrels: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # split -> query -> doc -> grade


class MissingSplit(ValueError):
    """The benchmark has no relevance labels for the split asked for (message in French, for the CLI)."""

    def __init__(self, folder: str, split: str, available: list[str]) -> None:
        known = ", ".join(available) or "aucune"
        super().__init__(
            f"Le benchmark {folder} n'a pas d'étiquettes pour la partition « {split} » "
            f"(fichier qrels/{split}.tsv absent ou vide ; partitions disponibles : {known})."
        )


def labels_of(benchmark: Benchmark, split: str, *, folder: str = "") -> dict[str, dict[str, int]]:
    """The split's labels (query -> doc -> grade); :class:`MissingSplit` when there are none, never zeros."""
    labels = benchmark.qrels.get(split)
    if not labels:
        raise MissingSplit(folder, split, sorted(s for s, q in benchmark.qrels.items() if q))
    return labels


class UnreadableBenchmark(ValueError):
    """A BEIR folder that cannot be read: the file and line at fault (message in French, for the CLI)."""


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise UnreadableBenchmark(
            f"{path} : fichier absent (un dossier BEIR contient corpus.jsonl, queries.jsonl et qrels/<partition>.tsv)."
        )
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UnreadableBenchmark(f"{path}, ligne {number} : JSON illisible ({exc.msg}).") from None
            if not isinstance(record, dict) or record.get("_id") in (None, ""):
                raise UnreadableBenchmark(f"{path}, ligne {number} : un objet JSON avec un « _id » est attendu.")
            yield _record(record)


def _record(raw: dict[str, Any]) -> dict[str, Any]:
    """A record as matching reads it: its ``_id`` a string (BEIR files often number them), ``title`` and ``text``
    strings (a JSON null is an empty field), ``metadata`` a mapping or absent."""
    record = {**raw, "_id": str(raw["_id"]).strip()}
    for key in ("title", "text"):
        if key in record:
            record[key] = "" if record[key] is None else str(record[key])
    if not isinstance(record.get("metadata", {}), dict):
        del record["metadata"]
    return record


def _grade(score: str) -> int | None:
    """A label's grade ("2", "1.0"); None for what is not a number (a header's "score")."""
    try:
        return int(float(score))
    except ValueError:
        return None


def load_benchmark(folder: Path) -> Benchmark:
    """Read a BEIR folder: ``qrels/*.tsv`` rows are query-id, corpus-id, score (a header row is recognised as such),
    or TREC's query-id, iteration, corpus-id, score."""
    corpus = {str(d["_id"]): d for d in _read_jsonl(folder / "corpus.jsonl")}
    queries = {str(q["_id"]): q for q in _read_jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, dict[str, int]]] = {}
    for path in sorted((folder / "qrels").glob("*.tsv")):
        split: dict[str, dict[str, int]] = {}
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t"):
                if len(row) not in (3, 4) or (grade := _grade(row[-1])) is None:
                    continue  # a header, a blank line
                query_id, doc_id = row[0].strip(), row[-2].strip()
                split.setdefault(query_id, {})[doc_id] = grade
        qrels[path.stem] = split
    return Benchmark(corpus, queries, qrels)


def text_only(benchmark: Benchmark) -> Benchmark:
    """The same benchmark with every structured field dropped: titles and texts only, labels kept."""
    strip = ("_id", "title", "text")
    return Benchmark(
        corpus={i: {k: d[k] for k in strip if k in d} for i, d in benchmark.corpus.items()},
        queries={i: {k: q[k] for k in strip if k in q} for i, q in benchmark.queries.items()},
        qrels=benchmark.qrels,
    )


def by_trade(benchmark: Benchmark, taxonomy: Taxonomy, *, split: str = "test") -> Benchmark:
    """:func:`text_only`, graded by trade alone: 2 for a profile of the offer's occupation, 1 of a mobility neighbour,
    wherever the person lives.

    The built-in labels also ask that the workplace lie in the person's mobility area, which a text does not say:
    judged by them, a text-only system is scored on a place it cannot see. ``split``: the queries graded.
    """
    codes = {doc_id: doc["metadata"]["candidate"]["desired_occupations"][0] for doc_id, doc in benchmark.corpus.items()}
    qrels: dict[str, dict[str, int]] = {}
    for query_id, query in benchmark.queries.items():
        if query["metadata"]["split"] != split:
            continue
        code = query["metadata"]["offer"]["rome_code"]
        grades = {doc_id: GRADES.get(taxonomy.relation(code, other), 0) for doc_id, other in codes.items()}
        qrels[query_id] = {doc_id: grade for doc_id, grade in grades.items() if grade}
    stripped = text_only(benchmark)
    return Benchmark(stripped.corpus, stripped.queries, {split: {q: g for q, g in qrels.items() if g}})


def domain_split(rome_code: str) -> str:
    """'train' or 'test', by the occupation's professional domain (stable across runs and machines)."""
    digest = hashlib.sha256(rome_code[:3].encode()).digest()
    return "test" if digest[0] % 10 < TEST_SHARE else "train"


def domain_fold(rome_code: str, folds: int) -> int:
    """Which of ``folds`` folds the occupation's professional domain falls in (stable, like :func:`domain_split`):
    cross-validation by domain, so that a row is judged by a model that never saw an occupation of its domain."""
    return hashlib.sha256(rome_code[:3].encode()).digest()[1] % folds


def build_builtin(rt: Runtime, folder: Path, *, candidates: int = 3_000) -> Path:
    """Write the built-in benchmark to ``folder`` (deterministic: same repo, same files)."""
    generator: ProfileGenerator = candidate_generator(rt)
    generator.seed += 1  # not the demo's candidates
    profiles = [
        (f"c{number:06d}", profile, rome) for number, (profile, rome) in enumerate(generator.profiles(candidates))
    ]
    offers = [raw for raw in shipped_offers(rt.settings.reference_dir) if raw["rome_code"]]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qrels").mkdir(exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for doc_id, profile, rome in profiles:
            out.write(
                json.dumps(
                    {
                        "_id": doc_id,
                        "title": profile.title,
                        "text": candidate_text(profile, rt.taxonomy),
                        "metadata": {"candidate": profile.model_dump(mode="json"), "rome": rome},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as out:
        for raw in offers:
            offer = offer_input(raw)
            out.write(
                json.dumps(
                    {
                        "_id": raw["id"],
                        "title": offer.title,
                        "text": offer.description,
                        "metadata": {"offer": offer.model_dump(mode="json"), "split": domain_split(raw["rome_code"])},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    places = {doc_id: [rt.geography.communes[c] for c in p.mobility.communes] for doc_id, p, _ in profiles}
    for split in ("train", "test"):
        with (folder / "qrels" / f"{split}.tsv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            writer.writerow(["query-id", "corpus-id", "score"])
            for raw in offers:
                if domain_split(raw["rome_code"]) != split:
                    continue
                workplace = rt.geography.communes[raw["commune_insee"]]
                for doc_id, profile, rome in profiles:
                    relation = rt.taxonomy.relation(raw["rome_code"], rome)
                    grade = GRADES.get(relation, 0)
                    if not grade:
                        continue
                    near = haversine_km(
                        workplace.lat, workplace.lon, [p.lat for p in places[doc_id]], [p.lon for p in places[doc_id]]
                    )
                    if near.min() <= profile.mobility.radius_km:
                        writer.writerow([raw["id"], doc_id, grade])
    return folder


def structured_offer(query: dict[str, Any]) -> OfferIn | None:
    offer = query.get("metadata", {}).get("offer")
    return OfferIn.model_validate(offer) if offer else None


def structured_candidate(doc: dict[str, Any]) -> CandidateIn | None:
    candidate = doc.get("metadata", {}).get("candidate")
    return CandidateIn.model_validate(candidate) if candidate else None
