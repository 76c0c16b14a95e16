"""ROME 4.0: occupations, job titles, skills and the mobility graph between occupations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indices.analysis import fold
from matcher.reference.files import normalize_label, read_rows

CONTEXT = "contexte"  # ROME's kind of a work context: a condition of a job (place, hours, public), not a skill


@dataclass(frozen=True, slots=True)
class Occupation:
    code: str
    label: str
    domain: str
    domain_label: str
    definition: str
    # ROME 4.0 groups its 1,584 occupations under 532 sheets ("fiches"), the occupations of ROME 3: the code of
    # the sheet this one belongs to (its own code for the sheet's head occupation).
    sheet: str


@dataclass(frozen=True, slots=True)
class Skill:
    code: str
    label: str
    kind: str  # savoir_faire | savoir_etre | savoir | contexte (a condition of work: place, hours, public, structure)

    @property
    def is_context(self) -> bool:
        """A condition of a job ("Travail de nuit", "En atelier"), not a skill: no offer compares it, no profile lists
        it among what the person can do."""
        return self.kind == CONTEXT


@dataclass(frozen=True, slots=True)
class JobTitle:
    code: str
    label: str
    rome: str


# The 14 "grands domaines" of ROME (the first letter of a code), as France Travail names them; the occupations
# file names only the professional domains below them (three characters: A12, K21…).
GRAND_DOMAINS = {
    "A": "Agriculture et pêche, espaces naturels et espaces verts, soins aux animaux",
    "B": "Arts et façonnage d'ouvrages d'art",
    "C": "Banque, assurance, immobilier",
    "D": "Commerce, vente et grande distribution",
    "E": "Communication, média et multimédia",
    "F": "Construction, bâtiment et travaux publics",
    "G": "Hôtellerie-restauration, tourisme, loisirs et animation",
    "H": "Industrie",
    "I": "Installation et maintenance",
    "J": "Santé",
    "K": "Services à la personne et à la collectivité",
    "L": "Spectacle",
    "M": "Support à l'entreprise",
    "N": "Transport et logistique",
}


def _same_word(masculine: str, feminine: str) -> bool:
    """Whether two words are one word in its two genders ("de"/"de", "chef"/"cheffe", "Sculpteur"/"Sculptrice")."""
    a, b = fold(masculine.lower()), fold(feminine.lower())
    return a == b or (min(len(a), len(b)) >= 4 and a[:3] == b[:3])


def gendered_forms(label: str) -> list[str]:
    """The masculine and feminine titles of a ROME label that writes both: "Agent / Agente d'accueil" -> ["Agent
    d'accueil", "Agente d'accueil"]; "Chef de partie poissonnier / Cheffe de partie poissonnière"; "Analyste
    Concepteur / Conceptrice informatique" (a head written once). The words before the slash that the words after it
    repeat, in the other gender, are the gendered phrase; one word at least ("Steward / Hôtesse de l'air")."""
    before, slash, after = label.partition(" / ")
    if not slash or not before.strip() or not after.strip():
        return [label]
    masculine, feminine = before.split(), after.split()
    width = next(
        (
            k
            for k in range(min(len(masculine), len(feminine)), 0, -1)
            if all(_same_word(m, f) for m, f in zip(masculine[-k:], feminine[:k], strict=True))
        ),
        1,
    )
    head, tail = masculine[:-width], feminine[width:]
    return [" ".join([*head, *masculine[-width:], *tail]), " ".join([*head, *feminine[:width], *tail])]


class Taxonomy:
    """Lookups over ROME, loaded once per process."""

    def __init__(self, folder: Path) -> None:
        self.occupations = {
            r["code"]: Occupation(
                r["code"], r["label"], r["domain"], r["domain_label"], r["definition"], r.get("sheet") or r["code"]
            )
            for r in read_rows(folder / "occupations.csv.gz")
        }
        self.job_titles = {
            r["code"]: JobTitle(r["code"], r["label"], r["rome"]) for r in read_rows(folder / "appellations.csv.gz")
        }
        self.skills = {r["code"]: Skill(r["code"], r["label"], r["kind"]) for r in read_rows(folder / "skills.csv.gz")}
        self._skills_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in read_rows(folder / "occupation_skills.csv.gz"):
            self._skills_of[r["rome"]].append((r["skill"], r["importance"]))
        self._neighbours: dict[str, list[str]] = defaultdict(list)
        for r in read_rows(folder / "mobility.csv.gz"):
            self._neighbours[r["source"]].append(r["target"])
        self._titles_by_rome: dict[str, list[JobTitle]] = defaultdict(list)
        self._title_index: dict[str, str] = {}
        for title in self.job_titles.values():
            self._titles_by_rome[title.rome].append(title)
            for form in (title.label, *gendered_forms(title.label)):
                self._title_index.setdefault(normalize_label(form), title.rome)
        for occupation in self.occupations.values():
            for form in gendered_forms(occupation.label):
                self._title_index[normalize_label(form)] = occupation.code

    def occupation(self, code: str) -> Occupation | None:
        return self.occupations.get(code)

    def domain_label(self, domain: str) -> str | None:
        """Name of a grand domain (one letter) or of a professional domain (three characters); None if unknown."""
        if len(domain) == 1:
            return GRAND_DOMAINS.get(domain)
        return next((o.domain_label for o in self.occupations.values() if o.domain == domain), None)

    def codes_in_domain(self, domain: str) -> list[str]:
        """The occupations of a grand domain ("K") or a professional domain ("K21"), in code order."""
        return sorted(code for code in self.occupations if domain and code.startswith(domain))

    def neighbours(self, code: str) -> list[str]:
        """Occupations a person of ``code`` can move to (ROME mobility links), closest first."""
        return self._neighbours.get(code, [])

    def relation(self, a: str | None, b: str | None) -> str:
        """How two occupations relate: same, neighbour (either direction), domain, or none."""
        if not a or not b:
            return "none"
        if a == b:
            return "same"
        if b in self.neighbours(a) or a in self.neighbours(b):
            return "neighbour"
        if a[:3] == b[:3]:
            return "domain"
        return "none"

    def same_sheet(self, a: str | None, b: str | None) -> bool:
        """Whether two different occupations belong to one ROME sheet (the head occupation and those split from it
        in ROME 4.0, "Conseiller en économie sociale et familiale" under "Assistant social"): near jobs, which
        employers code either way, whether or not ROME lists a mobility link between them."""
        if not a or not b or a == b:
            return False
        first, second = self.occupations.get(a), self.occupations.get(b)
        return first is not None and second is not None and first.sheet == second.sheet

    def skills_of(self, code: str, *, core_only: bool = False) -> list[str]:
        return [s for s, importance in self._skills_of.get(code, []) if not core_only or importance == "core"]

    def core_skills(self, code: str) -> list[str]:
        """Skills flagged 'cœur de métier' for the occupation (all its skills if none is flagged)."""
        return self.skills_of(code, core_only=True) or self.skills_of(code)

    def titles_of(self, code: str) -> list[JobTitle]:
        return self._titles_by_rome.get(code, [])

    def skill_label(self, code: str) -> str:
        skill = self.skills.get(code)
        return skill.label if skill else code

    def rome_for_title(self, title: str) -> str | None:
        """ROME code of a job title written as ROME writes it (accents, case and 'H/F' ignored)."""
        return self._title_index.get(normalize_label(title))

    def search_titles(self, query: str, limit: int = 10) -> list[JobTitle]:
        """Job titles whose words start with the query's words (for autocomplete)."""
        words = normalize_label(query).split()
        if not words:
            return []
        found = []
        for title in self.job_titles.values():
            label_words = normalize_label(title.label).split()
            if all(any(w.startswith(q) for w in label_words) for q in words):
                found.append(title)
        found.sort(key=lambda t: (not normalize_label(t.label).startswith(words[0]), len(t.label)))
        return found[:limit]

    def search_skills(self, query: str, limit: int = 10) -> list[Skill]:
        """Skills whose label's words start with the query's words (for autocomplete), shortest first. Never a work
        context: "Travail de nuit" is a condition of a job, which no offer compares as a skill."""
        words = normalize_label(query).split()
        if not words:
            return []
        found = [
            skill
            for skill in self.skills.values()
            if not skill.is_context
            and all(any(w.startswith(q) for w in normalize_label(skill.label).split()) for q in words)
        ]
        found.sort(key=lambda s: (not normalize_label(s.label).startswith(words[0]), len(s.label)))
        return found[:limit]

    def without_contexts(self, codes: Iterable[str]) -> list[str]:
        """``codes`` without ROME's work contexts (refused as skills since 30 November 2026, a record written before
        may hold one); a code the taxonomy does not know is kept."""
        return [c for c in codes if not ((skill := self.skills.get(c)) and skill.is_context)]

    def context_named(self, label: str) -> Skill | None:
        """The work context whose label is ``label`` (case and accents aside), to say why it is no skill."""
        wanted = normalize_label(label)
        return next((s for s in self.skills.values() if s.is_context and normalize_label(s.label) == wanted), None)
