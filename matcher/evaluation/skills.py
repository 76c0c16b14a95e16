"""Skill extraction measured against hand-labelled gold sets (``tests/data/skills_gold``).

Each gold row is a real shipped offer's excerpt and the skills a person read in it (see the folder's
README for how it was made). Precision and recall are micro-averaged per ROME domain (the first
letter of the offer's code) and overall, over readings: a ROME item and an ESCO skill of the same
label are one reading of the text, counted once whether the person listed one or both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.reference.files import normalize_label
from matcher.reference.skills import SkillExtractor

FOLDER = Path(__file__).resolve().parents[2] / "tests" / "data" / "skills_gold"
GOLD = FOLDER / "gold.jsonl"
HELD_OUT = {"heldout_dev": FOLDER / "heldout_dev.jsonl", "heldout_final": FOLDER / "heldout_final.jsonl"}


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


def read_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(
    extractor: SkillExtractor,
    rows: list[dict[str, Any]],
    *,
    counted: Callable[[str, str], bool] = lambda source, code: True,
) -> dict[str, Counts]:
    """Domain ("A"…"N", and "toutes") -> counts of the items ``counted(source, code)`` keeps."""
    out: dict[str, Counts] = {}
    for row in rows:
        truth = {normalize_label(s["label"]) for s in row["skills"] if counted(s["source"], s["code"])}
        found = {normalize_label(m.label) for m in extractor.extract(str(row["text"])) if counted(m.source, m.code)}
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
