import pytest

from matcher.core.settings import REPO_ROOT
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy, gendered_forms

DATA = REPO_ROOT / "data"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy(DATA / "rome")


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography(DATA / "geo")


def test_rome_is_complete(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.occupations) == 1584
    assert len(taxonomy.job_titles) == 13120
    assert taxonomy.occupation("M1203").label.startswith("Comptable")  # type: ignore[union-attr]
    assert len(taxonomy.core_skills("K1903")) > 3


def test_job_title_to_rome(taxonomy: Taxonomy) -> None:
    assert taxonomy.rome_for_title("Agente d'accueil") == taxonomy.rome_for_title("AGENT D'ACCUEIL H/F")
    assert taxonomy.rome_for_title("Comptable") == "M1203"
    assert taxonomy.rome_for_title("titre qui n'existe pas") is None
    assert gendered_forms("Agent / Agente d'accueil") == ["Agent d'accueil", "Agente d'accueil"]


def test_both_genders_of_a_title_of_several_words(taxonomy: Taxonomy) -> None:
    """1,818 ROME labels write a gendered phrase of several words: each form is the whole phrase in one gender."""
    assert gendered_forms("Chef de partie poissonnier / Cheffe de partie poissonnière") == [
        "Chef de partie poissonnier",
        "Cheffe de partie poissonnière",
    ]
    assert gendered_forms("Sculpteur modeleur / Sculptrice modeleuse sur bois") == [
        "Sculpteur modeleur sur bois",
        "Sculptrice modeleuse sur bois",
    ]
    # A head written once, and two words of another stem taken as the pair
    assert gendered_forms("Analyste Concepteur / Conceptrice informatique") == [
        "Analyste Concepteur informatique",
        "Analyste Conceptrice informatique",
    ]
    assert gendered_forms("Steward / Hôtesse de l'air") == ["Steward de l'air", "Hôtesse de l'air"]
    assert gendered_forms("Boulanger") == ["Boulanger"]
    # What an offer writes finds the occupation
    code = taxonomy.rome_for_title("Chef de partie poissonnier")
    assert code is not None and taxonomy.rome_for_title("Cheffe de partie poissonnière") == code


def test_search_titles_for_autocomplete(taxonomy: Taxonomy) -> None:
    labels = [t.label for t in taxonomy.search_titles("aide soig")]
    assert labels and all("Aide-soignant" in label for label in labels)


def test_mobility_relation(taxonomy: Taxonomy) -> None:
    source = "A1203"
    neighbour = taxonomy.neighbours(source)[0]
    assert taxonomy.relation(source, source) == "same"
    assert taxonomy.relation(source, neighbour) == "neighbour"
    assert taxonomy.relation(neighbour, source) == "neighbour"  # either direction
    assert taxonomy.relation("M1203", None) == "none"


def test_rome_sheets_group_the_occupations_split_from_one(taxonomy: Taxonomy) -> None:
    # ROME 4.0 (``code_rome_parent``): 532 sheets, the occupations of ROME 3, over 1,584 occupations.
    assert len({o.sheet for o in taxonomy.occupations.values()}) == 532
    assert taxonomy.occupation("K1225").sheet == "K1201"  # type: ignore[union-attr]  # CESF under assistant social
    assert taxonomy.same_sheet("K1225", "K1201") and taxonomy.same_sheet("K1201", "K1225")
    # Chef d'équipe paysagiste, under the sheet of Agent d'entretien des espaces verts: no mobility link between them.
    assert taxonomy.same_sheet("A1211", "A1203") and taxonomy.relation("A1211", "A1203") == "domain"
    assert not taxonomy.same_sheet("K1201", "K1201")  # the same occupation is not a neighbour of itself
    assert not taxonomy.same_sheet("K1201", "M1203") and not taxonomy.same_sheet("K1201", None)


def test_postal_code_and_name_to_insee_to_coordinates(geography: Geography) -> None:
    aubenas = geography.resolve("07200")[0]
    assert (aubenas.insee, aubenas.name) == ("07019", "Aubenas")
    assert geography.resolve("Lyon")[0].insee == "69123"
    paris = geography.get("75056")
    assert paris is not None and 48.8 < paris.lat < 48.9
    assert geography.resolve("Nulle-Part-Sur-Mer") == []


def test_a_name_with_le_or_ne_is_found_as_people_type_it(geography: Geography) -> None:
    """A "-le" in "Lons-le-Saunier" was once read as a feminine ending ("Technicien-ne") and left out of the key."""
    lons = geography.resolve("Lons-le-Saunier")
    assert [c.name for c in lons] == ["Lons-le-Saunier"]
    assert geography.resolve("Lons le Saunier") == geography.resolve("LONS LE SAUNIER") == lons
    assert geography.search("Saint Jean le Vi")[0].name == "Saint-Jean-le-Vieux"
    assert [c.name for c in geography.resolve("Ars en Ré")] == ["Ars-en-Ré"]


def test_distances(geography: Geography) -> None:
    paris, lyon = geography.get("75056"), geography.get("69123")
    assert paris and lyon
    assert 390 < geography.distance_km(paris, lyon) < 400


def test_domains_name_and_gather_their_occupations(taxonomy: Taxonomy) -> None:
    from matcher.reference.taxonomy import GRAND_DOMAINS

    letters = {code[0] for code in taxonomy.occupations}
    assert letters == set(GRAND_DOMAINS)  # every grand domain of the shipped ROME is named, and no other
    assert taxonomy.domain_label("K") == "Services à la personne et à la collectivité"
    assert taxonomy.domain_label("A12") == "Espaces naturels et espaces verts"
    assert taxonomy.domain_label("Z") is None and taxonomy.domain_label("K99") is None
    parks = taxonomy.codes_in_domain("A12")
    assert "A1203" in parks and all(code.startswith("A12") for code in parks) and len(parks) == 14
    assert set(parks) < set(taxonomy.codes_in_domain("A")) and taxonomy.codes_in_domain("") == []
