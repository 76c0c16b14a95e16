"""Find ROME competences and ESCO skills named in free text.

Rules, each against a misreading seen in real offers:

- A one-word label ("Assurances", "Informatique") matches only that word, in the singular or the
  plural — never another word of the same stem ("assurer" is a verb, not the insurance field).
- A label of several words matches when each of its content words occurs (French stemming, so
  "Tailler les arbres" finds "taille des arbres"), in the label's order and close together (within
  a few words, in one sentence): "Communication responsable" is not in "Responsable de la
  communication". A noun of the label is not found in a verb of the text: "Gestion des
  assurances" is not in "assurer la gestion". Only articles and prepositions are left out of a
  label: "Traitement du son" needs "son".
- A label written in English (ROME keeps product names: "Analysis Services") matches only its own
  words verbatim, never French words of the same stem ("Analyse des services"); ESCO's English
  labels are not read at all (it has French ones), nor are its one-word synonyms ("animation"
  stands for motion graphics there).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from indices.analysis import analyze, fold
from matcher.reference.files import read_rows
from matcher.reference.taxonomy import Taxonomy

_SENTENCES = re.compile(r"[.;:!?\n•·]+|\s-\s")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ELISION = re.compile(r"\b(?:l|m|t|qu|n|s|j|d|c|jusqu|quoiqu|lorsqu|puisqu)['’]", re.IGNORECASE)
# Words a label may leave out or word differently: articles, prepositions, conjunctions.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "sur",
        "un",
        "une",
        "avec",
        "dans",
        "chez",
        "entre",
        "vers",
    ]
)
# Words that mark an English label (ESCO keeps some: product names, terms of art): function words that are
# not French, and endings French does not use.
ENGLISH = frozenset(["the", "of", "and", "for", "with", "to", "by", "from", "in", "into", "using"])
_ENGLISH_ENDING = re.compile(r"(?:ing|ysis|ness|ship|ware|ology)$")
# English words French offers use as they are.
LOANWORDS = frozenset(
    [
        "marketing",
        "merchandising",
        "coaching",
        "reporting",
        "planning",
        "mailing",
        "phoning",
        "packaging",
        "leasing",
        "lobbying",
        "consulting",
        "benchmarking",
        "branding",
        "sourcing",
        "facility",
        "software",
        "hardware",
    ]
)
SPAN = 4  # extra words allowed between the words of a label
MIN_SINGLE = 5  # letters of a one-word label


def _verb_like(word: str) -> bool:
    """An infinitive or a second-person plural: 'assurer', 'gérer', 'assurez' (nouns in -ier/-er look alike)."""
    return len(word) > 4 and word.endswith(("er", "ir", "ez"))


def _light(word: str) -> str:
    """A folded word without its plural mark: 'assurances' -> 'assurance'."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(_ELISION.sub(" ", text.lower())))


def is_english(label: str) -> bool:
    """Whether a label reads as English: a non-French function word, or a word with an English ending."""
    return any(w in ENGLISH or (len(w) > 5 and w not in LOANWORDS and _ENGLISH_ENDING.search(w)) for w in _words(label))


def _terms(label: str) -> tuple[str, ...]:
    """The terms a text must contain for the label: one exact word, or the stems of its content words."""
    content = [w for w in _words(label) if w not in FUNCTION_WORDS]  # "Langage C" keeps its "c"
    if is_english(label):  # a product or term of art kept in English ("Analysis Services"): verbatim only
        return tuple(dict.fromkeys(f"={_light(w)}" for w in _words(label) if len(w) > 1))
    if len(content) == 1:
        word = content[0]
        return (f"={_light(word)}",) if len(word) >= MIN_SINGLE else ()
    terms = []
    for word in content:
        stems = analyze(word) if len(word) > 1 else []
        if not stems:  # a letter ("C") or a stop word of the analyser ("son"): the word itself
            terms.append(f"={_light(word)}")
        else:  # a noun of a label is not found in a verb of the text ("Assurances" is not in "assurer")
            terms.append(f"{'~' if _verb_like(word) else '^'}{stems[0]}")
    return tuple(dict.fromkeys(terms))


@dataclass(frozen=True)
class SkillMatch:
    source: str  # "rome" | "esco"
    code: str
    label: str


class SkillExtractor:
    """Built once per process from the ROME skills and the French ESCO skills."""

    def __init__(self, taxonomy: Taxonomy, esco_folder: Path) -> None:
        phrases: dict[tuple[str, ...], list[SkillMatch]] = defaultdict(list)
        for skill in taxonomy.skills.values():
            self._add(phrases, skill.label, SkillMatch("rome", skill.code, skill.label))
        for row in read_rows(esco_folder / "skills.csv.gz"):
            alternatives = list(filter(None, row["alt_labels"].split("|")))
            # Shown as a French label: the preferred one, or else the first French synonym.
            shown = next((label for label in [row["label"], *alternatives] if not is_english(label)), None)
            if shown is None:
                continue
            match = SkillMatch("esco", row["uri"], shown)
            self._add(phrases, row["label"], match)
            for label in alternatives:
                # A one-word synonym is too ambiguous ("animation" for motion graphics): only longer ones.
                if len(_terms(label)) > 1:
                    self._add(phrases, label, match)
        frequency = Counter(term for phrase in phrases for term in phrase)
        self._by_rarest: dict[str, list[tuple[tuple[str, ...], list[SkillMatch]]]] = defaultdict(list)
        for phrase, matches in phrases.items():
            rarest = min(phrase, key=lambda term: (frequency[term], term))
            self._by_rarest[rarest].append((phrase, matches))

    @staticmethod
    def _add(phrases: dict[tuple[str, ...], list[SkillMatch]], label: str, match: SkillMatch) -> None:
        if match.source == "esco" and is_english(label):
            return
        terms = _terms(label)
        if terms and match not in phrases[terms]:
            phrases[terms].append(match)

    @staticmethod
    def _positions(sentence: str) -> dict[str, list[int]]:
        """Where each term occurs: '=word' (exact, singular), '~stem' (any form), '^stem' (a form not verb-like)."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, word in enumerate(_words(sentence)):
            positions[f"={_light(word)}"].append(i)
            for stem in analyze(word):
                positions[f"~{stem}"].append(i)
                if not _verb_like(word):
                    positions[f"^{stem}"].append(i)
        return positions

    @staticmethod
    def _close(phrase: tuple[str, ...], positions: dict[str, list[int]]) -> bool:
        """Whether the terms occur in the label's order, the last within len(phrase) + SPAN words of the first."""
        if len(phrase) == 1:
            return True
        window = len(phrase) + SPAN
        for start in positions[phrase[0]]:
            at = start
            for term in phrase[1:]:
                at = next((p for p in positions[term] if at < p < start + window), -1)
                if at < 0:
                    break
            else:
                return True
        return False

    def extract(self, text: str) -> list[SkillMatch]:
        """Skills named in ``text``, in order of first appearance, each once."""
        found: dict[tuple[str, str], SkillMatch] = {}
        for sentence in _SENTENCES.split(text):
            positions = self._positions(sentence)
            for term in list(positions):
                for phrase, matches in self._by_rarest.get(term, ()):
                    if all(t in positions for t in phrase) and self._close(phrase, positions):
                        for match in matches:
                            found.setdefault((match.source, match.code), match)
        return list(found.values())

    def rome_codes(self, text: str) -> list[str]:
        return [m.code for m in self.extract(text) if m.source == "rome"]
