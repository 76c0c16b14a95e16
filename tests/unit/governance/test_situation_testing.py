"""Situation testing: profiles identical but for a marker of a protected criterion get the same score.

Markers tried (art. 225-1 Code pénal): first name and surname (origin, sex), a civility (sex), and in the
free summary a stated age or birth year, family situation, pregnancy, disability, nationality, or a home
address in another commune of the same mobility area. Scores come from the full pipeline: retrieval,
features, the shipped ranker. (Home address is not a field: a candidate only gives a mobility area.)
"""

from __future__ import annotations

import numpy as np
import pytest

from matcher.catalog.candidates import create_candidate
from matcher.catalog.offers import create_offer
from matcher.core.models import CandidateIn
from matcher.demo.profiles import ProfileGenerator
from matcher.jobs.runner import process_outbox
from matcher.ranking.pipeline import build_shortlist
from matcher.runtime import Runtime
from tests.factories import employer, offer_in

NAMES = [
    ("Camille Martin", "Mohamed Benali"),
    ("Julie Petit", "Aminata Diallo"),
    ("Pierre Durand", "Nguyen Van Anh"),
    ("Sophie Bernard", "Fatima Zahra El Idrissi"),
    ("Lucas Moreau", "Kevin Lefebvre"),
    ("M. Dominique Roux", "Mme Dominique Roux"),
    ("Monsieur Claude Girard", "Madame Claude Girard"),
]
SUMMARIES = [
    ("", "Mère de trois enfants, 52 ans."),
    ("", "Homme, 24 ans, célibataire."),
    ("", "En situation de handicap (RQTH)."),
    ("", "Femme enceinte, disponible après le congé."),
    ("Né en 1961.", "Née en 2002."),
    ("Domicile : 2 place de l'Hôtel de Ville, 07000 Privas.", "Domicile : 14 rue Jean Jaurès, 07200 Aubenas."),
    ("Nationalité française.", "Nationalité malienne, titre de séjour."),
]


def twins(rt: Runtime, count: int) -> list[tuple[CandidateIn, CandidateIn]]:
    """Pairs differing only by protected markers, around Privas (07186) where the test offer is."""
    generator = ProfileGenerator(rt.taxonomy, rt.geography, seed=11)
    pairs = []
    for number in range(count):
        profile, _ = generator.profile(number)
        base = profile.model_dump(mode="json")
        base["visibility"] = "employers"
        base["mobility"] = {"communes": ["07186"], "radius_km": 30}
        if number % 2:
            base["desired_occupations"] = ["A1203"]  # half of them in the offer's occupation
        (name_a, name_b), (summary_a, summary_b) = NAMES[number % len(NAMES)], SUMMARIES[number % len(SUMMARIES)]
        pairs.append(
            (
                CandidateIn.model_validate({**base, "display_name": name_a, "summary": summary_a}),
                CandidateIn.model_validate({**base, "display_name": name_b, "summary": summary_b}),
            )
        )
    return pairs


def test_the_twins_cover_every_marker_over_at_least_200_pairs(rt: Runtime) -> None:
    pairs = twins(rt, 200)
    assert len(pairs) == 200 and all(
        a.model_dump(exclude={"display_name", "summary"}) == b.model_dump(exclude={"display_name", "summary"})
        for a, b in pairs
    )
    assert {(a.display_name, b.display_name) for a, b in pairs} == set(NAMES)
    assert {(a.summary, b.summary) for a, b in pairs} == set(SUMMARIES)


@pytest.mark.parametrize("batch", range(4))
def test_identical_profiles_but_a_protected_marker_score_identically(rt: Runtime, batch: int) -> None:
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(session, data=offer_in(eid), **refs)
    pairs = twins(rt, 200)[batch * 50 : (batch + 1) * 50]
    ids = []
    with rt.store.transaction() as session:
        for a, b in pairs:
            ids.append(
                (
                    create_candidate(session, data=a, **refs).id,
                    create_candidate(session, data=b, **refs).id,
                )
            )
    process_outbox(rt)
    shortlist = build_shortlist(rt, offer_id=offer.id, size=100)
    scores = {e.candidate_id: e.score for e in shortlist.entries}
    ranks = {e.candidate_id: e.rank for e in shortlist.entries}
    compared = 0
    for a, b in ids:
        assert (a in scores) == (b in scores)
        if a in scores:
            assert scores[a] == pytest.approx(scores[b], abs=1e-9)
            assert abs(ranks[a] - ranks[b]) == 1 or scores[a] == scores[b]  # adjacent: only the id breaks the tie
            compared += 1
    assert compared >= 40
    assert np.isfinite(list(scores.values())).all()


GENDERED_TITLES = [
    ("Jardinier paysagiste", "Jardinière paysagiste"),
    ("Agent d'entretien des espaces verts", "Agente d'entretien des espaces verts"),
    ("Animateur périscolaire", "Animatrice périscolaire"),
    ("Technicien territorial principal", "Technicienne territoriale principale"),
    ("Chef de projet urbanisme", "Cheffe de projet urbanisme"),
    ("Infirmier scolaire", "Infirmière scolaire"),
    ("Conseiller en insertion professionnelle", "Conseillère en insertion professionnelle"),
    ("Chargé de mission développement local", "Chargée de mission développement local"),
    ("Directeur des services techniques", "Directrice des services techniques"),
    ("Éducateur de jeunes enfants", "Éducatrice de jeunes enfants"),
    ("Policier municipal", "Policière municipale"),
    ("Vendeur conseil", "Vendeuse conseil"),
]


def test_a_job_title_in_the_feminine_scores_as_in_the_masculine(rt: Runtime) -> None:
    """The sex a job title states ("Jardinière") never changes a score: text is read in one gender."""
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(session, data=offer_in(eid), **refs)
    generator = ProfileGenerator(rt.taxonomy, rt.geography, seed=23)
    ids = []
    with rt.store.transaction() as session:
        for number in range(96):  # 192 profiles: all within the retrieval depth (200), none cut at its edge
            base = generator.profile(number)[0].model_dump(mode="json")
            base |= {"visibility": "employers", "mobility": {"communes": ["07186"], "radius_km": 30}}
            if number % 2:
                base["desired_occupations"] = ["A1203"]
            masculine, feminine = GENDERED_TITLES[number % len(GENDERED_TITLES)]
            experiences = [{**e, "title": masculine} for e in base["experiences"][:1]]
            pair = [
                CandidateIn.model_validate(
                    {**base, "title": title, "experiences": [{**e, "title": title} for e in experiences]}
                )
                for title in (masculine, feminine)
            ]
            ids.append(tuple(create_candidate(session, data=c, **refs).id for c in pair))
    process_outbox(rt)
    shortlist = build_shortlist(rt, offer_id=offer.id, size=200)
    scores = {e.candidate_id: e.score for e in shortlist.entries}
    compared = 0
    for a, b in ids:
        assert (a in scores) == (b in scores)
        if a in scores:
            assert scores[a] == pytest.approx(scores[b], abs=1e-9), (a, b)
            compared += 1
    assert compared >= 80


def _title(title: str) -> dict[str, object]:
    return {"title": title}


def _experience_title(title: str) -> dict[str, object]:
    return {"experiences": [{"title": title, "years": 4}]}


# Pairs that differ only in how the profile writes what the features do read (the title, the past
# jobs, the languages, the mobility area): the same person, the same score.
EQUIVALENT_FORMS = [
    (
        "inclusive middle dot",
        _title("Agent d'entretien des espaces verts"),
        _title("Agent·e d'entretien des espaces verts"),
    ),
    ("inclusive point", _title("Agent d'entretien des espaces verts"), _title("Agent.e d'entretien des espaces verts")),
    ("inclusive suffix", _title("Jardinier"), _title("Jardinier·ère")),
    ("parenthesised ending", _title("Jardinier"), _title("Jardinier(ère)")),
    ("both forms", _title("Jardinier"), _title("Jardinier / Jardinière")),
    ("H/F", _title("Jardinier"), _title("Jardinier H/F")),
    ("feminine", _title("Jardinier"), _title("Jardinière")),
    ("capitals", _title("Animateur périscolaire"), _title("ANIMATRICE PÉRISCOLAIRE")),
    ("past job, feminine", _experience_title("Agent d'entretien"), _experience_title("Agente d'entretien")),
    ("past job, inclusive", _experience_title("Agent d'entretien"), _experience_title("Agent·e d'entretien")),
    ("languages, case", {"languages": ["français", "anglais"]}, {"languages": ["Français", "Anglais"]}),
    ("languages, accents", {"languages": ["français", "espagnol"]}, {"languages": ["francais", "espagnol"]}),
    ("languages, order", {"languages": ["français", "anglais"]}, {"languages": ["anglais", "français"]}),
    (
        "same area, communes in another order",
        {"mobility": {"communes": ["07186", "07019"], "radius_km": 30}},
        {"mobility": {"communes": ["07019", "07186"], "radius_km": 30}},
    ),
]


def test_equivalent_ways_of_writing_what_the_features_read_score_identically(rt: Runtime) -> None:
    """Unlike the markers above (in fields no feature reads), these change the text that is matched."""
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(session, data=offer_in(eid), **refs)
    generator = ProfileGenerator(rt.taxonomy, rt.geography, seed=31)
    ids = []
    with rt.store.transaction() as session:
        for number in range(4 * len(EQUIVALENT_FORMS)):
            base = generator.profile(number)[0].model_dump(mode="json")
            base |= {"visibility": "employers", "mobility": {"communes": ["07186"], "radius_km": 30}}
            if number % 2:
                base["desired_occupations"] = ["A1203"]
            name, one, other = EQUIVALENT_FORMS[number % len(EQUIVALENT_FORMS)]
            pair = [CandidateIn.model_validate({**base, **form}) for form in (one, other)]
            ids.append((name, *(create_candidate(session, data=c, **refs).id for c in pair)))
    process_outbox(rt)
    shortlist = build_shortlist(rt, offer_id=offer.id, size=200)
    scores = {e.candidate_id: e.score for e in shortlist.entries}
    unequal = sorted({name for name, a, b in ids if scores.get(a) != pytest.approx(scores.get(b), abs=1e-9)})
    assert unequal == []
    assert {name for name, a, _ in ids if a in scores} == {name for name, _, _ in EQUIVALENT_FORMS}
