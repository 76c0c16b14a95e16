"""Skill extraction measured against hand-labelled gold sets (``tests/data/skills_gold``).

Each gold row is a real shipped offer's excerpt and the skills a person read in it (see the folder's
README for how it was made). Precision and recall are micro-averaged per ROME domain (the first
letter of the offer's code) and overall, over readings: a ROME item and an ESCO skill of the same
label are one reading of the text, counted once whether the person listed one or both.

Two ways to read: every reading of the extractor, given no occupation (the extractor alone); and
:func:`as_the_service_reads`: the ROME skills only (no ESCO label, no work context), with the
occupation the service infers from the offer, which is what its pages show and its ranker compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.ranking.views import inferred_occupations, skills_occupation
from matcher.reference.classifier import Inferer
from matcher.reference.files import normalize_label
from matcher.reference.skills import SkillExtractor
from matcher.reference.taxonomy import Taxonomy

FOLDER = Path(__file__).resolve().parents[2] / "tests" / "data" / "skills_gold"
GOLD = FOLDER / "gold.jsonl"
HELD_OUT = {
    "heldout_dev": FOLDER / "heldout_dev.jsonl",
    "heldout_final": FOLDER / "heldout_final.jsonl",
    "heldout_blind": FOLDER / "heldout_blind.jsonl",
    "heldout_blind2": FOLDER / "heldout_blind2.jsonl",
    "heldout_blind3": FOLDER / "heldout_blind3.jsonl",
    "heldout_blind4": FOLDER / "heldout_blind4.jsonl",
}
Row = dict[str, Any]


@dataclass
class Counts:
    offers: int = 0
    found: int = 0  # readings extracted
    right: int = 0  # extracted and in the gold set
    gold: int = 0  # readings in the gold set

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 1.0


def read_gold(path: Path = GOLD) -> list[Row]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class Reading:
    """How the text of a gold row is read: which items count, with which occupations the extractor is told."""

    counted: Callable[[str, str], bool] = lambda source, code: True
    occupations: Callable[[Row], Sequence[str]] = lambda row: ()


def as_the_service_reads(taxonomy: Taxonomy, inferer: Inferer) -> Reading:
    """ROME skills, no work context, read with the occupation the service names for the offer (its classifier's
    best guess when sure enough, as :func:`matcher.ranking.views.offer_view` does)."""
    contexts = {code for code, skill in taxonomy.skills.items() if skill.is_context}

    def occupations(row: Row) -> Sequence[str]:
        title, _, description = str(row["text"]).partition(". ")
        named = skills_occupation(*inferred_occupations(inferer, title, description))
        return (named,) if named else ()

    return Reading(counted=lambda source, code: source == "rome" and code not in contexts, occupations=occupations)


def measure(extractor: SkillExtractor, rows: list[Row], reading: Reading = Reading()) -> dict[str, Counts]:
    """Domain ("A"…"N", and "toutes") -> counts of the items the reading counts."""
    counted = reading.counted
    out: dict[str, Counts] = {}
    for row in rows:
        truth = {normalize_label(s["label"]) for s in row["skills"] if counted(s["source"], s["code"])}
        read = extractor.extract(str(row["text"]), reading.occupations(row))
        found = {normalize_label(m.label) for m in read if counted(m.source, m.code)}
        for group in (str(row["domain"]), "toutes"):
            counts = out.setdefault(group, Counts())
            counts.offers += 1
            counts.found += len(found)
            counts.right += len(found & truth)
            counts.gold += len(truth)
    return dict(sorted(out.items()))


def table(results: dict[str, Counts]) -> str:
    lines = [
        "| domaine ROME | offres | lectures du lecteur | extraites | justes | précision | rappel |",
        "|---|---|---|---|---|---|---|",
    ]
    for group, c in results.items():
        lines.append(
            f"| {group} | {c.offers} | {c.gold} | {c.found} | {c.right} | {c.precision:.3f} | {c.recall:.3f} |"
        )
    return "\n".join(lines)
