"""Skill extraction reads skills that are really in the text: no verb read as a field, no English label, no word
of another sense or mere topic read as a skill."""

from __future__ import annotations

import pytest

from matcher.core.settings import REPO_ROOT
from matcher.reference.skills import SkillExtractor, is_english
from matcher.runtime import load_extractor


@pytest.fixture(scope="module")
def extractor() -> SkillExtractor:
    return load_extractor(REPO_ROOT / "data")


def labels(extractor: SkillExtractor, text: str, occupations: tuple[str, ...] = ()) -> set[str]:
    return {m.label for m in extractor.extract(text, occupations)}


def test_a_verb_is_not_the_noun_of_another_field(extractor: SkillExtractor) -> None:
    found = labels(extractor, "Vous assurez la gestion des dossiers et devez assurer l'accueil du public.")
    assert "Assurances" not in found and "Gestion des assurances" not in found
    # The noun itself is read, where the job is insurance (a one-word label needs that support, see below).
    assert "Assurances" in labels(extractor, "Connaissance des assurances obligatoires.", occupations=("C1102",))


def test_inflected_multi_word_skills_are_still_found(extractor: SkillExtractor) -> None:
    assert "Tailler les arbres" in labels(extractor, "Missions : taille des arbres fruitiers et tonte.")


def test_words_of_a_label_must_be_close(extractor: SkillExtractor) -> None:
    near = labels(extractor, "Contrôle qualité des produits.")
    far = labels(extractor, "Contrôle des accès au bâtiment, accueil, courrier, archivage et, enfin, qualité de vie.")
    assert "Contrôle qualité" in near and "Contrôle qualité" not in far


def test_no_english_label_is_read_in_french_text(extractor: SkillExtractor) -> None:
    assert is_english("Analysis Services") and is_english("data mining") and not is_english("marketing digital")
    found = extractor.extract("Analyse des services rendus aux usagers et des données de fréquentation.")
    assert not any(is_english(m.label) for m in found)
    # A product named in English is still found where the text names it.
    assert "Analysis Services" in labels(extractor, "Cubes SQL Server Analysis Services et Power BI.")


def test_a_one_letter_word_of_a_label_is_required(extractor: SkillExtractor) -> None:
    assert not {"Langage C++", "Langage C#"} & labels(extractor, "Il rédige les éléments de langage du ministre.")


def test_a_noun_is_not_found_in_another_noun_of_its_stem(extractor: SkillExtractor) -> None:
    assert "Equipements de sécurité" not in labels(
        extractor, "Vous animez l'équipe chargée de la sécurité des denrées."
    )
    assert "Equipements de sécurité" in labels(extractor, "Vérifier les équipements de sécurité.")


def test_a_common_word_alone_needs_the_text_to_support_it(extractor: SkillExtractor) -> None:
    # Another sense ("dans une optique de", "une politique d'achat"), and a mere topic of the text.
    assert not labels(extractor, "Il coache les équipes dans une optique de performance.")
    assert not labels(extractor, "Vous participez à la définition de la politique d'achat.")
    assert not labels(extractor, "Comptable. Le groupe est présent dans la restauration.")
    # Supported: the job's occupation (given, or a ROME job title in the first sentence), or the word named again.
    assert "optique" in labels(extractor, "Il coache les équipes dans une optique de performance.", ("J1405",))
    assert "Restauration" in labels(extractor, "Cuisinier. Vous travaillez pour la restauration.")
    assert "logistique" in labels(extractor, "La logistique du site et la logistique des salons.")
    assert "logistique" not in labels(extractor, "La logistique du site.")


def test_a_term_of_art_needs_no_support(extractor: SkillExtractor) -> None:
    assert {"InDesign", "Photoshop"} <= labels(extractor, "Maîtriser InDesign et Photoshop.")


def test_work_contexts_say_what_they_are_and_fit_a_job_through_rome_links(extractor: SkillExtractor) -> None:
    text = "Agent polyvalent. Comme tout adulte de la structure, vous participez à la mission éducative."
    assert "Adultes" not in labels(extractor, text)
    (adults,) = [m for m in extractor.extract(text, ("K2111",)) if m.label == "Adultes"]  # trainers work with adults
    assert adults.kind == "contexte"
    assert [m.kind for m in extractor.extract("Menuisier en atelier.") if m.label == "En atelier"] == ["contexte"]


def test_the_skills_compared_and_shown_leave_work_contexts_out(extractor: SkillExtractor) -> None:
    text = "Boulanger. Fabrication du pain, travail le dimanche."
    read = {m.label: m.code for m in extractor.extract(text)}
    assert {"Boulanger", "Travail le dimanche"} <= set(read)
    # The skill stays; the condition of work goes (a page would list it among the skills a candidate misses).
    assert extractor.rome_codes(text) == [read["Boulanger"]]


def test_a_rome_and_an_esco_skill_of_one_label_are_one_reading(extractor: SkillExtractor) -> None:
    found = extractor.extract("Ingénieur informatique. Vous rejoignez la direction des systèmes.")
    assert [(m.source, m.label) for m in found if m.label.lower() == "informatique"] == [("rome", "Informatique")]
    # The ROME codes callers use take the job's occupations too.
    assert extractor.rome_codes("Connaissance des assurances obligatoires.", ("C1102",)) == ["122700"]


def test_what_the_text_says_of_its_employer_is_not_the_job(extractor: SkillExtractor) -> None:
    job = "Comptable. Vous tenez la comptabilité générale et organisez un recrutement de saisonniers par an."
    agency = (
        "Comptable. Le cabinet de recrutement Alpha organise un recrutement pour l'un de ses clients. "
        "Vous tenez la comptabilité générale."
    )
    assert "Organiser un recrutement" in labels(extractor, job, ("M1203",))
    found = labels(extractor, agency, ("M1203",))
    assert "Organiser un recrutement" not in found and "Comptabilité générale" in found
    # A team the job leads is not its employer.
    team = "Chef d'équipe. Vous assurez la gestion d'équipe d'un service qui compte 12 agents."
    assert "Gestion d'équipe" in labels(extractor, team, ("K2204",))


def test_the_name_of_an_institution_is_not_a_skill(extractor: SkillExtractor) -> None:
    named = "Chef de cabinet. Relations avec le cabinet du ministre de l'Economie et des Finances."
    assert not {"Economie", "Finance"} & labels(extractor, named, ("M1602",))
    # The same words, said of the job, are read.
    assert "Finances publiques" in labels(extractor, "Gestionnaire. Vous maîtrisez les finances publiques.")
