"""An offer with no structured side (another language) is ranked by its retrieval alone; a French one the occupation
classifier is unsure of keeps every guess, weighed by its confidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from matcher.catalog.candidates import create_candidate
from matcher.catalog.offers import create_offer
from matcher.cv.draft import without_leisure
from matcher.governance import audit
from matcher.jobs.runner import process_outbox
from matcher.ranking.features import CandidateView, OfferView, has_structure, pair_facts, retrieval_scores
from matcher.ranking.pipeline import build_shortlist, rank_pairs
from matcher.ranking.scorer import RetrievalScorer
from matcher.ranking.views import candidate_view_from_text, offer_view_from_text
from matcher.reference.classifier import leading_title
from matcher.runtime import Runtime
from tests.factories import candidate_in, employer, offer_in

TODAY = date(2026, 1, 5)
ENGLISH_OFFER = (
    "Gardener",
    "We are looking for a gardener to maintain the parks of the town. You will mow the lawns and prune the hedges, "
    "and you have experience with the tools of the trade.",
)
ENGLISH_PROFILES = [
    ("Software engineer", "I build web applications with Python and the cloud, and I have worked for a bank."),
    ("Gardener", "I have maintained parks and gardens for ten years: lawns, hedges, and the tools of the trade."),
    ("Nurse", "I am a nurse with experience in the care of the elderly, at the hospital and at home."),
    ("Landscaper", "I design and build gardens, plant trees and hedges, and I have my own tools."),
]


def test_text_in_another_language_gets_no_occupation_and_no_skills(rt: Runtime) -> None:
    offer = offer_view_from_text(*ENGLISH_OFFER, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor)
    assert not offer.occupations and not offer.required_skills and not offer.desired_skills
    assert not has_structure(offer)
    candidate = candidate_view_from_text("c", *ENGLISH_PROFILES[1], inferer=rt.inferer, extractor=rt.extractor)
    assert not candidate.occupations and not candidate.skills
    french = offer_view_from_text(
        "Jardinier",
        "Vous entretenez les espaces verts de la commune : tonte, taille des haies, entretien du matériel.",
        taxonomy=rt.taxonomy,
        inferer=rt.inferer,
        extractor=rt.extractor,
    )
    assert has_structure(french)


def test_an_offer_without_a_title_is_read_from_the_words_it_opens_with() -> None:
    description = "La commune recrute pour ses crèches un agent qui accueille les enfants et leurs parents."
    assert leading_title(f"\n  Auxiliaire de puériculture \n{description}") == "Auxiliaire de puériculture"
    assert leading_title(f"Auxiliaire de puériculture. {description}") == "Auxiliaire de puériculture"
    assert leading_title("Gestionnaire RH H/F.\nLa commune recrute.") == "Gestionnaire RH H/F"
    long = "La commune de Saint-Martin-sur-Mer, station balnéaire de huit mille habitants au bord de l'océan, recrute"
    assert leading_title(long * 2) == (long * 2)[:120]  # no sentence ends within a title's length
    assert leading_title("") == ""


def test_an_untitled_french_offer_is_classified_by_its_first_line_not_its_first_characters(rt: Runtime) -> None:
    # Its first 120 characters mix the title with the employer's words (J1304 at 0.54); its first line is the title.
    text = (
        "Auxiliaire de puériculture\nLe centre communal d'action sociale de la ville recrute, pour ses trois "
        "crèches municipales, un agent qui accueille les jeunes enfants et leurs parents."
    )
    offer = offer_view_from_text("", text, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor)
    titled = offer_view_from_text(
        "Auxiliaire de puériculture", text, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor
    )
    assert offer.occupations[0] == titled.occupations[0] == "J1304"
    assert offer.occupation_confidences == titled.occupation_confidences
    assert offer.occupation_confidences[0] > 0.9


def test_an_offer_without_structure_keeps_the_retrieval_order_and_says_so(rt: Runtime) -> None:
    offer = offer_view_from_text(*ENGLISH_OFFER, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor)
    candidates = [
        candidate_view_from_text(f"c{i}", title, text, inferer=rt.inferer, extractor=rt.extractor)
        for i, (title, text) in enumerate(ENGLISH_PROFILES)
    ]
    cosines, lexicals = [0.2, 0.9, 0.1, 0.7], [0.0, 1.0, 0.3, 0.4]
    pairs = [(offer, c, cos, lex) for c, cos, lex in zip(candidates, cosines, lexicals, strict=True)]
    ranked = rank_pairs(rt, pairs, rt.scorer, today=TODAY)
    fused = retrieval_scores(cosines, lexicals)
    assert [i for _, i, _ in ranked] == sorted(range(4), key=lambda i: -fused[i])
    for score, i, explanation in ranked:
        assert explanation is not None
        assert [c.feature for c in explanation.contributions] == ["retrieval"]
        assert score == explanation.contributions[0].contribution == fused[i]


def test_an_unsure_french_offer_keeps_its_guesses_weighed_by_their_confidence(rt: Runtime) -> None:
    title, text = "Zorglub qwxv", "Vous rejoignez notre équipe au sein de la commune."
    assert rt.inferer.infer(title, text) == []  # the classifier names no occupation to a person
    offer = offer_view_from_text(title, text, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor)
    assert len(offer.occupations) == 10 and has_structure(offer)
    assert max(offer.occupation_confidences) < rt.inferer.manifest.threshold_for(True)
    assert offer.required_skills == ()  # no ROME skills of an occupation it is unlikely to be: none "missing"
    candidate: CandidateView = replace(
        candidate_view_from_text(
            "c", "Jardinier", "Entretien des espaces verts.", inferer=rt.inferer, extractor=rt.extractor
        ),
        occupations=(offer.occupations[0],),
        occupation_confidences=(1.0,),
    )
    [(_, _, explanation)] = rank_pairs(rt, [(offer, candidate, 0.5, 0.5)], rt.scorer, today=TODAY)
    assert explanation is not None
    same = next(c for c in explanation.contributions if c.feature == "same_occupation")
    assert same.value == offer.occupation_confidences[0]  # weighed by its confidence, not as a given code
    facts = pair_facts(offer, candidate, cosine=0.5, lexical=0.5, retrieval=1.0, taxonomy=rt.taxonomy, today=TODAY)
    assert facts.occupation_relation != "same"  # too unsure to be named "même métier" on a page


def test_an_offer_with_structure_is_ranked_by_the_model(rt: Runtime) -> None:
    offer = offer_view_from_text(*ENGLISH_OFFER, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor)
    structured: OfferView = replace(offer, occupations=("A1203",), occupation_confidences=(1.0,))
    candidate: CandidateView = candidate_view_from_text(
        "c", *ENGLISH_PROFILES[1], inferer=rt.inferer, extractor=rt.extractor
    )
    [(_, _, explanation)] = rank_pairs(rt, [(structured, candidate, 0.5, 0.5)], rt.scorer, today=TODAY)
    assert explanation is not None and len(explanation.contributions) > 1


def test_a_list_ranked_by_retrieval_records_so_and_replays(rt: Runtime) -> None:
    """The audit names what ranked the list (not the learned model, which did not), and the replay uses it."""
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(
            session,
            data=offer_in(
                eid, title=ENGLISH_OFFER[0], description=ENGLISH_OFFER[1], rome_code=None, required_skills=[]
            ),
            **refs,
        )
        for title, text in ENGLISH_PROFILES:
            create_candidate(
                session,
                data=candidate_in(title=title, summary=text, desired_occupations=[], skills=[]),
                **refs,
            )
    process_outbox(rt)
    shortlist = build_shortlist(rt, offer_id=offer.id, size=10)
    assert len(shortlist.entries) == len(ENGLISH_PROFILES)
    assert shortlist.model_version == RetrievalScorer.version != rt.scorer.version
    assert all([c.feature for c in e.explanation.contributions] == ["retrieval"] for e in shortlist.entries)
    with rt.store.transaction() as session:
        audit.record_shortlist_built(session, actor="rec_1", shortlist_id="sl_en", shortlist=shortlist, parameters={})
    replay = audit.reproduce_shortlist(rt, "sl_en")
    assert replay.reproducible and replay.ranks_match and replay.scores_match, replay


def test_a_profile_that_names_no_occupation_is_read_from_its_title(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        unnamed = create_candidate(
            session,
            data=candidate_in(title="Agent d'entretien des espaces verts", desired_occupations=[]),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        named = create_candidate(session, data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography)
    guessed, given = rt.candidate_views.of(unnamed), rt.candidate_views.of(named)
    assert given.occupations == ("A1203",) and given.occupation_confidences == ()  # as the person gave it
    assert guessed.occupations[0] == "A1203" and len(guessed.occupations) == 3
    assert 0 < guessed.occupation_confidences[0] < 1  # a guess, weighed as one
    offer = replace(
        offer_view_from_text(*ENGLISH_OFFER, taxonomy=rt.taxonomy, inferer=rt.inferer, extractor=rt.extractor),
        occupations=("A1203",),
        occupation_confidences=(1.0,),
    )
    facts = pair_facts(offer, guessed, cosine=0.5, lexical=0.5, retrieval=1.0, taxonomy=rt.taxonomy, today=TODAY)
    assert facts.values["same_occupation"] == guessed.occupation_confidences[0]


def test_a_profile_known_by_its_text_keeps_its_three_likeliest_occupations_with_their_confidence(rt: Runtime) -> None:
    """As a profile that names no occupation: a title read wrong at first place often holds the right one second."""
    text = "Plonge, entretien de la vaisselle et de la cuisine du restaurant scolaire."
    profile = candidate_view_from_text("c", "Plongeur", text, inferer=rt.inferer, extractor=rt.extractor)
    guesses = rt.inferer.infer("Plongeur", text, k=3, abstain=False)
    assert profile.occupations == tuple(g.code for g in guesses) and len(profile.occupations) == 3
    assert profile.occupation_confidences == tuple(g.score for g in guesses)
    assert list(profile.occupation_confidences) == sorted(profile.occupation_confidences, reverse=True)


def test_a_cv_known_by_its_text_has_no_skill_from_its_hobbies(rt: Runtime) -> None:
    cv = "\n".join(
        ["Camille Martin", "Comptable", "COMPÉTENCES", "Gestion comptable", "Loisirs", "Guitare, pâtisserie"]
    )
    whole = candidate_view_from_text("c", "", cv, inferer=rt.inferer, extractor=rt.extractor)
    working = candidate_view_from_text(
        "c", "", cv, inferer=rt.inferer, extractor=rt.extractor, skills_text=without_leisure(cv)
    )
    hobbies = set(rt.extractor.rome_codes("Guitare, pâtisserie", whole.occupations))
    assert hobbies and hobbies <= whole.skills  # read from the whole text, the hobbies are skills
    assert not hobbies & working.skills and working.skills  # the working text keeps the trade's, not the hobbies'
