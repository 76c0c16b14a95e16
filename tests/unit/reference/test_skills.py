"""Skill extraction reads skills that are really in the text: no verb read as a field, no English label."""

from __future__ import annotations

import pytest

from matcher.core.settings import REPO_ROOT
from matcher.reference.skills import SkillExtractor, is_english
from matcher.runtime import load_extractor


@pytest.fixture(scope="module")
def extractor() -> SkillExtractor:
    return load_extractor(REPO_ROOT / "data")


def labels(extractor: SkillExtractor, text: str) -> set[str]:
    return {m.label for m in extractor.extract(text)}


def test_a_verb_is_not_the_noun_of_another_field(extractor: SkillExtractor) -> None:
    found = labels(extractor, "Vous assurez la gestion des dossiers et devez assurer l'accueil du public.")
    assert "Assurances" not in found and "Gestion des assurances" not in found
    assert "Assurances" in labels(extractor, "Connaissance des assurances obligatoires.")


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
