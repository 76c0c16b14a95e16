"""Write small text-only BEIR folders from ESCO occupations (off-domain checks of the ranker).

English (default): queries are ESCO occupations read as job offers (preferred name + ESCO description);
the corpus is profiles written from other occupations' alternative names and a sample of their essential
and optional skills.

French (``--french occupations_fr.csv``): the same choice of occupations, read through ESCO's French
labels only: a query is an occupation's preferred French title (an offer known by its title), a profile
names two of its alternative French titles ("12 ans d'expérience comme …, auparavant …"), never the
query's own title. ESCO's French file has no descriptions and no skill links, hence titles only: it
measures what the ranker makes of French job titles named by another taxonomy than ROME.

French training folder (``--training``): the same, from ISCO unit groups that neither evaluation folder
asks about, with its labels as ``qrels/train.tsv``. The ranker learns from it beside the built-in
benchmark, so that ROME codes are not the only labels it ever saw.

Labels are taxonomy-derived in both: 2 = the profile was written from the query's occupation, 1 = from
another occupation of the same ISCO unit group. No ROME, no structured field: only text. Deterministic
(sha256-based choices).

    uvx --with pyarrow python scripts/build_esco_beir.py /work/shared/data/esco/esco_occupation_profiles.parquet \
        data/benchmarks/esco-en
    uvx --with pyarrow python scripts/build_esco_beir.py /work/shared/data/esco/esco_occupation_profiles.parquet \
        data/benchmarks/esco-fr --french /work/shared/data/esco/occupations_fr.csv
    uvx --with pyarrow python scripts/build_esco_beir.py /work/shared/data/esco/esco_occupation_profiles.parquet \
        data/benchmarks/esco-fr-train --french /work/shared/data/esco/occupations_fr.csv --training

ESCO (European Commission), CC BY 4.0.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq  # only for this script: run it with `uvx --with pyarrow`

QUERIES = 120
PROFILES_PER_OCCUPATION = 2
# Feminine endings of French job titles and their masculine: two forms of one title are one title.
_FEMININE = (("trice", "teur"), ("euse", "eur"), ("ienne", "ien"), ("ere", "er"), ("ive", "if"), ("e", ""))


def key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def names(value: str | list[str] | None) -> list[str]:
    """A list column, stored either as a list or as its Python text."""
    if not value or value == "None":
        return []
    items = ast.literal_eval(value) if isinstance(value, str) else value
    return [str(v).strip() for v in items if str(v).strip()]


def choose(rows: list[dict]) -> tuple[list[dict], dict[str, dict]]:
    """The query occupations, and every occupation the corpus is written from (queries, their ISCO
    neighbours, unrelated distractors)."""
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
    return queries, chosen


Folder = tuple[list[dict], list[dict], list[dict], dict[str, dict]]  # query occupations, queries, corpus, chosen


def english(rows: list[dict]) -> Folder:
    rows = [r for r in rows if r["occupation_description"] and names(r["essential_skills"])]
    queries, chosen = choose(rows)
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
    asked = [{"title": r["occupation_name"].strip(), "text": r["occupation_description"]} for r in queries]
    return queries, asked, corpus, chosen


def title_key(title: str) -> str:
    """Accents, case, punctuation and gender aside: 'Technicienne d’engins' and 'technicien d'engins' are one."""
    folded = unicodedata.normalize("NFKD", title.lower()).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", folded)
    out = []
    for word in words:
        for feminine, masculine in _FEMININE:
            if len(word) > len(feminine) + 3 and word.endswith(feminine):
                word = word[: -len(feminine)] + masculine
                break
        out.append(word)
    return " ".join(out)


def french_titles(path: Path) -> dict[str, tuple[str, list[str]]]:
    """ESCO URI -> (preferred French title, its other French titles), one form per title (the first written)."""
    out: dict[str, tuple[str, list[str]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            preferred = row["preferredLabel"].split("/")[0].strip()
            seen = {title_key(preferred)}
            others = []
            for label in row["altLabels"].split("|"):
                title = label.split("/")[0].strip()
                if title and title_key(title) not in seen:
                    seen.add(title_key(title))
                    others.append(title)
            out[row["conceptUri"]] = (preferred, others)
    return out


def french(rows: list[dict], labels: Path, *, training: bool = False) -> Folder:
    titles = french_titles(labels)
    # Two other titles each: a profile never repeats its occupation's preferred title (the query's words).
    named = [r for r in rows if len(titles.get(r["occupation_uri"], ("", []))[1]) >= 2]
    if training:  # only ISCO groups that neither evaluation folder asks about
        asked = {r["isco_code"] for r in choose(list(named))[0]} | {r["isco_code"] for r in english(list(rows))[0]}
        named = [r for r in named if r["isco_code"] not in asked]
    queries, chosen = choose(named)
    corpus = []
    for r in sorted(chosen.values(), key=lambda r: key(r["occupation_uri"])):
        others = titles[r["occupation_uri"]][1]
        for n in range(PROFILES_PER_OCCUPATION):
            current, before = sorted(others, key=lambda t: key(r["occupation_uri"], n, t))[:2]
            years = int(key(r["occupation_uri"], n, "years")[:2], 16) % 15 + 1
            text = f"{years} ans d'expérience comme {current}. Auparavant : {before}."
            corpus.append({"_id": f"p{len(corpus):05d}", "title": current, "text": text, "uri": r["occupation_uri"]})
    asked = [{"title": titles[r["occupation_uri"]][0], "text": ""} for r in queries]
    return queries, asked, corpus, chosen


def write(folder: Path, written: Folder, split: str = "test") -> None:
    queries, asked, corpus, chosen = written
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qrels").mkdir(exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for doc in corpus:
            out.write(json.dumps({k: doc[k] for k in ("_id", "title", "text")}, ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as out:
        for n, query in enumerate(asked):
            out.write(json.dumps({"_id": f"q{n:04d}", **query}, ensure_ascii=False) + "\n")
    group_of = {r["occupation_uri"]: r["isco_code"] for r in chosen.values()}
    with (folder / "qrels" / f"{split}.tsv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(["query-id", "corpus-id", "score"])
        for n, r in enumerate(queries):
            for doc in corpus:
                if doc["uri"] == r["occupation_uri"]:
                    writer.writerow([f"q{n:04d}", doc["_id"], 2])
                elif group_of[doc["uri"]] == r["isco_code"]:
                    writer.writerow([f"q{n:04d}", doc["_id"], 1])
    print(f"{len(asked)} queries, {len(corpus)} profiles -> {folder}")


def main(source: Path, folder: Path, french_labels: Path | None = None, training: bool = False) -> None:
    rows = pq.read_table(source).to_pylist()
    if french_labels is None:
        write(folder, english(rows))
    else:
        write(folder, french(rows, french_labels, training=training), "train" if training else "test")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    labels = None
    training = "--training" in arguments
    if training:
        arguments.remove("--training")
    if "--french" in arguments:
        at = arguments.index("--french")
        labels = Path(arguments[at + 1])
        del arguments[at : at + 2]
    main(Path(arguments[0]), Path(arguments[1]), labels, training)
