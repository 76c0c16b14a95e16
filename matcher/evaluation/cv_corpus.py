"""A corpus of generated French CVs, as real PDF and DOCX files, whose every field is known.

There is no public French CV corpus, so the parser is measured on CVs written from ROME-derived
profiles (:class:`matcher.demo.profiles.ProfileGenerator`): the labels are the generator's, not a
person's. Each CV varies what real ones vary: layout (one column, a sidebar, tables, a page
header), headings, the way dates are written ("2019 - 2023", "janv. 2020 – aujourd'hui",
"depuis mars 2018", "03/2015 à 06/2017"), bullets, accents, where the skills sit. PDFs are
written with fpdf2 and DOCX with python-docx (development dependencies for fpdf2).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from matcher.core.models import CandidateIn
from matcher.demo.profiles import REFERENCE_DATE, ProfileGenerator
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy

LAYOUTS = {"pdf": ("classique", "deux-colonnes", "tableau"), "docx": ("classique", "en-tete", "tableau")}
FIRST_NAMES = (
    "Camille", "Léa", "Chloé", "Inès", "Manon", "Zoé", "Amélie", "Hélène", "Nadia", "Sophie", "Fatou", "Aurélie",
    "Lucas", "Hugo", "Théo", "Mathéo", "Noé", "Jérôme", "Sébastien", "Karim", "Franck", "Loïc", "Stéphane", "Yannick",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre",
    "Garnier", "Faure", "Rousseau", "Mercier", "Benali", "Nguyen", "Da Silva", "Lemaître", "Gauthier", "Chevalier",
)  # fmt: skip
STREETS = ("rue des Écoles", "avenue de la République", "chemin des Prés", "place de l'Église", "rue Émile Zola")
EMPLOYERS = (
    "Mairie de {c}", "Commune de {c}", "Communauté de communes du pays de {c}", "Centre hospitalier de {c}",
    "EHPAD Les Tilleuls, {c}", "Association Trait d'union ({c})", "SARL Dupuis et fils", "Département de l'Ardèche",
    "Centre communal d'action sociale de {c}", "Entreprise Moulin Services",
)  # fmt: skip
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
MONTHS_LONG = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
    "décembre",
)  # fmt: skip
DIPLOMAS = {
    "niveau_3": "CAP {d}", "niveau_4": "Baccalauréat professionnel {d}", "niveau_5": "BTS {d}",
    "niveau_6": "Licence professionnelle {d}", "niveau_7": "Master {d}", "niveau_8": "Doctorat {d}",
}  # fmt: skip
LEVELS = ("courant", "niveau B2", "notions", "intermédiaire (B1)", "lu, écrit, parlé")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@dataclass
class Job:
    title: str
    employer: str
    start: date
    end: date | None  # None: ongoing
    years: float  # the label: the generator's years of experience
    dates: str  # as written on the CV
    bullets: list[str] = field(default_factory=list)


@dataclass
class GeneratedCv:
    """A CV and its labels (from the generator)."""

    number: int
    fmt: str
    layout: str
    rome: str
    profile: CandidateIn
    name: str
    jobs: list[Job]
    commune: str
    lines: dict[str, list[str]]  # sections as written
    content: bytes = b""


def _month(rng: np.random.Generator) -> int:
    return int(rng.integers(1, 13))


def _write_dates(start: date, end: date | None, style: str) -> str:
    def short(d: date) -> str:
        return f"{MONTHS_SHORT[d.month - 1]} {d.year}"

    def long(d: date) -> str:
        return f"{MONTHS_LONG[d.month - 1]} {d.year}"

    if end is None:
        return {
            "year": f"{start.year} - aujourd'hui",
            "short": f"{short(start)} – aujourd'hui",
            "since": f"depuis {long(start)}",
            "numeric": f"depuis {start.month:02d}/{start.year}",
            "long": f"{long(start)} – ce jour",
        }[style]
    return {
        "year": f"{start.year} - {end.year}",
        "short": f"{short(start)} – {short(end)}",
        "since": f"de {long(start)} à {long(end)}",
        "numeric": f"{start.month:02d}/{start.year} à {end.month:02d}/{end.year}",
        "long": f"{long(start)} - {long(end)}",
    }[style]


def _minus(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


class CorpusGenerator:
    """Same seed, same CVs (file bytes aside: PDF writers stamp a creation date)."""

    def __init__(self, taxonomy: Taxonomy, geography: Geography, *, seed: int = 16) -> None:
        self.taxonomy, self.geography, self.seed = taxonomy, geography, seed
        self.profiles = ProfileGenerator(taxonomy, geography, seed=seed)

    def cvs(self, count: int) -> Iterator[GeneratedCv]:
        for number in range(count):
            yield self.cv(number)

    def cv(self, number: int) -> GeneratedCv:
        profile, rome = self.profiles.profile(number)
        return self.written(profile, rome, number)

    def written(self, profile: CandidateIn, rome: str, number: int) -> GeneratedCv:
        """``profile`` (of occupation ``rome``) written as the ``number``-th CV: the layout, name, address, employers
        and the way dates are written follow from the seed and the number."""
        rng = np.random.default_rng([self.seed, number, 16])
        fmt = "pdf" if number % 2 == 0 else "docx"
        layout = LAYOUTS[fmt][(number // 2) % 3]
        name = f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))]} {LAST_NAMES[rng.integers(len(LAST_NAMES))]}"
        home = self.geography.communes[profile.mobility.communes[0]]
        licences = list(profile.driving_licences)
        if licences and rng.random() < 0.15:  # heavy-vehicle licences, written the older way at times
            licences += ["C", "CE"]
        profile = profile.model_copy(update={"driving_licences": licences})
        jobs = self._jobs(profile, rng, home.name)
        skills = [self.taxonomy.skill_label(code) for code in profile.skills]
        in_jobs = int(len(skills) * rng.uniform(0.0, 0.4))  # some skills told under the jobs, the rest listed
        for position, label in enumerate(skills[:in_jobs]):
            jobs[position % len(jobs)].bullets.append(label)
        listed = skills[in_jobs:]
        occupation = self.taxonomy.occupation(rome)
        domain = occupation.label if occupation else profile.title
        diploma = DIPLOMAS[profile.education_level.value] if profile.education_level else "{d}"
        graduated = (jobs[-1].start.year - 1) if jobs else 2010
        licence_line = self._licence_line(licences, rng)
        available = profile.available_from or REFERENCE_DATE
        if (available - REFERENCE_DATE).days <= 7:
            availability = "Disponible immédiatement"
        elif rng.random() < 0.5:
            availability = f"Disponible à partir du {available:%d/%m/%Y}"
        else:
            availability = f"Disponible dès le {available.day} {MONTHS_LONG[available.month - 1]} {available.year}"
        headline = profile.title if rng.random() < 0.7 else f"Poste recherché : {profile.title}"
        lines = {
            "header": [
                name,
                headline,
                f"{int(rng.integers(1, 90))} {STREETS[rng.integers(len(STREETS))]}, {home.postal_code} {home.name}",
                f"06 {int(rng.integers(10, 99))} {int(rng.integers(10, 99))} {int(rng.integers(10, 99))} "
                f"{int(rng.integers(10, 99))} · {name.split()[0].lower()}.exemple@courriel.fr",
                availability,
            ],
            "skills": listed,
            "education": [f"{graduated - 2} - {graduated} : " + diploma.format(d=domain)],
            "languages": [
                "Français : langue maternelle" if lang == "français" else f"{lang.capitalize()} : {LEVELS[i % 5]}"
                for i, lang in enumerate(profile.languages)
            ],
            "other": [licence_line] if licence_line else [],
        }
        return GeneratedCv(number, fmt, layout, rome, profile, name, jobs, home.insee, lines)

    def _jobs(self, profile: CandidateIn, rng: np.random.Generator, place: str) -> list[Job]:
        jobs: list[Job] = []
        end: date | None = None
        cursor = REFERENCE_DATE
        for position, experience in enumerate(profile.experiences):
            months = max(int(experience.years * 12) - int(rng.integers(0, 6)), int(rng.integers(2, 9)))
            start = _minus(cursor, months)
            styles = ("year", "short", "since", "numeric", "long")
            style = styles[rng.integers(len(styles))]
            if style == "year" and experience.years < 2:
                style = "short"  # nobody writes "2025 - 2025"
            employer = EMPLOYERS[rng.integers(len(EMPLOYERS))].format(c=place)
            jobs.append(Job(experience.title, employer, start, end, experience.years, _write_dates(start, end, style)))
            end = _minus(start, int(rng.integers(1, 4)))
            cursor = end
            del position
        return jobs

    @staticmethod
    def _licence_line(licences: list[str], rng: np.random.Generator) -> str:
        if not licences:
            return ""
        written = ["EC" if code == "CE" and rng.random() < 0.5 else code for code in licences]
        if len(written) == 1:
            return f"Permis {written[0]}" + (" (véhicule personnel)" if rng.random() < 0.5 else "")
        return f"Permis {', '.join(written[:-1])} et {written[-1]}"

    # --- files ---------------------------------------------------------------------------------

    def render(self, cv: GeneratedCv) -> GeneratedCv:
        cv.content = _pdf(cv) if cv.fmt == "pdf" else _docx(cv)
        return cv


def cv_text(cv: GeneratedCv) -> str:
    """The CV as one text, in the reading order of its one-column layout: what a text extractor gives of it."""
    style = cv.number % 3
    lines = list(cv.lines["header"])
    sections = [("experience", [line for job in cv.jobs for line in _job_lines(job, cv.number)])]
    sections += [(section, cv.lines[section]) for section in ("skills", "education", "languages", "other")]
    for section, section_lines in sections:
        if section_lines:
            lines += [HEADINGS[section][style], *section_lines]
    return "\n".join(lines)


def _job_lines(job: Job, number: int) -> list[str]:
    """How one job is written: date and title on one line, or on lines of their own, in turns."""
    variant = number % 3
    bullets = [f"• {b}" if number % 2 else f"- {b}" for b in job.bullets]
    if variant == 0:
        return [f"{job.dates} : {job.title} — {job.employer}", *bullets]
    if variant == 1:
        return [job.dates, job.title, job.employer, *bullets]
    return [f"{job.title}, {job.employer}", job.dates, *bullets]


HEADINGS = {
    "experience": ("EXPÉRIENCES PROFESSIONNELLES", "Expérience professionnelle", "Parcours professionnel"),
    "skills": ("COMPÉTENCES", "Compétences clés", "Savoir-faire"),
    "education": ("FORMATION", "Diplômes et formations", "Formation"),
    "languages": ("LANGUES", "Langues", "Langues"),
    "other": ("PERMIS ET MOBILITÉ", "Informations complémentaires", "Divers"),
}


def _pdf(cv: GeneratedCv) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    unicode_font = FONT.exists() and FONT_BOLD.exists()
    if unicode_font:
        pdf.add_font("cv", "", str(FONT))
        pdf.add_font("cv", "B", str(FONT_BOLD))
    family = "cv" if unicode_font else "helvetica"

    def clean(text: str) -> str:
        if unicode_font:
            return text
        return text.replace("’", "'").replace("–", "-").replace("—", "-").replace("•", "-").replace("·", "-")

    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    heading = HEADINGS
    style = cv.number % 3

    def block(title: str, lines: list[str], *, width: float, x: float) -> None:
        if not lines:
            return
        pdf.set_x(x)
        pdf.set_font(family, "B", 11)
        pdf.multi_cell(width, 6, clean(title), new_x="LEFT", new_y="NEXT")
        pdf.set_font(family, "", 9.5)
        for line in lines:
            pdf.set_x(x)
            pdf.multi_cell(width, 5, clean(line), new_x="LEFT", new_y="NEXT")
        pdf.ln(2)

    experience = [line for job in cv.jobs for line in _job_lines(job, cv.number)]
    header = cv.lines["header"]
    if cv.layout == "deux-colonnes":
        pdf.set_font(family, "B", 16)
        pdf.multi_cell(0, 8, clean(header[0]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 11)
        pdf.multi_cell(0, 6, clean(header[1]), new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y() + 2
        pdf.set_y(top)  # sidebar first (as these templates write it), then the main column
        block("Contact", header[2:], width=58, x=10)
        block(heading["skills"][style], cv.lines["skills"], width=58, x=10)
        block(heading["languages"][style], cv.lines["languages"], width=58, x=10)
        block(heading["other"][style], cv.lines["other"], width=58, x=10)
        pdf.set_y(top)
        block(heading["experience"][style], experience, width=125, x=75)
        block(heading["education"][style], cv.lines["education"], width=125, x=75)
    elif cv.layout == "tableau":
        pdf.set_font(family, "B", 16)
        pdf.multi_cell(0, 8, clean(header[0]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        for line in header[1:]:
            pdf.multi_cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font(family, "B", 11)
        pdf.multi_cell(0, 6, clean(heading["experience"][style]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        with pdf.table(col_widths=(45, 145), first_row_as_headings=False) as table:
            for job in cv.jobs:
                row = table.row()
                row.cell(clean(job.dates))
                row.cell(clean("\n".join([f"{job.title} — {job.employer}", *(f"- {b}" for b in job.bullets)])))
        pdf.ln(3)
        for section in ("skills", "education", "languages", "other"):
            block(heading[section][style], cv.lines[section], width=190, x=10)
    else:
        pdf.set_font(family, "B", 16)
        pdf.multi_cell(0, 8, clean(header[0]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        for line in header[1:]:
            pdf.multi_cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        block(heading["experience"][style], experience, width=190, x=10)
        for section in ("skills", "education", "languages", "other"):
            block(heading[section][style], cv.lines[section], width=190, x=10)
    return bytes(pdf.output())


def _docx(cv: GeneratedCv) -> bytes:
    from docx import Document

    document = Document()
    style = cv.number % 3
    header = cv.lines["header"]
    experience = [line for job in cv.jobs for line in _job_lines(job, cv.number)]

    def block(container: Any, title: str, lines: list[str]) -> None:
        if not lines:
            return
        container.add_paragraph(HEADINGS[title][style]).runs[0].bold = True
        for line in lines:
            container.add_paragraph(line)

    if cv.layout == "en-tete":
        page_header = document.sections[0].header
        page_header.paragraphs[0].text = header[0]
        for line in header[1:]:
            page_header.add_paragraph(line)
        block(document, "experience", experience)
        for section in ("skills", "education", "languages", "other"):
            block(document, section, cv.lines[section])
    elif cv.layout == "tableau":
        document.add_heading(header[0], level=1)
        table = document.add_table(rows=1, cols=2)
        side, main = table.rows[0].cells
        side.paragraphs[0].text = "Contact"
        for line in header[1:]:
            side.add_paragraph(line)
        for section in ("skills", "languages", "other"):
            block(side, section, cv.lines[section])
        main.paragraphs[0].text = HEADINGS["experience"][style]
        for line in experience:
            main.add_paragraph(line)
        block(main, "education", cv.lines["education"])
    else:
        document.add_heading(header[0], level=1)
        for line in header[1:]:
            document.add_paragraph(line)
        block(document, "experience", experience)
        for section in ("skills", "education", "languages", "other"):
            block(document, section, cv.lines[section])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
