"""Find ROME competences and ESCO skills named in free text.

A skill label matches a sentence when every one of its analysed terms (French stemming, accents
and stop words removed) occurs in that sentence — word order and inflection may differ, as they do
between "Tailler les arbres" and "taille des arbres fruitiers". Single-word labels must be at
least 5 letters long, so that short words do not fire everywhere.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from indices.analysis import analyze
from matcher.reference.files import read_rows
from matcher.reference.taxonomy import Taxonomy

_SENTENCES = re.compile(r"[.;:!?\n•·]+|\s-\s")


@dataclass(frozen=True)
class SkillMatch:
    source: str  # "rome" | "esco"
    code: str
    label: str


class SkillExtractor:
    """Built once per process from the ROME skills and the French ESCO skills."""

    def __init__(self, taxonomy: Taxonomy, esco_folder: Path) -> None:
        phrases: dict[frozenset[str], list[SkillMatch]] = defaultdict(list)
        for skill in taxonomy.skills.values():
            self._add(phrases, skill.label, SkillMatch("rome", skill.code, skill.label))
        for row in read_rows(esco_folder / "skills.csv.gz"):
            match = SkillMatch("esco", row["uri"], row["label"])
            for label in [row["label"], *filter(None, row["alt_labels"].split("|"))]:
                self._add(phrases, label, match)
        frequency = Counter(term for phrase in phrases for term in phrase)
        self._by_rarest: dict[str, list[tuple[frozenset[str], list[SkillMatch]]]] = defaultdict(list)
        for phrase, matches in phrases.items():
            rarest = min(phrase, key=lambda term: (frequency[term], term))
            self._by_rarest[rarest].append((phrase, matches))

    @staticmethod
    def _add(phrases: dict[frozenset[str], list[SkillMatch]], label: str, match: SkillMatch) -> None:
        terms = frozenset(analyze(label))
        if not terms or (len(terms) == 1 and len(label.strip()) < 5):
            return
        if match not in phrases[terms]:
            phrases[terms].append(match)

    def extract(self, text: str) -> list[SkillMatch]:
        """Skills named in ``text``, in order of first appearance, each once."""
        found: dict[tuple[str, str], SkillMatch] = {}
        for sentence in _SENTENCES.split(text):
            terms = set(analyze(sentence))
            for term in terms:
                for phrase, matches in self._by_rarest.get(term, ()):
                    if phrase <= terms:
                        for match in matches:
                            found.setdefault((match.source, match.code), match)
        return list(found.values())

    def rome_codes(self, text: str) -> list[str]:
        return [m.code for m in self.extract(text) if m.source == "rome"]
