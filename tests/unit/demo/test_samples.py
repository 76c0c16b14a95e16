from datetime import date

from matcher.core.settings import REPO_ROOT
from matcher.demo.samples import (
    MIN_WITHIN_REACH,
    coverage,
    demo_candidates,
    demo_offers,
    employer_name,
    is_demo_offer,
    named_occupations,
    shipped_offers,
)
from matcher.reference.geography import Geography
from matcher.runtime import Runtime

GEOGRAPHY = Geography(REPO_ROOT / "data" / "geo")
REFERENCE = REPO_ROOT / "data"


def raw(employer: str, kind: str = "autre", commune: str = "75056") -> dict[str, object]:
    return {"employer": employer, "employer_kind": kind, "commune_insee": commune}


def test_employer_names_are_cleaned() -> None:
    assert employer_name(raw('" Super U "'), GEOGRAPHY) == "Super U"
    assert employer_name(raw("Mairie de\n  Privas"), GEOGRAPHY) == "Mairie de Privas"
    pasted = "PRESENTATION du service :\nLe service des ressources humaines (SRH) est composé de 120 agents"
    assert employer_name(raw(pasted), GEOGRAPHY) == "Employeur public (Paris)"
    assert employer_name(raw("x" * 81, commune="07186"), GEOGRAPHY) == "Employeur public (Privas)"


def test_private_employers_only_where_labelled_as_public_service_partners() -> None:
    assert is_demo_offer(raw("Commune de Privas", "commune"))
    assert is_demo_offer(raw("Centre Hospitalier De Privas Ardeche", "prive"))
    assert not is_demo_offer(raw("Randstad", "prive"))
    names = {o["employer"] for o in demo_offers(REFERENCE)}
    assert "Randstad" not in names and "Intersport Guilherand-Granges" not in names


def test_demo_offers_are_current_and_keep_their_spread() -> None:
    today = date(2030, 6, 1)
    offers = demo_offers(REFERENCE, today=today)
    by_source: dict[str, list[date]] = {}
    for offer in offers:
        by_source.setdefault(offer["source"], []).append(date.fromisoformat(offer["published_at"]))
    assert {max(days) for days in by_source.values()} == {today}
    shipped = [o for o in shipped_offers(REFERENCE) if o["source"] == "place-emploi-public"]
    spread = max(date.fromisoformat(o["published_at"]) for o in shipped) - min(
        date.fromisoformat(o["published_at"]) for o in shipped
    )
    assert max(by_source["place-emploi-public"]) - min(by_source["place-emploi-public"]) == spread


def test_every_demo_offer_with_an_occupation_has_five_candidates_within_reach(rt: Runtime) -> None:
    made = [profile for _, profile, _ in demo_candidates(rt, 100)]
    ids = [cid for cid, _, _ in demo_candidates(rt, 0)]
    offers = demo_offers(rt.settings.reference_dir)
    named = named_occupations(rt, offers)
    # Offers without a ROME code count with the occupation the service names for them: most of them are named.
    assert len(named) > len([o for o in offers if not o["rome_code"]]) / 2
    assert not named.keys() & {o["id"] for o in offers if o["rome_code"]}
    counts = [count for _, count in coverage(offers, made, rt.geography, named)]
    assert len(counts) > 500 + len(named) - 1
    assert min(counts) >= MIN_WITHIN_REACH
    assert len(made) > 100  # the generator's 100 do not reach every offer: some were added
    assert len(ids) == len(set(ids))
