"""Occupation inference and skill extraction from French text."""

from __future__ import annotations

import pytest

from matcher.core.settings import REPO_ROOT
from matcher.embedding.hashing import HashingEmbedder
from matcher.reference.occupations import OccupationInferer
from matcher.runtime import load_extractor, load_taxonomy

TAXONOMY = load_taxonomy(REPO_ROOT / "data" / "rome")


@pytest.fixture(scope="module")
def inferer() -> OccupationInferer:
    return OccupationInferer(TAXONOMY, HashingEmbedder())


def test_dictionary_takes_the_longest_leading_job_title(inferer: OccupationInferer) -> None:
    assert inferer.dictionary("Comptable") == "M1203"
    assert inferer.dictionary("Comptable H/F - service finances de la commune") == "M1203"
    assert inferer.dictionary("Assistant.e de direction") == TAXONOMY.rome_for_title("Assistant de direction")
    assert inferer.dictionary("xyzzy") is None


def test_inference_ranks_distinct_occupations(inferer: OccupationInferer) -> None:
    guesses = inferer.infer("Jardinier H/F", k=3)
    assert guesses[0].code == TAXONOMY.rome_for_title("Jardinier") and guesses[0].via == "dictionnaire"
    assert len({g.code for g in guesses}) == len(guesses) == 3
    unknown = inferer.infer("Chargé de mission transition écologique", k=3)
    assert unknown and all(g.via == "recherche" for g in unknown)


def test_skills_named_in_text_are_found_in_any_inflection() -> None:
    extractor = load_extractor(REPO_ROOT / "data")
    text = "Missions : taille des arbres et tonte. Vous assurez l'accueil du public. Maîtrise d'Excel appréciée."
    found = extractor.extract(text)
    rome = {m.label for m in found if m.source == "rome"}
    assert "Tailler les arbres" in rome
    assert any(m.source == "esco" for m in found)
    assert extractor.extract("") == []
    assert all(m.code in TAXONOMY.skills for m in found if m.source == "rome")
