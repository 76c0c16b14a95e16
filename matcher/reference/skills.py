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
- A noun or adjective of a label is found only in a form of that word (singular or plural, masculine
  or feminine), not in another word of the same stem: "Equipements de sécurité" is not in "l'équipe
  chargée de la sécurité", "Communication avec le public" not in "des communes et des établissements
  publics". A verb of a label still finds its noun ("Tailler les arbres" in "taille des arbres").
- A one-word label is weak evidence: a common word has other senses ("une optique de performance",
  "une politique d'achat", "Paris") or names only a topic of the text (the employer's fields, a list
  of sectors). It counts when its word is a term of art (few reference labels use it: "Photoshop",
  "gériatrie"), when the text names it again, or when it fits the job: ROME links the item to an
  occupation of the job's professional domains or, for a skill, one of those occupations names the
  word (its label, job titles, definition or one-word items). The job's occupations are the caller's
  when it knows them, else those the text points to: ROME job titles in its first sentence (callers
  pass "title. description") and the occupations of its multi-word matches, rarer skills weighing more.
- ROME work contexts ("En atelier", "Adultes", "Travail le dimanche") are conditions of the job, not
  skills: they come with their kind, fit a job only through ROME's own links, and are left out of
  :meth:`SkillExtractor.rome_skills` (the skills the service compares and shows).
- What a text says of its employer is not the job: a sentence that presents the employer or the agency recruiting
  for it ("cabinet de recrutement spécialisé dans l'industrie", "80 boutiques spécialisées dans la restauration",
  "ce campus abrite la Faculté de Droit") is not read, nor the name of an institution ("le cabinet du ministre de
  l'Economie et des Finances", "les Centres des Finances Publiques").
- A ROME item and an ESCO skill of the same label are one reading: only the ROME one is returned.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from indices.analysis import analyze, fold
from matcher.reference.files import normalize_label, read_rows
from matcher.reference.taxonomy import CONTEXT, Taxonomy

_SENTENCES = re.compile(r"[.;:!?\n•·]+|\s-\s")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ELISION = re.compile(r"\b(?:l|m|t|qu|n|s|j|d|c|jusqu|quoiqu|lorsqu|puisqu)['’]", re.IGNORECASE)
# A sentence presenting the employer or the agency recruiting for it (folded, lower case): a recruitment firm, a
# client, a firm "specialised in" a trade, a count of its shops or staff (not of a team the job leads: "vous encadrez
# une équipe qui compte 12 agents"), what a site houses or gathers.
_EMPLOYER = re.compile(
    r"cabinet (?:de recrutement|specialise)|agence (?:d.interim|d.emploi|de recrutement)|societe d.interim"
    r"|(?:recrute|recherche) pour (?:son|l.un de ses|un de ses|notre) client"
    r"|pour le compte de (?:son|notre|l.un de ses) client"
    r"|\b(?:entreprise|societe|groupe|enseigne|structure|association|cabinet|boutique|magasin)s? (?:\w+ ){0,3}"
    r"specialisee?s? (?:dans|en|sur)"
    r"|\bcompte(?:nt)? (?:plus de |pres de |environ )?[\d ]+ (?:boutiques|magasins|agences|restaurants|sites|"
    r"etablissements|salaries|collaborateurs|personnels|adherents|habitants|communes)\b"
    r"|\bregroupant\b|\babrite\b"
)
# The proper name of an institution: capitalised words after "ministère", "faculté", "centre"… and "de"/"des"
# ("Centres des Finances Publiques", "Faculté de Droit et Science politique"). The job's own department ("Direction
# des Ressources humaines") is left to be read: what it names is often the job's trade.
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w-]*"
_OF = r"(?:de la |de l['’]|des |du |de |d['’])"
_INSTITUTION = re.compile(
    r"\b(?:[Mm]inist[eè]re|[Mm]inistre|[Ff]acult[eé]|[Ii]nstitut|[Cc]entre|[EeÉé]cole|[Uu]niversit[eé]|[Oo]bservatoire"
    r"|[Dd][eé]fenseur|[Cc]hambre|[Mm]aison|[Ff][eé]d[eé]ration)s? "
    + _OF
    + rf"({_CAPITALISED}(?: (?:et )?{_OF}?{_CAPITALISED})*)"
)
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
# Bump when what a text yields changes with the same reference files (kept offer views are rebuilt).
VERSION = 4
SPAN = 4  # extra words allowed between the words of a label
MIN_SINGLE = 5  # letters of a one-word label
TERM_OF_ART = 20  # a word used by at most this many of the 50,000 reference labels has one sense
EVIDENCE = 3  # occupations the text points to, whose professional domains a one-word label must fit
TITLE_WORDS = 6  # longest ROME job title looked for in a text's first sentence
# A job title in the first sentence outweighs a skill of one occupation (log(1,584) / 4 = 1.8; of 100: 0.7).
TITLE_VOTE = 3.0
_FEMININE = (("ive", "if"), ("euse", "eur"), ("trice", "teur"), ("elle", "el"), ("enne", "en"), ("ere", "er"))


def _verb_like(word: str) -> bool:
    """An infinitive or a second-person plural: 'assurer', 'gérer', 'assurez' (nouns in -ier/-er look alike)."""
    return len(word) > 4 and word.endswith(("er", "ir", "ez"))


def _light(word: str) -> str:
    """A folded word without its plural mark: 'assurances' -> 'assurance'."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _form(word: str) -> str:
    """A folded word's key across number and gender: 'publiques', 'public' -> 'public'; 'equipe' != 'equipement'."""
    if len(word) > 4 and word.endswith("aux"):
        word = word[:-3] + "al"
    word = _light(word)
    for feminine, masculine in _FEMININE:
        if len(word) > len(feminine) + 2 and word.endswith(feminine):
            return word[: -len(feminine)] + masculine
    if len(word) > 5 and word.endswith("que"):
        return word[:-3] + "c"
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(_ELISION.sub(" ", text.lower())))


def is_english(label: str) -> bool:
    """Whether a label reads as English: a non-French function word, or a word with an English ending."""
    return any(w in ENGLISH or (len(w) > 5 and w not in LOANWORDS and _ENGLISH_ENDING.search(w)) for w in _words(label))


@cache
def _terms(label: str) -> tuple[str, ...]:
    """The terms a text must contain for the label: one exact word, or the stems or forms of its content words."""
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
        elif _verb_like(word):  # a verb finds any form of its stem ("Tailler" in "taille")
            terms.append(f"~{stems[0]}")
        else:  # a noun finds its own forms only: not a verb ("assurer"), nor another noun ("équipement")
            terms.append(f"^{_form(word)}")
    return tuple(dict.fromkeys(terms))


@dataclass(frozen=True)
class SkillMatch:
    source: str  # "rome" | "esco"
    code: str
    label: str
    kind: str = ""  # ROME's kind of item ("savoir_faire", "savoir_etre", "savoir", "contexte"); "" for ESCO

    @property
    def is_context(self) -> bool:
        return self.kind == CONTEXT


@dataclass
class _Found:
    match: SkillMatch
    terms: int  # terms of the longest of its labels found in the text
    times: int = 0  # occurrences of a one-term label


class SkillExtractor:
    """Built once per process from the ROME skills and the French ESCO skills."""

    def __init__(self, taxonomy: Taxonomy, esco_folder: Path) -> None:
        self._taxonomy = taxonomy
        phrases: dict[tuple[str, ...], list[SkillMatch]] = defaultdict(list)
        labels: list[str] = []  # every reference label, for how many of them use a word
        for skill in taxonomy.skills.values():
            self._add(phrases, skill.label, SkillMatch("rome", skill.code, skill.label, skill.kind))
            labels.append(skill.label)
        for row in read_rows(esco_folder / "skills.csv.gz"):
            alternatives = list(filter(None, row["alt_labels"].split("|")))
            labels += [row["label"], *alternatives]
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
        self._uses = Counter(stem for label in labels for stem in set(analyze(label)))
        frequency = Counter(term for phrase in phrases for term in phrase)
        self._by_rarest: dict[str, list[tuple[tuple[str, ...], list[SkillMatch]]]] = defaultdict(list)
        for phrase, matches in phrases.items():
            rarest = min(phrase, key=lambda term: (frequency[term], term))
            self._by_rarest[rarest].append((phrase, matches))
        self._occupations_of: dict[str, list[str]] = defaultdict(list)
        self._domain_items: dict[str, set[str]] = defaultdict(set)  # professional domain -> its ROME items
        self._domain_words: dict[str, set[str]] = defaultdict(set)  # -> stems its occupations name
        for code, occupation in taxonomy.occupations.items():
            named = [occupation.label, occupation.definition, *(title.label for title in taxonomy.titles_of(code))]
            for item in taxonomy.skills_of(code):
                self._occupations_of[item].append(code)
                self._domain_items[code[:3]].add(item)
                if len(_terms(taxonomy.skill_label(item))) == 1:
                    named.append(taxonomy.skill_label(item))
            self._domain_words[code[:3]].update(stem for text in named for stem in analyze(text))

    @staticmethod
    def _add(phrases: dict[tuple[str, ...], list[SkillMatch]], label: str, match: SkillMatch) -> None:
        if match.source == "esco" and is_english(label):
            return
        terms = _terms(label)
        if terms and match not in phrases[terms]:
            phrases[terms].append(match)

    @staticmethod
    def _positions(sentence: str) -> dict[str, list[int]]:
        """Where each term occurs: '=word' (exact, singular), '^form' (number and gender aside), '~stem' (any form)."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, word in enumerate(_words(sentence)):
            positions[f"={_light(word)}"].append(i)
            positions[f"^{_form(word)}"].append(i)
            for stem in analyze(word):
                positions[f"~{stem}"].append(i)
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

    def extract(self, text: str, occupations: Sequence[str] = ()) -> list[SkillMatch]:
        """Skills named in ``text``, in order of first appearance, each reading once.

        ``occupations``: the ROME codes of the job when the caller knows them (else read from the text).
        """
        found: dict[tuple[str, str], _Found] = {}
        for sentence in _SENTENCES.split(_INSTITUTION.sub(lambda m: m[0][: m.start(1) - m.start(0)], text)):
            if _EMPLOYER.search(fold(sentence.lower())):
                continue
            positions = self._positions(sentence)
            for term in list(positions):
                for phrase, matches in self._by_rarest.get(term, ()):
                    if all(t in positions for t in phrase) and self._close(phrase, positions):
                        for match in matches:
                            seen = found.setdefault((match.source, match.code), _Found(match, len(phrase)))
                            seen.terms = max(seen.terms, len(phrase))
                            if len(phrase) == 1:
                                seen.times += len(positions[phrase[0]])
        weak = [f for f in found.values() if f.terms == 1 and f.times < 2 and not self._term_of_art(f.match.label)]
        if weak:
            domains = {code[:3] for code in (occupations or self._occupations_in(text, found.values()))}
            items = set().union(*(self._domain_items[d] for d in domains))
            words = set().union(*(self._domain_words[d] for d in domains))
            for f in weak:
                if not self._fits(f.match, items, words):
                    del found[(f.match.source, f.match.code)]
        rome = {normalize_label(f.match.label) for f in found.values() if f.match.source == "rome"}
        return [
            f.match for f in found.values() if f.match.source == "rome" or normalize_label(f.match.label) not in rome
        ]

    def rome_skills(self, text: str, occupations: Sequence[str] = ()) -> list[SkillMatch]:
        """The ROME skills named in ``text``, which the service compares and shows: not its work contexts, conditions
        of a job that no person has or lacks (a page would list "Travail le dimanche" among the skills a candidate
        misses)."""
        return [m for m in self.extract(text, occupations) if m.source == "rome" and not m.is_context]

    def rome_codes(self, text: str, occupations: Sequence[str] = ()) -> list[str]:
        return [m.code for m in self.rome_skills(text, occupations)]

    def _term_of_art(self, label: str) -> bool:
        """Whether few reference labels use the label's word: then it has no other sense to be read in."""
        return all(self._uses[stem] <= TERM_OF_ART for stem in analyze(label))

    @staticmethod
    def _fits(match: SkillMatch, items: set[str], words: set[str]) -> bool:
        """Whether a one-word label fits the job's domains: linked to them in ROME, or (a skill) a word they name."""
        if match.source == "rome" and match.code in items:
            return True
        stems = set(analyze(match.label))
        return not match.is_context and bool(stems) and stems <= words

    def _occupations_in(self, text: str, found: Iterable[_Found]) -> list[str]:
        """The occupations the text points to: job titles in its first sentence, the ROME items of several words."""
        votes: dict[str, float] = defaultdict(float)
        total = len(self._taxonomy.occupations)
        words = normalize_label(_SENTENCES.split(text, maxsplit=1)[0]).split()
        for i in range(len(words)):  # the longest ROME job title starting at each word
            for end in range(min(len(words), i + TITLE_WORDS), i, -1):
                code = self._taxonomy.rome_for_title(" ".join(words[i:end]))
                if code:
                    votes[code] += TITLE_VOTE
                    break
        for f in found:
            linked = self._occupations_of.get(f.match.code, []) if f.match.source == "rome" and f.terms > 1 else []
            for code in linked:  # a skill of few occupations says more than one of many
                votes[code] += math.log(total / len(linked)) / 4
        return sorted(votes, key=lambda code: -votes[code])[:EVIDENCE]
