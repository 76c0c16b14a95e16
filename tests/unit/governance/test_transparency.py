"""The statement owed to a candidate (CRPA L311-3-1), and the per-employer switch that turns AI ranking off."""

from __future__ import annotations

import pytest

from matcher.governance import transparency
from matcher.ranking.features import FEATURES
from matcher.ranking.pipeline import build_shortlist
from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, EmployerRow, ShortlistRow
from tests.factories import shortlisted


def test_the_statement_gives_the_four_items_with_the_weights_applied_to_the_person(rt: Runtime) -> None:
    _, offer_id = shortlisted(rt)
    shortlist = build_shortlist(rt, offer_id=offer_id, size=10)
    entry = shortlist.entries[1]
    data = transparency.for_shortlist(shortlist, entry.candidate_id)
    assert data is not None and transparency.for_shortlist(shortlist, "cand_absent") is None
    assert (
        "aucune décision" in data["rôle_de_l_algorithme"] and "n'écarte aucun candidat" in data["rôle_de_l_algorithme"]
    )
    assert any("ROME 4.0" in d["source"] for d in data["données_et_sources"])
    weights = data["paramètres_et_pondération"]
    assert {p["code"] for p in weights} >= {"same_occupation", "required_skills", "proximity"}
    assert sum(p["poids_appliqué"] for p in weights) == pytest.approx(entry.score, abs=1e-5)
    assert [o.split(" :")[0] for o in data["opérations"]] == [
        "Filtrage",
        "Recherche",
        "Calcul des critères",
        "Score",
        "Classement",
    ]
    text = transparency.render(data)
    for heading in ("1. Rôle", "2. Données", "3. Paramètres", "4. Opérations"):
        assert heading in text
    assert "Score total" in text and "225-1" in text
    # A kept shortlist gives the same statement from what it recorded.
    row = ShortlistRow(
        id="sl_1",
        offer_id=offer_id,
        employer_id="e",
        offer_version=1,
        ranking="model",
        model_version=shortlist.model_version,
        entries=[e.model_dump(mode="json") for e in shortlist.entries],
    )
    assert transparency.for_kept_shortlist(row, entry.candidate_id) == data


def test_an_employer_without_ai_ranking_gets_search_order_with_the_same_filters_and_no_score(rt: Runtime) -> None:
    eid, offer_id = shortlisted(rt)
    with rt.store.transaction() as session:
        # Visible but without a dated consent: never shown, whatever the ranking.
        undated = session.query(CandidateRow).first()
        assert undated is not None
        undated.consented_at = None
        hidden = undated.id
    ranked = build_shortlist(rt, offer_id=offer_id, size=50)
    assert ranked.ranking == "model" and ranked.model_version and hidden not in {e.candidate_id for e in ranked.entries}
    with rt.store.transaction() as session:
        session.get(EmployerRow, eid).ai_ranking = False  # type: ignore[union-attr]
    plain = build_shortlist(rt, offer_id=offer_id, size=50)  # the switch holds from the next request on
    assert plain.ranking == "search" and plain.model_version is None
    assert {e.candidate_id for e in plain.entries} == {e.candidate_id for e in ranked.entries}
    assert [e.rank for e in plain.entries] == list(range(1, len(plain.entries) + 1))
    for entry in plain.entries:
        assert entry.score is None and entry.explanation.contributions == []
        assert "désactivé par cet employeur" in (entry.explanation.note or "")
    data = transparency.for_shortlist(plain, plain.entries[0].candidate_id)
    assert data is not None and data["paramètres_et_pondération"] == [] and "désactivé" in data["rôle_de_l_algorithme"]
    assert "Aucun score" in transparency.render(data)
    with rt.store.transaction() as session:
        session.get(EmployerRow, eid).ai_ranking = True  # type: ignore[union-attr]
    assert build_shortlist(rt, offer_id=offer_id, size=50).ranking == "model"


def test_the_model_card_says_who_decides_what_is_used_how_to_contest_and_who_switched_ai_off(rt: Runtime) -> None:
    from jinja2 import Environment, FileSystemLoader

    from matcher.core.settings import REPO_ROOT

    eid, _ = shortlisted(rt, candidates=1)
    with rt.store.transaction() as session:
        session.get(EmployerRow, eid).ai_ranking = False  # type: ignore[union-attr]
    with rt.store.read() as session:
        facts = transparency.model_card_facts(session)
    assert facts == {"employers": 1, "ai_off": 1, "not_hired_days": 90, "pool_days": 730}
    page = Environment(loader=FileSystemLoader(REPO_ROOT / "api" / "templates"), autoescape=True).get_template(
        "model.html"
    )
    criteria = transparency.criteria({"same_occupation": 1.0, "proximity": 0.1}, learned=True)
    html = " ".join(page.render(criteria=criteria, **facts).split())
    for section in (
        "Qui décide ?",
        "Toujours une personne : un recruteur de l'employeur",
        "Ce que le programme utilise",
        "Ce que le programme n'utilise jamais",
        "article 225-1 du code pénal",
        "demandez qu'un agent réexamine votre candidature",
        "Limites connues",
    ):
        assert section in html
    assert "n'a pas encore appris de vrais recrutements" in html and "1 employeur sur 1 l'a arrêté" in html
    assert 'href="/modele/technique"' in html


def test_the_public_criteria_tell_importance_in_words_and_why_a_criterion_weighs_nothing() -> None:
    learned = {f: 0.0 for f in FEATURES} | {"same_occupation": 1.0, "required_skills": 0.1, "proximity": 0.02}
    by_feature = {c.feature: c for c in transparency.criteria(learned, learned=True)}
    assert set(by_feature) == set(FEATURES)
    assert [c.feature for c in transparency.criteria(learned, learned=True)][:3] == [
        "same_occupation",
        "required_skills",
        "proximity",
    ]
    assert (by_feature["same_occupation"].importance, by_feature["required_skills"].importance) == ("forte", "moyenne")
    assert by_feature["proximity"].importance == "faible" and by_feature["proximity"].unused_because is None
    assert "codes métier" in (by_feature["contract"].unused_because or "")
    assert by_feature["experience"].unused_because == transparency.UNUSED_BY_MODEL_OTHERWISE
    # Retrieval's reason points to its "unsure" form: only true when that form weighs something.
    assert by_feature["retrieval"].unused_because == transparency.UNUSED_BY_MODEL_OTHERWISE
    with_unsure = {c.feature: c for c in transparency.criteria(learned | {"retrieval_unsure": 0.2}, learned=True)}
    assert "incertains" in (with_unsure["retrieval"].unused_because or "")
    hand_set = {c.feature: c for c in transparency.criteria({"same_occupation": 1.0}, learned=False)}
    assert hand_set["contract"].unused_because == transparency.UNUSED_BY_HAND
    for criterion in transparency.criteria(learned, learned=True):
        assert bool(criterion.importance) != bool(criterion.unused_because), criterion
