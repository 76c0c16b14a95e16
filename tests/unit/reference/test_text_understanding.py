"""Skill extraction from French text."""

from __future__ import annotations

from matcher.core.settings import REPO_ROOT
from matcher.runtime import load_extractor, load_taxonomy

TAXONOMY = load_taxonomy(REPO_ROOT / "data" / "rome")


def test_skills_named_in_text_are_found_in_any_inflection() -> None:
    extractor = load_extractor(REPO_ROOT / "data")
    text = "Missions : taille des arbres et tonte. Vous assurez l'accueil du public. Maîtrise d'Excel appréciée."
    found = extractor.extract(text)
    rome = {m.label for m in found if m.source == "rome"}
    assert "Tailler les arbres" in rome
    assert any(m.source == "esco" for m in found)
    assert extractor.extract("") == []
    assert all(m.code in TAXONOMY.skills for m in found if m.source == "rome")
