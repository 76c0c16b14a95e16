"""Reading CV text into a draft: dates as people write them, licences, languages, places, and each source line."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.core.settings import get_settings
from matcher.cv.draft import CvReader, without_leisure
from matcher.runtime import load_classifier, load_extractor, load_geography, load_taxonomy

TODAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def reader() -> CvReader:
    folder = get_settings().reference_dir
    return CvReader(
        taxonomy=load_taxonomy(folder / "rome"),
        geography=load_geography(folder / "geo"),
        extractor=load_extractor(folder),
        inferer=load_classifier(folder / "rome"),
    )


def _cv(*experience: str, extra: tuple[str, ...] = ()) -> str:
    header = ["Camille Martin", "Jardinière paysagiste", "12 rue des Lilas, 07000 Privas", "", "EXPÉRIENCES"]
    return "\n".join([*header, *experience, *extra])


@pytest.mark.parametrize(
    ("line", "start", "end", "years"),
    [
        ("2019 - 2023 : Jardinière — Mairie de Privas", date(2019, 1, 1), date(2023, 1, 1), 4.0),
        ("janv. 2020 – aujourd'hui : Jardinière — Mairie de Privas", date(2020, 1, 1), None, 6.0),
        ("Depuis mars 2018 : Jardinière — Mairie de Privas", date(2018, 3, 1), None, 7.8),
        ("03/2015 à 06/2017 : Jardinière — Mairie de Privas", date(2015, 3, 1), date(2017, 6, 1), 2.2),
        ("De septembre 2010 à juin 2014 : Jardinière — Mairie de Privas", date(2010, 9, 1), date(2014, 6, 1), 3.8),
        ("Févr. 2021 - Déc. 2022 | Jardinière | Mairie de Privas", date(2021, 2, 1), date(2022, 12, 1), 1.8),
    ],
)
def test_dates_as_people_write_them(reader: CvReader, line: str, start: date, end: date | None, years: float) -> None:
    draft = reader.read(_cv(line), today=TODAY)
    (experience,) = draft.experiences
    assert (experience.start, experience.end, experience.years) == (start, end, years)
    assert experience.title == "Jardinière" and experience.employer == "Mairie de Privas"
    assert experience.source.line == 6 and experience.source.text == line


def test_title_on_the_line_before_or_after_its_dates_either_order(reader: CvReader) -> None:
    text = _cv(
        "EHPAD Les Glycines — Aide-soignante",
        "avril 2017 – 2020",
        "- Réaliser les soins d'hygiène",
        "2012 - 2015",
        "Agent de service hospitalier",
        "Centre hospitalier de Romans",
    )
    first, second = reader.read(text, today=TODAY).experiences
    assert (first.title, first.employer, first.years) == ("Aide-soignante", "EHPAD Les Glycines", 2.8)
    assert (second.title, second.employer, second.years) == (
        "Agent de service hospitalier",
        "Centre hospitalier de Romans",
        3.0,
    )


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("Permis B", ["B"]),
        ("Permis B, C et EC", ["B", "C", "CE"]),
        ("Permis de conduire : B + remorque (BE)", ["B", "BE"]),
        ("permis poids lourd C, CE, D (FIMO à jour)", ["C", "CE", "D"]),
        ("Permis B en cours", []),
        ("Sans permis", []),
        ("Titulaire du permis de construire", []),
    ],
)
def test_driving_licences(reader: CvReader, line: str, codes: list[str]) -> None:
    draft = reader.read(_cv(extra=("DIVERS", line)), today=TODAY)
    assert [x.value for x in draft.driving_licences] == codes
    assert all(x.source.text == line for x in draft.driving_licences)


def test_languages_education_commune_and_availability_with_their_lines(reader: CvReader) -> None:
    text = _cv(
        "2019 - 2023 : Jardinière — Mairie de Privas",
        extra=(
            "FORMATION",
            "2012 : Baccalauréat professionnel",
            "2014 : BTS Aménagements paysagers",
            "LANGUES",
            "Français (langue maternelle), anglais B2, LSF notions",
            "Disponible à partir du 2 février 2026",
        ),
    )
    draft = reader.read(text, today=TODAY)
    assert [x.value for x in draft.languages] == ["français", "anglais", "langue des signes"]
    assert draft.education_level is not None and draft.education_level.value.value == "niveau_5"
    assert draft.education_level.source.text == "2014 : BTS Aménagements paysagers"
    assert draft.commune is not None and (draft.commune.insee, draft.commune.source.line) == ("07186", 3)
    assert draft.available_from is not None and draft.available_from.value == date(2026, 2, 2)
    assert draft.name is not None and draft.name.value == "Camille Martin"
    assert draft.title is not None and draft.title.value == "Jardinière paysagiste"
    assert draft.occupations and draft.occupations[0].code == "A1208"  # Jardinier / Jardinière paysagiste
    profile = draft.profile()
    assert profile["desired_occupations"] == ["A1208"] and profile["mobility"]["communes"] == ["07186"]


def test_a_pdf_wrapped_line_is_joined_back(reader: CvReader) -> None:
    text = _cv(
        "Jardinière, Centre",
        "communal d'action sociale de Privas",
        "mars 2021 – aujourd'hui",
        extra=("COMPÉTENCES", "Tailler les", "arbres"),
    )
    draft = reader.read(text, today=TODAY)
    (experience,) = draft.experiences
    assert experience.employer == "Centre communal d'action sociale de Privas"
    assert "100063" in [s.code for s in draft.skills]  # "Tailler les arbres", split over two lines


def test_one_word_contexts_in_sentences_are_not_skills(reader: CvReader) -> None:
    draft = reader.read(_cv("2019 - 2023 : Auxiliaire — Crèche de Privas", "- Accueillir les enfants et les familles"))
    assert not [s for s in draft.skills if s.label in ("Enfants", "Familles")]


BODY = ("EXPÉRIENCES", "2019 - 2023 : Jardinière — Mairie de Privas")


@pytest.mark.parametrize(
    "header",
    [
        ("Camille Martin", "Jardinière paysagiste", "12 rue des Lilas, 07000 Privas"),
        ("Jardinière paysagiste", "Camille Martin", "12 rue des Lilas, 07000 Privas"),
        ("CURRICULUM VITAE", "MARTIN Camille", "07 12 34 56 78", "Jardinière paysagiste"),
        ("Camille Martin", "Disponible immédiatement", "Née le 3 mars 1990", "Jardinière paysagiste"),
    ],
    ids=["name first", "title first", "cv heading", "lines that are not titles"],
)
def test_the_title_is_found_however_the_header_is_laid_out(reader: CvReader, header: tuple[str, ...]) -> None:
    draft = reader.read("\n".join([*header, *BODY]), today=TODAY)
    assert draft.title is not None and draft.title.value == "Jardinière paysagiste"
    assert draft.name is not None and draft.name.value in ("Camille Martin", "MARTIN Camille")
    assert draft.occupations[0].code == "A1208"


@pytest.mark.parametrize("name", ["Camille Martin", "Anne de Vries", "Jean-Marc d'Ornano"])
def test_a_job_title_is_not_read_as_the_name(reader: CvReader, name: str) -> None:
    draft = reader.read("\n".join(["Agent d'entretien", name, "12 rue des Lilas, 07000 Privas"]))
    assert draft.name is not None and draft.name.value == name
    assert draft.title is not None and draft.title.value == "Agent d'entretien"


def test_the_headline_is_the_title_else_the_first_job(reader: CvReader) -> None:
    assert reader.headline("\n".join(["Camille Martin", "Jardinière paysagiste", *BODY])) == "Jardinière paysagiste"
    untitled = "\n".join(["EXPÉRIENCES", "2019 - 2023 : Aide-soignante — EHPAD Les Glycines", "2015 - 2019 : Agent"])
    assert reader.headline(untitled, today=TODAY) == "Aide-soignante"
    assert reader.headline("") == ""


def test_hobbies_are_left_out_of_the_working_text_and_the_sections_after_them_kept() -> None:
    work = ["Camille Martin", "Comptable", "EXPÉRIENCES", "2019 - 2023 : Comptable — Mairie de Privas"]
    hobbies = ["Centres d'intérêt", "Guitare, cuisine, bénévole dans une association"]
    cv = "\n".join([*work, *hobbies, "LANGUES", "Anglais courant"])
    kept = without_leisure(cv).split("\n")
    assert "Guitare, cuisine, bénévole dans une association" not in kept and "Centres d'intérêt" not in kept
    assert kept[:4] == cv.split("\n")[:4] and kept[-2:] == ["LANGUES", "Anglais courant"]
    assert without_leisure("Loisirs : pêche, vélo\nPermis B").split("\n") == ["Permis B"]
    long_list = "Centres d'intérêt et loisirs : cuisine, couture, guitare, randonnée, bénévolat, photographie"
    assert (
        without_leisure(f"COMPÉTENCES\nGestion comptable\n{long_list}\nPermis B")
        == "COMPÉTENCES\nGestion comptable\nPermis B"
    )
    prose = "Je suis comptable depuis dix ans.\nJ'aime la cuisine et les loisirs créatifs."
    assert without_leisure(prose) == prose  # no hobbies heading: the text as it is


def test_a_job_named_after_leisure_is_no_heading(reader: CvReader) -> None:
    """ "Animatrice loisirs" ends like the "Loisirs" heading: read at its start only, it stays a job of the section."""
    text = _cv("Animatrice loisirs", "2018 - 2021", "Centre social de Privas", "- Encadrer des groupes d'enfants")
    (experience,) = reader.read(text, today=TODAY).experiences
    assert (experience.title, experience.employer, experience.years) == (
        "Animatrice loisirs",
        "Centre social de Privas",
        3.0,
    )


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("Mes compétences", "skills"),
        ("Domaines de compétences :", "skills"),
        ("AUTRES EXPÉRIENCES", "experience"),
        ("Mon parcours", "experience"),
        ("Parcours scolaire", "education"),
        ("Mes centres d'intérêt", "leisure"),
        ("Responsable formation", None),  # a job, not the education heading
        ("Chargée de formation", None),
        ("Conseiller langues", None),
        ("Techniques de formation", None),  # a skill
        ("- Formation des agents", None),  # a bullet
        ("Formation du personnel sur la", None),  # a line a PDF cut short
        ("Work Experience", "experience"),  # English puts its qualifiers first
        ("Skills and competencies", "skills"),
        ("Training officer", None),  # an English job title that starts with a heading's word
    ],
)
def test_a_heading_starts_with_its_word_after_qualifiers_only(line: str, section: str | None) -> None:
    from matcher.cv.draft import _heading, _key

    assert _heading(_key(line)) == section


def test_title_employer_and_dates_on_three_lines(reader: CvReader) -> None:
    text = _cv(
        "Chargée de formation",
        "Centre de gestion de la fonction publique territoriale de l'Ardèche",
        "Depuis mars 2021",
        "- Animation de sessions de formation",
        "Responsable formation",
        "Mairie de Montélimar",
        "2016 - 2021",
    )
    first, second = reader.read(text, today=TODAY).experiences
    assert (first.title, first.employer, first.years) == (
        "Chargée de formation",
        "Centre de gestion de la fonction publique territoriale de l'Ardèche",
        4.8,
    )
    assert (second.title, second.employer, second.years) == ("Responsable formation", "Mairie de Montélimar", 5.0)


def test_a_commune_written_before_its_postal_code(reader: CvReader) -> None:
    draft = reader.read("Sophie Marchand\nChargée de formation\nLe Teil (07400) · 06 12 98 44 70")
    assert draft.commune is not None and (draft.commune.insee, draft.commune.postal_code) == ("07319", "07400")


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("2016 : Diplôme d'État d'aide-soignant", "niveau_4"),
        ("Diplôme d’État d’infirmier (2010)", "niveau_6"),
        ("Diplôme d'État d'accompagnant éducatif et social", "niveau_3"),
        ("BPJEPS activités aquatiques et de la natation", "niveau_4"),
    ],
)
def test_state_diplomas_at_their_level(reader: CvReader, line: str, level: str) -> None:
    draft = reader.read(_cv(extra=("FORMATION", line)), today=TODAY)
    assert draft.education_level is not None and draft.education_level.value.value == level


def test_a_summary_sentence_is_not_the_title(reader: CvReader) -> None:
    text = "\n".join(
        [
            "Camille Martin",
            "Dix ans de formation des agents territoriaux, du recueil des besoins au bilan.",
            "Jardinière paysagiste",
            *BODY,
        ]
    )
    draft = reader.read(text, today=TODAY)
    assert draft.title is not None and draft.title.value == "Jardinière paysagiste"


def test_a_cv_written_in_english_is_read_with_the_same_sections(reader: CvReader) -> None:
    text = "\n".join(
        [
            "John Smith",
            "Training Officer",
            "Summary",
            "Eight years designing and delivering training for local government staff.",
            "Work Experience",
            "Training Officer, Manchester City Council",
            "March 2019 - Present",
            "Learning and Development Assistant",
            "Leeds City Council",
            "Jan 2015 to Feb 2019",
            "Education",
            "2014 BSc Education Studies, University of Leeds",
            "Languages",
            "English (native), French (intermediate)",
        ]
    )
    draft = reader.read(text, today=TODAY)
    assert draft.title is not None and draft.title.value == "Training Officer"
    assert [(e.title, e.employer, e.years) for e in draft.experiences] == [
        ("Training Officer", "Manchester City Council", 6.8),
        ("Learning and Development Assistant", "Leeds City Council", 4.1),
    ]
    assert draft.education_level is not None and draft.education_level.value.value == "niveau_6"
    assert [x.value for x in draft.languages] == ["anglais", "français"]


@pytest.mark.parametrize(
    "line",
    [
        "Objectif : un poste de jardinière paysagiste",
        "Recherche un emploi de jardinière paysagiste",
        "Emploi souhaité : jardinière paysagiste",
        "Métier : Jardinière paysagiste",
    ],
)
def test_the_title_is_the_job_without_its_lead_in(reader: CvReader, line: str) -> None:
    draft = reader.read("\n".join(["Camille Martin", line, *BODY]), today=TODAY)
    assert draft.title is not None and draft.title.value == "Jardinière paysagiste"
    assert draft.title.source.text == line and draft.occupations[0].code == "A1208"


@pytest.mark.parametrize("bullet", ["•", "\uf0a7", "➢", "✔", "o"])
def test_bullets_as_word_processors_write_them(reader: CvReader, bullet: str) -> None:
    """A bulleted task under its job is no job title: the dates' title is the line above the employer's."""
    text = _cv("Jardinière", "Mairie de Privas", "2019 - 2023", f"{bullet} Tailler les arbres", "2015 - 2019")
    experiences = reader.read(text, today=TODAY).experiences
    assert [(e.title, e.employer) for e in experiences][:1] == [("Jardinière", "Mairie de Privas")]
    assert all(not e.title.endswith("Tailler les arbres") for e in experiences)


def test_a_form_s_identity_lines_give_the_name_and_never_the_title(reader: CvReader) -> None:
    text = "\n".join(
        [
            "CURRICULUM VITAE",
            "Nom : MARTIN",
            "Prénom : Julie",
            "Tél. : 06 12 34 56 78",
            "Assistante administrative",
            *BODY,
        ]
    )
    draft = reader.read(text, today=TODAY)
    assert draft.name is not None and (draft.name.value, draft.name.source.line) == ("Julie Martin", 2)
    assert draft.title is not None and draft.title.value == "Assistante administrative"
    labelled = reader.read("Nom : Martin\nPrénom : Julie\nObjectif : un poste de jardinière paysagiste", today=TODAY)
    assert labelled.name is not None and labelled.name.value == "Julie Martin"
    assert labelled.title is not None and labelled.title.value == "Jardinière paysagiste"
