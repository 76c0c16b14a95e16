"""A draft profile read from a CV's text: every field says which line it came from.

Nothing here is saved: the seeker reads the draft, corrects it and saves a profile through the
ordinary profile use cases. The reading is plain rules over lines (section headings, date ranges,
keyword lists), the skills come from the same extractor as offers and the occupations from the
runtime's occupation classifier, so the draft is explainable line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from indices.analysis import analyze, fold
from matcher.core.models import EducationLevel
from matcher.reference.files import normalize_label

if TYPE_CHECKING:
    from matcher.reference.classifier import Inferer
    from matcher.reference.geography import Geography
    from matcher.reference.skills import SkillExtractor
    from matcher.reference.taxonomy import Taxonomy


class Source(BaseModel):
    """The CV line a drafted value was read from (numbered from 1)."""

    line: int
    text: str


class DraftText(BaseModel):
    value: str
    source: Source


class DraftOccupation(BaseModel):
    code: str
    label: str
    confidence: float
    source: Source


class DraftSkill(BaseModel):
    code: str
    label: str
    source: Source


class DraftExperience(BaseModel):
    title: str
    employer: str | None
    start: date | None
    end: date | None = Field(description="None : en cours")
    years: float
    rome_code: str | None
    source: Source


class DraftEducation(BaseModel):
    value: EducationLevel
    source: Source


class DraftCommune(BaseModel):
    insee: str
    name: str
    postal_code: str
    source: Source


class DraftDate(BaseModel):
    value: date
    source: Source


class Draft(BaseModel):
    """What the CV seems to say; the seeker corrects it before anything is saved."""

    format: str
    lines: int
    name: DraftText | None = None
    title: DraftText | None = None
    occupations: list[DraftOccupation] = Field(default_factory=list)
    skills: list[DraftSkill] = Field(default_factory=list)
    experiences: list[DraftExperience] = Field(default_factory=list)
    education_level: DraftEducation | None = None
    languages: list[DraftText] = Field(default_factory=list)
    driving_licences: list[DraftText] = Field(default_factory=list)
    commune: DraftCommune | None = None
    available_from: DraftDate | None = None

    def profile(self) -> dict[str, Any]:
        """The draft as the fields of a profile (``PUT /me/profile``), to complete and correct."""
        values: dict[str, Any] = {
            "title": self.title.value if self.title else None,
            "desired_occupations": [o.code for o in self.occupations[:1]],
            "skills": [s.code for s in self.skills],
            "experiences": [
                {"title": e.title, "rome_code": e.rome_code, "years": min(e.years, 50.0)} for e in self.experiences
            ],
            "education_level": self.education_level.value.value if self.education_level else None,
            "languages": [x.value for x in self.languages],
            "driving_licences": [x.value for x in self.driving_licences],
            "available_from": self.available_from.value.isoformat() if self.available_from else None,
        }
        if self.name:
            values["display_name"] = self.name.value
        if self.commune:
            values["mobility"] = {"communes": [self.commune.insee], "radius_km": 30}
        return values


# --- reading ------------------------------------------------------------------------------------

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
    # English, for a CV written in it
    "january": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6,
    "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH = (
    r"(?:janvier|janv|jan|fevrier|fevr|fev|mars|mar|avril|avr|mai|juin|juillet|juil|aout|septembre|sept|sep|"
    r"octobre|oct|novembre|nov|decembre|dec|january|february|feb|march|april|apr|may|june|jun|july|jul|august|aug|"
    r"september|october|november|december)\.?"
)
_POINT = rf"(?:(?:{_MONTH}\s+|(?:0?[1-9]|1[0-2])\s*/\s*)?(?:19|20)\d{{2}})"
_NOW = r"(?:aujourd'hui|aujourd hui|ce jour|present|maintenant|en cours|actuellement|actuel|auj\.?|current|now|today)"
_DASH = r"(?:-|–|—|a|au|jusqu'en|jusqu'a|to)"
_RANGE = re.compile(rf"(?:\b(?:de|du|d')\s*)?(?P<start>{_POINT})\s*{_DASH}\s*(?P<end>{_POINT}|{_NOW})")
_SINCE = re.compile(rf"\bdepuis\s+(?:le\s+|l'|(?:\d{{1,2}}\s+)?)?(?P<start>{_POINT})")
_HEADINGS = {  # a heading starts with one of these, after qualifiers only ("Mes", "Autres", "Domaines de")
    "experience": ("experience", "parcours", "emplois", "postes occupes", "carriere", "stages"),
    "education": ("formation", "diplome", "etudes", "scolarite", "certifications", "cursus", "parcours scolaire",
                  "parcours universitaire", "parcours de formation", "niveau d'etudes"),
    "skills": ("competence", "savoir-faire", "savoir faire", "aptitudes", "points forts", "connaissances"),
    "languages": ("langue",),
    "leisure": ("centres d'interet", "loisirs", "interets", "hobbies", "passions", "activites extra",
                "activites personnelles"),
    "other": ("informations", "divers", "permis", "contact", "coordonnees", "profil", "a propos", "references",
              "qualites"),
}  # fmt: skip
# A CV in English is read with the same sections. English puts its qualifiers first ("Work experience"), and its
# job titles may start with a heading's word ("Training officer"): these end the line, or go on with "and …".
_HEADINGS_EN = {
    "experience": ("experience", "employment", "employment history", "work history", "career", "internships"),
    "education": ("education", "qualifications", "training"),
    "skills": ("skills", "competencies", "expertise"),
    "languages": ("languages",),
    "leisure": ("interests", "hobbies"),
    "other": ("summary", "profile", "about me", "personal details", "contact", "references",
              "additional information"),
}  # fmt: skip
LANGUAGES = {
    "francais": "français", "anglais": "anglais", "espagnol": "espagnol", "allemand": "allemand",
    "italien": "italien", "portugais": "portugais", "arabe": "arabe", "chinois": "chinois", "russe": "russe",
    "neerlandais": "néerlandais", "polonais": "polonais", "roumain": "roumain", "turc": "turc",
    "langue des signes": "langue des signes", "lsf": "langue des signes", "creole": "créole", "breton": "breton",
    "occitan": "occitan", "japonais": "japonais", "vietnamien": "vietnamien", "wolof": "wolof",
    # English, for a CV written in it
    "english": "anglais", "french": "français", "spanish": "espagnol", "german": "allemand", "italian": "italien",
    "portuguese": "portugais", "arabic": "arabe", "chinese": "chinois", "mandarin": "chinois", "russian": "russe",
    "dutch": "néerlandais", "polish": "polonais", "romanian": "roumain", "turkish": "turc", "japanese": "japonais",
    "vietnamese": "vietnamien",
}  # fmt: skip
_LEVEL_WORDS = re.compile(
    r"\b(?:courant|bilingue|maternelle|natale|notions?|scolaire|intermediaire|debutant|avance|lu|ecrit|parle|"
    r"niveau|professionnel|[abc][12]|toeic|toefl|ielts|delf|dalf)\b"
)
_LICENCE_CODES = r"(?:AM|A1|A2|BE|B1|C1E|D1E|C1|D1|CE|DE|EB|EC|ED|A|B|C|D)"
_LICENCE = re.compile(  # the words in any case, the categories in capitals ("permis de construire" is no DE)
    rf"\b(?i:permis(?:\s+de\s+conduire)?(?:\s+poids\s+lourds?)?\s*(?:cat[ée]gories?\s*)?)[:(]?\s*"
    rf"(?P<codes>{_LICENCE_CODES}(?:\s*(?:,|/|et|\+|&)\s*{_LICENCE_CODES})*)\b(?P<rest>[^\n]{{0,40}})"
)
_LICENCE_ALIASES = {"EC": "CE", "EB": "BE", "ED": "DE"}
_LICENCE_NOTE = re.compile(rf"\(\s*({_LICENCE_CODES})\s*\)")  # "Permis B et remorque (BE)"
_STATE = r"diplome d'etat (?:d'|de |du |des )?"  # the health and social work diplomas, at their RNCP level
_EDUCATION = (  # highest level first: the best diploma named wins
    (EducationLevel.DOCTORAT, r"\bdoctorat\b|\bphd\b|\bbac\s*\+\s*8\b"),
    (
        EducationLevel.MASTER,
        r"\bmaster\b|\bmastere\b|\bbac\s*\+\s*5\b|diplome d'ingenieur|\bdess\b|\bdea\b|\bmba\b|\bmsc\b",
    ),
    (
        EducationLevel.LICENCE,
        rf"\blicence\b|\bbachelor\b|\bbsc\b|\bbac\s*\+\s*3\b|\bbut\b|{_STATE}(?:infirmi|educat|assistant"
        r"\w* de service social|conseiller en economie sociale)|\b(?:deei|dees|deeje|deass|decesf)\b",
    ),
    (EducationLevel.BAC_2, r"\bbts\b|\bdut\b|\bdeug\b|\bdeust\b|\bbac\s*\+\s*2\b|\bdejeps\b"),
    (
        EducationLevel.BAC,
        r"\bbaccalaureat\b|\bbac\b(?!\s*\+)|\bbp\b|brevet professionnel|brevet de technicien|"
        rf"{_STATE}(?:aide[- ]soignant|auxiliaire de puericulture|moniteur|technicien de l'intervention|ambulancier)|"
        r"\b(?:deas|deap|deme|detisf|bpjeps)\b",
    ),
    (EducationLevel.CAP_BEP, rf"\bcap\b|\bbep\b|\bcapa\b|\bbpa\b|titre professionnel|{_STATE}accompagnant|\bdeaes\b"),
    (EducationLevel.NONE, r"sans diplome"),
)
_AVAILABLE = re.compile(r"\bdisponib(?:le|ilite)\b[^\n]*", re.IGNORECASE)
_POSTAL = re.compile(r"\b(?P<code>\d{5})\s+(?P<name>[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' -]{1,60})")
_POSTAL_AFTER = re.compile(r"(?P<name>[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' -]{1,60}?)\s*\(\s*(?P<code>\d{5})\s*\)")  # Le Teil (07400)
_CONTACT = re.compile(r"@|\+33|\b0\d(?:[ .]?\d{2}){4}\b|https?://|www\.|linkedin", re.IGNORECASE)
# Bullets as word processors write them: dashes and dots, arrows and checks, squares and diamonds, Symbol and
# Wingdings glyphs that PDF text comes out with (private use, U+F0A7 ""), and Word's second level "o".
_BULLET = re.compile(r"^\s*(?:[-•*·▪◦–—►▸▶➢➤→⇒»✓✔☐☑■□●○◆◇♦❖]|[\uf000-\uf0ff]|o\s+(?=[A-ZÀ-Þ]))\s*")
_ORGANISATION = re.compile(
    r"\b(?:mairie|commune|ville|communaute|agglomeration|metropole|departement|conseil|region|centre|"
    r"hopital|ehpad|association|sarl|sas|sa|eurl|societe|entreprise|groupe|syndicat|etablissement|"
    r"college|lycee|ecole|universite|clinique|cabinet|agence|office|service|ccas|sdis|prefecture|chez|"
    r"intercommunal\w*|france|la poste|sncf|"
    r"council|ltd|limited|inc|plc|llp|trust|hospital|university|school|authority|agency|nhs)\b"  # English
)
_ORGANISATION_LAST = re.compile(  # English names the organisation last: "Leeds City Council", "Acme Ltd"
    r"\b(?:council|ltd|limited|inc|plc|llp|trust|hospital|university|school|authority|nhs)\.?$"
)
_SEPARATORS = (" — ", " – ", " | ", " chez ", " @ ", ", ", " - ")
IDENTITY_LINES = 15  # the name and the title are read from the first lines only
TITLE_OPTIONS = 6
TITLE_WORDS = 16  # ROME's longest job title, one gender; a summary's sentence is longer
_NAME_PARTICLES = {"de", "du", "des", "le", "la", "van", "von", "da", "di", "del", "ben", "el"}
_LABELLED_TITLE = re.compile(
    r"(?:(?:poste|emploi|metier|fonction)s?\s+(?:recherche|souhaite|vise)e?s?|objectif(?:\s+professionnel)?|intitule|"
    r"metier|fonction)\s*:\s*"
)
# "Objectif : un poste d'assistante administrative", "Recherche un emploi de jardinier": the job is what follows
_LEAD_IN = re.compile(
    r"^(?:(?:je\s+)?(?:suis\s+)?(?:[àa] la recherche d['’]|recherche|cherche|souhaite)\s*)?(?:(?:d['’])?une?\s+)?"
    r"(?:poste|emploi)s?\s+(?:de\s+|d['’]|en tant que\s+|comme\s+)",
    re.IGNORECASE,
)


def _job_named(text: str) -> str:
    """The job a title line names, without its lead-in, capitalised ("un poste de jardinier" → "Jardinier")."""
    rest = _LEAD_IN.sub("", text.strip(), count=1)
    job = rest if len(rest) >= 3 else text.strip()
    return job[:1].upper() + job[1:]


_NOT_A_TITLE = re.compile(r"(?:curriculum vitae|cv|resume|disponib|ne\b|nee\b|age\b|\d+ ans\b|nationalite)")
# "Nom : Martin", "Prénom : Julie", "Tél. : …": a form's identity lines (the name is read from them, never a title)
_LABELLED_IDENTITY = re.compile(
    r"(?i)\s*(?P<label>nom et pr[ée]nom|pr[ée]nom et nom|pr[ée]nom|nom(?: de famille)?|adresse|t[ée]l[ée]phone|"
    r"t[ée]l\.?|portable|e-?mail|courriel|date de naissance|situation familiale|nationalit[ée]|[âa]ge)"
    r"\s*:\s*(?P<value>.*)$"
)


@dataclass
class _Line:
    number: int
    text: str
    key: str  # normalised: lower case, no accents
    section: str


def _source(line: _Line) -> Source:
    return Source(line=line.number, text=line.text.strip()[:200])


def _key(text: str) -> str:
    """Lower case, no accents, typographic apostrophes plain; punctuation kept (dates need it)."""
    return fold(text.lower()).replace("’", "'").replace("ʼ", "'")


_OPEN_END = re.compile(r"(?:[,/]|\s(?:de|des|du|la|le|les|et|a|à|en|pour|sur|aux|au|d'|l')|\b\d{5})$", re.IGNORECASE)

# Words that may come before a heading's own word: "Mes compétences", "Autres expériences", "Domaines de
# compétences", "Stages et expériences". Any other word makes the line a job or a sentence, not a heading:
# "Responsable formation", "Chargé de formation", "Animatrice loisirs", "Techniques de formation".
_QUALIFIERS = {
    "mes", "mon", "ma", "nos", "notre", "autres", "autre", "principales", "principaux", "principale",
    "dernieres", "derniers", "quelques", "domaines", "domaine", "synthese", "resume", "savoirs", "atouts",
    "stages", "et", "de", "des", "du", "d'", "&",
    "my", "other", "key", "core", "relevant", "professional", "work", "technical", "and",
}  # fmt: skip


def _heading(key: str) -> str | None:
    """The section a line opens, if it is a heading: a short line, no digits, not a bullet nor an open phrase."""
    if _BULLET.match(key) or (len(key.split()) > 2 and _OPEN_END.search(key.rstrip(" :"))):
        return None
    key = re.sub(r"[^\w' &-]+", " ", key).strip()
    if not key or len(key.split()) > 5 or any(ch.isdigit() for ch in key):
        return None
    words = key.replace("d'", "d' ").split()
    best: tuple[int, str] | None = None  # the longest heading word wins: "parcours scolaire" over "parcours"
    for skip in range(len(words)):
        rest = " ".join(words[skip:]).replace("d' ", "d'")
        for section, starts in _HEADINGS.items():
            for start in starts:
                if rest.startswith(start) and (best is None or len(start) > best[0]):
                    best = (len(start), section)
        head = re.split(r" (?:and|&) ", rest, maxsplit=1)[0]  # "skills and competencies": "skills"
        for section, whole in _HEADINGS_EN.items():
            if head in whole and (best is None or len(head) > best[0]):
                best = (len(head), section)
        if best or words[skip] not in _QUALIFIERS:
            break
    return best[1] if best else None


_LABELLED_LEISURE = re.compile(rf"(?:(?:mes|autres) )?(?:{'|'.join(_HEADINGS['leisure'])})[\w' -]{{0,40}}:")


def without_leisure(text: str) -> str:
    """The CV's text without its hobbies sections ("Centres d'intérêt", "Loisirs"): what the person does at work.

    Cooking or the guitar on a Sunday is not a skill an employer asks for, yet its words are ROME skills. A text
    without such a heading (a profile written as prose) is returned as it is."""
    kept: list[str] = []
    section = "header"
    for raw in text.split("\n"):
        key = _key(" ".join(raw.split()))
        heading = _heading(key)
        section = heading or section
        if section != "leisure" and not _LABELLED_LEISURE.match(key):  # "Loisirs : …" however long its list
            kept.append(raw)
    return "\n".join(kept)


def _unwrapped(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: a line a PDF wrapped is joined back.

    A line continues the previous one when it starts in lower case, or when the previous one ends
    on a word that cannot end a line ("de", "et", a comma, a postal code before its commune).
    """
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = " ".join(raw.split())
        if not stripped:
            continue
        if out and not _BULLET.match(stripped) and not _heading(_key(out[-1][1])):
            previous = out[-1][1]
            if stripped[0].islower() or _OPEN_END.search(previous):
                out[-1] = (out[-1][0], f"{previous} {stripped}")
                continue
        out.append((number, stripped))
    return out


def _lines(text: str) -> list[_Line]:
    section = "header"
    out: list[_Line] = []
    for number, stripped in _unwrapped(text):
        key = _key(stripped)
        heading = _heading(key)
        if heading:
            section = heading
        out.append(_Line(number, stripped, key, "heading:" + section if heading else section))
    return out


def _point(value: str, *, end: bool, today: date) -> date | None:
    value = value.strip().rstrip(".")
    if re.fullmatch(_NOW, value):
        return None if end else today
    year = int(re.search(r"(?:19|20)\d{2}", value).group())  # type: ignore[union-attr]
    month = 1
    slash = re.match(r"(\d{1,2})\s*/", value)
    if slash:
        month = int(slash.group(1))
    else:
        word = re.match(r"([a-z]+)", value)
        if word and word.group(1) in MONTHS:
            month = MONTHS[word.group(1)]
    return date(year, month, 1)


def _dates(key: str, today: date) -> tuple[date | None, date | None, str] | None:
    """(start, end or None when ongoing, the matched text) of a date range in a line."""
    match = _RANGE.search(key)
    if match:
        start = _point(match.group("start"), end=False, today=today)
        end = _point(match.group("end"), end=True, today=today)
        return start, end, match.group(0)
    match = _SINCE.search(key)
    if match:
        return _point(match.group("start"), end=False, today=today), None, match.group(0)
    return None


def _years(start: date | None, end: date | None, today: date) -> float:
    if start is None:
        return 0.0
    finish = end or today
    months = (finish.year - start.year) * 12 + finish.month - start.month
    return round(max(months, 0) / 12, 1)


def _names_employer_first(text: str) -> bool:
    """Whether a phrase names an organisation first ("Centre hospitalier …", "EHPAD …", "La Poste"), or, in
    English, last ("Leeds City Council")."""
    label = normalize_label(text)
    return bool(re.match(rf"(?:l'|la |le |les )?{_ORGANISATION.pattern}", label) or _ORGANISATION_LAST.search(label))


def _name_word(word: str) -> bool:
    """A word of a name: capitalised, a particle ("de", "van"), or "d'" before a capital ("d'Ornano")."""
    return word[0].isupper() or word.lower() in _NAME_PARTICLES or (word[:2] == "d'" and word[2:3].isupper())


def _split_title(text: str) -> tuple[str, str | None]:
    """("Jardinier", "Mairie de Privas") from "Jardinier — Mairie de Privas" and its variants (either order)."""
    text = _BULLET.sub("", text).strip(" :–—-|,")
    for separator in _SEPARATORS:
        if separator not in text:
            continue
        parts = text.split(separator)
        strong = separator in (" — ", " – ", " | ", " chez ", " @ ")
        left, right = parts[0].strip(), separator.join(parts[1:]).strip()
        if strong and separator != " chez " and _names_employer_first(left) and not _names_employer_first(right):
            return right, left  # "EHPAD Les Glycines — Aide-soignante"
        for cut in range(len(parts) - 1, 0, -1):  # prefer the cut whose right side names an organisation
            tail = separator.join(parts[cut:]).strip()
            if _ORGANISATION.search(normalize_label(tail)):
                return separator.join(parts[:cut]).strip(), tail
        if strong:
            return left, right
    return text, None


class CvReader:
    """Reads CV text into a :class:`Draft` with the runtime's reference data (one per process)."""

    def __init__(
        self, *, taxonomy: Taxonomy, geography: Geography, extractor: SkillExtractor, inferer: Inferer
    ) -> None:
        self.taxonomy, self.geography, self.extractor, self.inferer = taxonomy, geography, extractor, inferer
        self._terms: dict[str, frozenset[str]] = {}

    def read(self, text: str, *, fmt: str = "txt", today: date | None = None) -> Draft:
        today = today or date.today()
        lines = _lines(text)
        draft = Draft(format=fmt, lines=len(text.split("\n")))
        draft.name, draft.title = self._identity(lines)
        draft.experiences = self._experiences(lines, today)
        draft.occupations = self._occupations(draft, lines)
        draft.skills = self._skills(lines)
        draft.education_level = self._education(lines)
        draft.languages = self._languages(lines)
        draft.driving_licences = self._licences(lines)
        draft.commune = self._commune(lines)
        draft.available_from = self._availability(lines, today)
        return draft

    def headline(self, text: str, *, today: date | None = None) -> str:
        """What the person does, in their words: the CV's title, else the title of its first job listed ("" if
        neither is found). Cheaper than :meth:`read`: what ranking a CV known only by its text needs."""
        lines = _lines(text)
        _, title = self._identity(lines)
        if title:
            return title.value
        experiences = self._experiences(lines, today or date.today())
        return experiences[0].title if experiences else ""

    # identity: the name is the first line written like one; the title, a line labelled as such or else the
    # header line the occupation classifier reads best (CVs put it before the name, after it, or in a summary)
    def _identity(self, lines: list[_Line]) -> tuple[DraftText | None, DraftText | None]:
        name: DraftText | None = None
        options: list[_Line] = []
        parts: list[tuple[str, str, _Line]] = []  # ("prenom", "Julie", its line), ("nom", "Martin", …)
        title: DraftText | None = None
        for line in lines[:IDENTITY_LINES]:
            if line.section.startswith("heading") or line.section not in ("header", "other"):
                continue
            labelled = _LABELLED_TITLE.match(line.key)
            if labelled:
                title = DraftText(value=_job_named(line.text[labelled.end() :]), source=_source(line))
                break
            identity = _LABELLED_IDENTITY.match(line.text)
            if identity:
                label, value = normalize_label(identity.group("label")), identity.group("value").strip()
                if label.startswith(("nom", "prenom")) and value:
                    parts.append((label, value, line))
                continue
            if _CONTACT.search(line.text) or _POSTAL.search(line.text) or _dates(line.key, date.today()):
                continue
            if name is None and self._names_a_person(line):
                name = DraftText(value=line.text.title() if line.text.isupper() else line.text, source=_source(line))
                continue
            words = len(re.sub(r"\s/\s*\S+", "", line.text).split())  # one gender: "Agent / Agente de …"
            # a summary's sentence is no title: long, or ending with a full stop
            short = 3 <= len(line.text) <= 160 and words <= TITLE_WORDS and not (words >= 5 and line.text.endswith("."))
            if short and not _LICENCE.search(line.text) and not _NOT_A_TITLE.match(line.key):
                options.append(line)
        if name is None and parts:  # the first name first, whatever order the form asked them in
            written = sorted(parts, key=lambda part: not part[0].startswith("prenom"))
            value = " ".join(v.title() if v.isupper() else v for _, v, _ in written)
            name = DraftText(value=value, source=_source(parts[0][2]))
        return name, title or self._title(options)

    def _names_a_person(self, line: _Line) -> bool:
        """ "Camille Martin", "MARTIN Camille", "Anne de Vries": two to four capitalised words (particles aside), none
        of them a job title."""
        words = line.text.split()
        return (
            bool(re.fullmatch(r"[A-Za-zÀ-ÿ' -]{3,60}", line.text))
            and 2 <= len(words) <= 4
            and words[0][0].isupper()
            and all(_name_word(w) for w in words)
            and not _NOT_A_TITLE.match(line.key)
            and self.taxonomy.rome_for_title(line.text) is None  # it normalises the label itself
        )

    def _title(self, options: list[_Line]) -> DraftText | None:
        """The option the classifier is surest names an occupation (the first one on a tie)."""
        options = options[:TITLE_OPTIONS]
        if not options:
            return None
        guesses = self.inferer.infer_many([_job_named(line.text) for line in options], k=1, abstain=False)
        confidences = [g[0].score if g else 0.0 for g in guesses]
        best = options[confidences.index(max(confidences))]
        return DraftText(value=_job_named(best.text), source=_source(best))

    def _occupations(self, draft: Draft, lines: list[_Line]) -> list[DraftOccupation]:
        candidates: list[tuple[str, Source]] = []
        if draft.title:
            candidates.append((draft.title.value, draft.title.source))
        candidates += [(e.title, e.source) for e in draft.experiences]
        found: dict[str, DraftOccupation] = {}
        for title, source in candidates:
            for guess in self.inferer.infer(title, k=3):
                occupation = self.taxonomy.occupation(guess.code)
                if guess.code not in found and occupation is not None:
                    found[guess.code] = DraftOccupation(
                        code=guess.code, label=occupation.label, confidence=round(guess.score, 3), source=source
                    )
            if len(found) >= 3:
                break
        return list(found.values())[:3]

    def _experiences(self, lines: list[_Line], today: date) -> list[DraftExperience]:
        out: list[DraftExperience] = []
        used: set[int] = set()
        for position, line in enumerate(lines):
            if line.section in ("education", "heading:education", "languages", "header"):
                continue
            found = _dates(line.key, today)
            if found is None:
                continue
            start, end, matched = found
            rest = line.text
            # Drop the date from the original text (same length once accents are folded).
            where = line.key.find(matched)
            if where >= 0 and len(line.key) == len(line.text):
                rest = (line.text[:where] + line.text[where + len(matched) :]).strip(" :–—-|,")
            else:
                rest = ""
            title_line, employer_line = line, None
            if len(re.sub(r"[^A-Za-zÀ-ÿ]", "", rest)) < 3:
                title_line, rest = self._neighbour_title(lines, position, used)
                if not rest:
                    continue
                above = lines[position - 2] if position >= 2 and title_line is lines[position - 1] else None
                if above is not None and self._titles_an_employer(title_line, above, used, today):
                    employer_line, title_line, rest = title_line, above, above.text  # title, employer, dates
            used.update({line.number, title_line.number})
            title, employer = _split_title(rest)
            if employer_line is not None and employer is None:
                employer = employer_line.text
                used.add(employer_line.number)
            if employer is None and title_line is not line:  # "Mairie de Privas" on the line after the title
                nxt = next((x for x in lines if x.number > title_line.number and x.number != line.number), None)
                if nxt and nxt.number not in used and _ORGANISATION.search(nxt.key) and not _dates(nxt.key, today):
                    employer = nxt.text
                    used.add(nxt.number)
            guesses = self.inferer.infer(title, k=1)
            out.append(
                DraftExperience(
                    title=title[:200],
                    employer=employer[:200] if employer else None,
                    start=start,
                    end=end,
                    years=_years(start, end, today),
                    rome_code=guesses[0].code if guesses else None,
                    source=_source(line),
                )
            )
        return out

    @staticmethod
    def _titles_an_employer(employer: _Line, above: _Line, used: set[int], today: date) -> bool:
        """Whether ``above`` is a job title over an employer line, the dates below both ("Chargée de formation" /
        "Centre de gestion de l'Ardèche" / "Depuis mars 2021")."""
        return (
            _names_employer_first(employer.text)
            and above.section == employer.section
            and CvReader._may_title(above, used, today)
            and not _names_employer_first(above.text)
        )

    @staticmethod
    def _may_title(line: _Line, used: set[int], today: date) -> bool:
        """Whether a line above a job's dates may be its title: not yet read, no heading, bullet or dates, short."""
        return (
            line.number not in used
            and not line.section.startswith("heading")
            and not _BULLET.match(line.text)
            and len(line.text) < 90
            and _dates(line.key, today) is None
        )

    @staticmethod
    def _neighbour_title(lines: list[_Line], position: int, used: set[int]) -> tuple[_Line, str]:
        """The title of a date line that holds only dates: the line before it, or else the one after."""
        line = lines[position]
        before = lines[position - 1] if position > 0 else None
        if before is not None and CvReader._may_title(before, used, date.today()):
            return before, before.text
        after = lines[position + 1] if position + 1 < len(lines) else None
        if (
            after is not None
            and after.number not in used
            and _dates(after.key, date.today()) is None
            and not after.section.startswith("heading")
            and not _BULLET.match(after.text)
        ):
            return after, after.text
        return line, ""

    def _skills(self, lines: list[_Line]) -> list[DraftSkill]:
        found: dict[str, DraftSkill] = {}
        for line in lines:
            readable = line.section in ("skills", "experience") and not line.section.startswith("heading")
            if not readable or _dates(line.key, date.today()):
                continue
            matches = self.extractor.rome_skills(_BULLET.sub("", line.text))
            if line.section != "skills":  # in a sentence, one word ("Enfants", "Patients") is a context, not a skill
                matches = [m for m in matches if len(self._label_terms(m.label)) > 1]
            # A label inside a longer one on the same line ("Tailler" inside "Tailler des haies") is not a skill.
            terms = {m.code: self._label_terms(m.label) for m in matches}
            for match in matches:
                if any(terms[match.code] < terms[o.code] for o in matches if o.code != match.code):
                    continue
                found.setdefault(match.code, DraftSkill(code=match.code, label=match.label, source=_source(line)))
        return list(found.values())

    def _label_terms(self, label: str) -> frozenset[str]:
        if label not in self._terms:
            self._terms[label] = frozenset(analyze(label))
        return self._terms[label]

    @staticmethod
    def _education(lines: list[_Line]) -> DraftEducation | None:
        best: DraftEducation | None = None
        order = [level for level, _ in _EDUCATION]
        for line in lines:
            if line.section not in ("education", "header"):
                continue
            for level, pattern in _EDUCATION:
                if re.search(pattern, line.key):
                    if best is None or order.index(level) < order.index(best.value):
                        best = DraftEducation(value=level, source=_source(line))
                    break
        return best

    @staticmethod
    def _languages(lines: list[_Line]) -> list[DraftText]:
        found: dict[str, DraftText] = {}
        for line in lines:
            in_section = line.section == "languages"
            labelled = line.key.startswith(("langues", "langue"))
            if not (in_section or labelled or _LEVEL_WORDS.search(line.key)):
                continue
            for word, name in LANGUAGES.items():
                if re.search(rf"\b{re.escape(word)}\b", line.key):
                    found.setdefault(name, DraftText(value=name, source=_source(line)))
        return list(found.values())

    @staticmethod
    def _licences(lines: list[_Line]) -> list[DraftText]:
        found: dict[str, DraftText] = {}
        for line in lines:
            if re.search(r"\b(?:sans|pas de|aucun) permis\b", line.key):
                continue
            for match in _LICENCE.finditer(line.text):
                if re.match(r"\s*\(?\s*en (?:cours|preparation|préparation)", match.group("rest"), re.IGNORECASE):
                    continue
                written = match.group("codes") + " " + " ".join(_LICENCE_NOTE.findall(match.group("rest")))
                for code in re.findall(rf"\b{_LICENCE_CODES}\b", written.upper()):
                    code = _LICENCE_ALIASES.get(code, code)
                    found.setdefault(code, DraftText(value=code, source=_source(line)))
        return list(found.values())

    def _commune(self, lines: list[_Line]) -> DraftCommune | None:
        for line in lines:
            for match in (*_POSTAL.finditer(line.text), *_POSTAL_AFTER.finditer(line.text)):
                communes = self.geography.resolve(match.group("code"))
                if not communes:
                    continue
                name = normalize_label(match.group("name"))
                named = [c for c in communes if name.startswith(normalize_label(c.name))]
                commune = (named or communes)[0]
                return DraftCommune(
                    insee=commune.insee, name=commune.name, postal_code=match.group("code"), source=_source(line)
                )
        return None

    @staticmethod
    def _availability(lines: list[_Line], today: date) -> DraftDate | None:
        for line in lines:
            if not _AVAILABLE.search(line.key):
                continue
            if re.search(r"immediat|des maintenant|de suite|tout de suite", line.key):
                return DraftDate(value=today, source=_source(line))
            numeric = re.search(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b", line.key)
            if numeric:
                day, month, year = (int(x) for x in numeric.groups())
                try:
                    return DraftDate(value=date(year, month, day), source=_source(line))
                except ValueError:
                    continue
            spelled = re.search(rf"\b(?:(\d{{1,2}})(?:er)?\s+)?({_MONTH})\s+((?:19|20)\d{{2}})", line.key)
            if spelled:
                day = int(spelled.group(1) or 1)
                month = MONTHS[spelled.group(2).rstrip(".")]
                try:
                    return DraftDate(value=date(int(spelled.group(3)), month, day), source=_source(line))
                except ValueError:
                    continue
        return None
