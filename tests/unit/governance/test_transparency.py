"""The statement owed to a candidate (CRPA L311-3-1), and the per-employer switch that turns AI ranking off."""

from __future__ import annotations

import pytest

from matcher.governance import transparency
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


def test_the_model_card_says_how_it_was_trained_who_decides_and_who_switched_ai_off(rt: Runtime) -> None:
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
    html = " ".join(
        page.render(features=[], version="v", manifest=None, metrics=[], embedding_model="m", **facts).split()
    )
    for section in (
        "Finalité",
        "Critères",
        "données d'entraînement",
        "Contrôle humain",
        "Désactivation",
        "Équité",
        "Limites connues",
    ):
        assert section in html
    assert "n'est pas entraîné sur des recrutements réels" in html and "1 employeur sur 1" in html
