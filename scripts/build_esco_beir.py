"""Write a small English, text-only BEIR folder from ESCO occupation profiles (off-domain check of the ranker).

Queries are ESCO occupations read as job offers (preferred name + ESCO description); the corpus is
profiles written from other occupations' alternative names and a sample of their essential and
optional skills. Labels are taxonomy-derived: 2 = the profile was written from the query's
occupation, 1 = from another occupation of the same ISCO unit group. No ROME, no French, no
structured field: only text. Deterministic (sha256-based choices).

    uvx --with pyarrow python scripts/build_esco_beir.py /work/shared/data/esco/esco_occupation_profiles.parquet \
        notebooks/data/esco-en

ESCO (European Commission), CC BY 4.0.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq  # only for this script: run it with `uvx --with pyarrow`

QUERIES = 120
PROFILES_PER_OCCUPATION = 2


def key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def names(value: str | list[str] | None) -> list[str]:
    """A list column, stored either as a list or as its Python text."""
    if not value or value == "None":
        return []
    items = ast.literal_eval(value) if isinstance(value, str) else value
    return [str(v).strip() for v in items if str(v).strip()]


def main(source: Path, folder: Path) -> None:
    rows = pq.read_table(source).to_pylist()
    rows = [r for r in rows if r["occupation_description"] and names(r["essential_skills"])]
    rows.sort(key=lambda r: key(r["occupation_uri"]))
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["isco_code"], []).append(r)
    # Queries come from unit groups with at least two occupations, so that grade-1 profiles exist.
    queries = [r for r in rows if len(groups[r["isco_code"]]) >= 2][:QUERIES]
    chosen = {r["occupation_uri"]: r for r in queries}
    for r in queries:
        for other in groups[r["isco_code"]][:3]:
            chosen.setdefault(other["occupation_uri"], other)
    for r in rows[: len(chosen)]:  # unrelated distractors
        chosen.setdefault(r["occupation_uri"], r)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qrels").mkdir(exist_ok=True)
    corpus = []
    for r in sorted(chosen.values(), key=lambda r: key(r["occupation_uri"])):
        titles = names(r["alternative_names"]) or [r["occupation_name"].strip()]
        skills = names(r["essential_skills"]) + names(r["optional_skills"])[:10]
        for n in range(PROFILES_PER_OCCUPATION):
            title = sorted(titles, key=lambda t: key(r["occupation_uri"], n, t))[0]
            picked = sorted(skills, key=lambda s: key(r["occupation_uri"], n, s))[:8]
            years = int(key(r["occupation_uri"], n, "years")[:2], 16) % 15 + 1
            text = f"{years} years of experience as {title}. Skills: {', '.join(picked)}."
            corpus.append({"_id": f"p{len(corpus):05d}", "title": title, "text": text, "uri": r["occupation_uri"]})
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for doc in corpus:
            out.write(json.dumps({k: doc[k] for k in ("_id", "title", "text")}, ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as out:
        for n, r in enumerate(queries):
            out.write(
                json.dumps(
                    {"_id": f"q{n:04d}", "title": r["occupation_name"].strip(), "text": r["occupation_description"]},
                    ensure_ascii=False,
                )
                + "\n"
            )
    group_of = {r["occupation_uri"]: r["isco_code"] for r in chosen.values()}
    with (folder / "qrels" / "test.tsv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(["query-id", "corpus-id", "score"])
        for n, r in enumerate(queries):
            for doc in corpus:
                if doc["uri"] == r["occupation_uri"]:
                    writer.writerow([f"q{n:04d}", doc["_id"], 2])
                elif group_of[doc["uri"]] == r["isco_code"]:
                    writer.writerow([f"q{n:04d}", doc["_id"], 1])
    print(f"{len(queries)} queries, {len(corpus)} profiles -> {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
