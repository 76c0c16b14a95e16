"""Which texts are read as French: the reference data only speaks French."""

from __future__ import annotations

import pytest

from matcher.core.settings import REPO_ROOT
from matcher.demo.samples import shipped_offers
from matcher.reference.language import is_french


def test_every_shipped_offer_is_french() -> None:
    offers = list(shipped_offers(REPO_ROOT / "data"))
    assert all(is_french(f"{raw['title']}. {raw['description']}") for raw in offers)


@pytest.mark.parametrize(
    "text",
    [
        "We are looking for a software engineer to join our team and build the platform with you.",
        "Buscamos un técnico de mantenimiento para nuestro equipo, con experiencia en los sistemas del edificio.",
        "Wir suchen eine Pflegefachkraft für unser Team, mit Erfahrung in der Altenpflege und auf Station.",
        "Cerchiamo un addetto alle pulizie per il nostro cliente, con esperienza nella pulizia delle camere.",
    ],
)
def test_other_languages_are_not_french(text: str) -> None:
    assert not is_french(text)


@pytest.mark.parametrize(
    "text",
    [
        "Jardinier",  # a bare title: too short to tell, so the service's language
        "Chef de projet",
        "Agent d'entretien des espaces verts. Vous entretenez les massifs et les pelouses de la commune.",
        "Technicien SIG. Administration de la base de données, mise à jour des plans, lien avec les services.",
    ],
)
def test_french_texts_and_short_titles_are_french(text: str) -> None:
    assert is_french(text)
