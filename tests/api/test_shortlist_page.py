"""The shortlist as HR read it: a 0–100 match, a compact card, the detail one click away, times in Paris."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.pages.common import number_fr, paris
from matcher import runtime as runtime_module
from matcher.catalog.candidates import create_candidate
from matcher.catalog.corrections import OCCUPATION_SET
from matcher.catalog.offers import create_offer
from matcher.core.models import CandidateIn, OfferIn
from matcher.core.records import offer_from_row, offer_row
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import process_outbox
from matcher.ranking.views import offer_reading
from matcher.runtime import Runtime
from matcher.store.tables import AuditRow, ShortlistRow
from tests.factories import PASSWORD, World, candidate_body, offer_body, stored_offer


def sign_in(client: TestClient, email: str) -> str:
    page = client.get("/connexion").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf": token.group(1)})
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/recruteur/offres").text)
    assert found
    return found.group(1)


def card_of(html: str, candidate_id: str) -> str:
    """The shortlist card of one candidate on an offer's page."""
    card = html[html.index(f'id="place-{candidate_id}"') :]
    return card[: card.index("</li>")]


def test_times_are_read_in_paris_and_numbers_in_french() -> None:
    assert paris(datetime(2026, 7, 1, 8, 44, tzinfo=UTC)) == "01/07/2026 à 10:44"
    assert paris(datetime(2026, 1, 5, 8, 44)) == "05/01/2026 à 09:44"  # stored naive: UTC
    assert number_fr(1234.5, 1) == "1\u202f234,5"


def test_a_card_shows_the_match_out_of_100_the_facts_and_the_reason_of_a_rejection(rt: Runtime, world: World) -> None:
    with rt.store.transaction() as session:
        offer = create_offer(
            session,
            data=OfferIn.model_validate(offer_body(world.employer_a)),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        candidate = create_candidate(
            session,
            data=CandidateIn.model_validate(
                candidate_body(experiences=[{"title": "Jardinier", "years": 6}], available_from="2026-03-02")
            ),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
    process_outbox(rt)
    client = world.client
    token = sign_in(client, "rh@privas.example.fr")
    client.post(f"/offres/{offer.id}/preselection", data={"csrf": token})
    data = {"candidate_id": candidate.id, "decision": "rejected", "reason": "Permis C requis", "csrf": token}
    client.post(f"/offres/{offer.id}/decisions", data=data)
    card = card_of(client.get(f"/offres/{offer.id}").text, candidate.id)
    match = re.search(r"(\d+)<span class=\"scale\">/100</span>", card)
    assert match and 0 < int(match.group(1)) <= 100
    assert "Écarté</strong> — motif : Permis C requis" in card
    assert "motif obligatoire)</strong>" not in card
    assert "Aubenas · à 20,1 km" in card and "6 ans d'expérience" in card and "disponible le 02/03/2026" in card
    assert re.search(r"<details class=\"why-details\"><summary>", card)  # the full explanation, one click away
    assert not re.search(r"\+0\.\d{3}", card)  # no raw decimals
    assert " pts</span>" in card


def test_a_list_ranked_by_retrieval_alone_is_read_on_its_own_scale(rt: Runtime, world: World) -> None:
    """An offer the model cannot read (no occupation, no skill recognised) is ranked by the search: its best
    place reads 100, not a share of what the learned model could give, and the page says why."""
    english = "We are looking for a gardener to maintain the parks: mow the lawns, prune the hedges."
    with rt.store.transaction() as session:
        offer = create_offer(
            session,
            data=OfferIn.model_validate(
                offer_body(world.employer_a, title="Gardener", description=english, rome_code=None, required_skills=[])
            ),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        candidate = create_candidate(
            session,
            data=CandidateIn.model_validate(
                candidate_body(title="Gardener", summary="I maintain parks: lawns and hedges.", desired_occupations=[])
            ),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
    process_outbox(rt)
    client = world.client
    token = sign_in(client, "rh@privas.example.fr")
    client.post(f"/offres/{offer.id}/preselection", data={"csrf": token})
    html = client.get(f"/offres/{offer.id}").text
    assert "classement par la recherche seule" in html
    match = re.search(r"(\d+)<span class=\"scale\">/100</span>", card_of(html, candidate.id))
    assert match and int(match.group(1)) == 100  # first of both searches


def test_the_search_page_says_nothing_matches_and_what_to_widen(rt: Runtime, world: World) -> None:
    with rt.store.transaction() as session:
        create_candidate(
            session, data=CandidateIn.model_validate(candidate_body()), taxonomy=rt.taxonomy, geography=rt.geography
        )
    process_outbox(rt)
    client = world.client
    sign_in(client, "rh@privas.example.fr")
    found = client.get("/recruteur/candidats", params={"q": "jardinier"}).text
    assert "1 profil(s) trouvé(s)" in found and "data-nothing" not in found
    nothing = client.get("/recruteur/candidats", params={"q": "chapelier cybersécurité", "contrat": "cdi"}).text
    assert "0 profil(s) trouvé(s)" in nothing
    assert "Aucun profil ne correspond" in nothing and "les types de contrat" in nothing


# An offer that gives neither a code nor skills: the ranking reads its occupation in the title and text.
GUESSED_OFFER: dict[str, object] = {
    "title": "Jardinier espaces verts (H/F)",
    "description": "Tonte, taille des haies et entretien des massifs de la commune.",
    "rome_code": None,
    "required_skills": [],
}


def _reading(html: str) -> str:
    """The offer page's 'what the ranking reads' section without its forms, its entities unescaped."""
    section = html[html.index("<details data-reading") :]
    section = section[: section.index("</details>")]
    return unescape(section.split("<form", 1)[0])


def test_the_offer_page_says_what_the_ranking_reads_given_by_the_offer_or_read_in_its_text(
    rt: Runtime, world: World
) -> None:
    given, read = stored_offer(rt, world.employer_a), stored_offer(rt, world.employer_a, **GUESSED_OFFER)
    client = world.client
    sign_in(client, "rh@privas.example.fr")
    occupation, skill = rt.taxonomy.occupations["A1203"].label, rt.taxonomy.skill_label("100063")

    shown = _reading(client.get(f"/offres/{given.id}").text)
    assert f"A1203 — {occupation}" in shown and "donné par l'offre" in shown and "%" not in shown
    assert skill in shown and "Compétences d'après : offre." in shown

    shown = _reading(client.get(f"/offres/{read.id}").text)
    view = rt.offer_views.of(read)  # what the ranking compares: the page must say the same
    guesses = re.findall(r"([A-N]\d{4}) — [^(;]+ \((\d+) %\)", shown)
    assert [code for code, _ in guesses] == [
        c for c, p in zip(view.occupations, view.occupation_confidences, strict=True) if p >= 0.05
    ][:3]
    assert guesses[0][0] in {"A1203", "A1208"}, shown  # a gardener's occupation, the likeliest first
    assert [int(p) for _, p in guesses] == sorted((int(p) for _, p in guesses), reverse=True)
    assert "déduit de l'intitulé et du texte" in shown and "Compétences d'après : métier ROME" in shown
    assert view.required_skills and all(rt.taxonomy.skill_label(code) in shown for code in view.required_skills)


def test_a_partners_offer_says_that_its_next_sync_keeps_the_occupation_set_here(rt: Runtime, world: World) -> None:
    direct = stored_offer(rt, world.employer_a)
    synced = stored_offer(rt, world.employer_a, source=world.partner_id, external_ref="ext-1")
    sign_in(world.client, "rh@privas.example.fr")
    assert "data-partner-note" not in world.client.get(f"/offres/{direct.id}").text
    note = world.client.get(f"/offres/{synced.id}").text
    assert "renvoie l'offre sans code ROME" in unescape(note[note.index("data-partner-note") :])


def test_near_twin_skills_of_rome_are_read_once_and_the_ranking_keeps_both_codes(rt: Runtime, world: World) -> None:
    twins = sorted(
        code
        for code in rt.taxonomy.skills
        if rt.taxonomy.skill_label(code) in {"Gestion de bases de données", "Gestion des bases de données"}
    )
    assert len(twins) == 2  # ROME holds both items
    other = next(
        c for c in rt.taxonomy.skills if rt.taxonomy.skill_label(c) == "Systèmes de gestion de base de données"
    )
    offer = stored_offer(rt, world.employer_a)
    view = dataclasses.replace(rt.offer_views.of(offer), required_skills=(twins[0],), desired_skills=(twins[1], other))
    reading = offer_reading(view, rt.taxonomy)
    assert reading.required == [rt.taxonomy.skill_label(twins[0])]
    assert reading.desired == ["Systèmes de gestion de base de données"]  # its twin is already expected


def test_a_recruiter_confirms_a_guessed_occupation_in_one_click_and_the_shortlist_is_rebuilt_with_it(
    rt: Runtime, world: World
) -> None:
    offer = stored_offer(rt, world.employer_a, **GUESSED_OFFER)
    client = world.client
    token = sign_in(client, "rh@privas.example.fr")
    page = client.get(f"/offres/{offer.id}").text
    assert '<details data-reading id="lecture" open>' in page  # a guessed occupation is shown to be checked
    guesses = re.findall(r'name="metier" value="([A-N]\d{4})"', page)
    assert guesses and guesses == [
        code for code, _, _ in offer_reading(rt.offer_views.of(offer), rt.taxonomy).occupations
    ]

    chosen = guesses[-1]  # the recruiter picks one, not necessarily the likeliest
    answer = client.post(f"/offres/{offer.id}/metier", data={"metier": chosen, "csrf": token}, follow_redirects=True)
    label = rt.taxonomy.occupations[chosen].label
    assert f"Métier enregistré : {chosen} — {unescape(label)}" in unescape(answer.text)
    assert "Présélection reconstruite" in unescape(answer.text)
    with rt.store.read() as session:
        stored = offer_from_row(offer_row(session, offer.id))
        kept = session.scalars(select(ShortlistRow).where(ShortlistRow.offer_id == offer.id)).all()
    assert stored.rome_code == chosen and stored.version == offer.version + 1
    assert stored.title == offer.title and stored.description == offer.description and stored.source == offer.source
    assert [k.offer_version for k in kept] == [stored.version]  # built on the corrected offer
    shown = _reading(answer.text)
    assert f"{chosen} — {label}" in unescape(shown) and "donné par l'offre" in shown and "%" not in shown
    assert 'id="lecture" open' not in answer.text  # given now: nothing left to check

    # A job title typed works as well as a code; the same code again, or text that names no occupation, changes
    # nothing. Each correction is in the audit log.
    florist = rt.taxonomy.search_titles("Fleuriste", 1)[0].rome
    assert florist != chosen
    for typed in ("Fleuriste", florist):
        client.post(f"/offres/{offer.id}/metier", data={"metier": typed, "csrf": token}, follow_redirects=False)
    refused = client.post(f"/offres/{offer.id}/metier", data={"metier": "zzqx", "csrf": token}, follow_redirects=True)
    assert "Métier non enregistré" in unescape(refused.text)
    refused = client.post(f"/offres/{offer.id}/metier", data={"metier": "A9999", "csrf": token}, follow_redirects=True)
    assert "code ROME inconnu : A9999" in unescape(refused.text)
    with rt.store.read() as session:
        row = offer_row(session, offer.id)
        assert (row.rome_code, row.version) == (florist, offer.version + 2)
        corrections = session.scalars(
            select(AuditRow).where(AuditRow.action == OCCUPATION_SET).order_by(AuditRow.seq)
        ).all()
    assert [(c.subject, c.payload["from"], c.payload["to"]) for c in corrections] == [
        (offer.id, None, chosen),
        (offer.id, chosen, florist),
    ]
    assert corrections[0].actor == world.account_ids["recruiter"]


def test_a_correction_is_learned_for_the_offers_and_profiles_of_the_same_title_and_by_every_process(
    rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model alone reads "Plongeur" as a diver (I1502). A recruiter sets G1605 (restaurant dishwasher) on one
    such offer: every offer titled so leans to it at once, the one shown before included, and so do profiles that
    name no occupation. Another process takes it up within a minute, a new one at start; a code sent since by a
    partner takes the correction back."""
    plain = {"rome_code": None, "required_skills": [], "description": ""}
    shown_before, corrected = (stored_offer(rt, world.employer_a, title=t, **plain) for t in ("Plongeur", "PLONGEUR"))
    token = sign_in(world.client, "rh@privas.example.fr")
    assert rt.offer_views.of(shown_before).occupation == "I1502"
    with rt.store.transaction() as session:
        data = CandidateIn.model_validate(candidate_body(title="Plongeur", desired_occupations=[], experiences=[]))
        profile = create_candidate(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography)
    assert rt.candidate_views.of(profile).occupations[0] == "I1502"
    other = Runtime.open(rt.settings, embedder=HashingEmbedder())  # another API process, or a worker
    assert other.offer_views.of(shown_before).occupation == "I1502"

    world.client.post(f"/offres/{corrected.id}/metier", data={"metier": "G1605", "csrf": token})
    later = stored_offer(rt, world.employer_a, title="Plongeur (F/H) - CDD 6 mois", **plain)
    for offer in (shown_before, later):
        assert rt.offer_views.of(offer).occupation == "G1605"
        shown = _reading(world.client.get(f"/offres/{offer.id}").text)
        assert "G1605" in shown.split(";")[0] and "compte tenu de 1 correction de recruteurs" in shown
    assert rt.candidate_views.of(profile).occupations[0] == "G1605"

    try:
        assert other.offer_views.of(shown_before).occupation == "I1502"  # looked less than a minute ago
        monkeypatch.setattr(runtime_module, "CORRECTIONS_CHECK_S", 0.0)
        assert other.offer_views.of(shown_before).occupation == "G1605"
        assert other.classifier.infer("Plongeur")[0].code == "I1502"  # what evaluation measures: the model alone
        restarted = Runtime.open(rt.settings, embedder=HashingEmbedder())
        assert restarted.offer_views.of(later).occupation == "G1605"
        restarted.close()

        with rt.store.transaction() as session:  # the offer's partner sends another code: no correction stands
            offer_row(session, corrected.id).rome_code = "I1502"
        assert other.offer_views.of(shown_before).occupation == "I1502"
        assert other.inferer.corrections_for("Plongeur") == 0
    finally:
        other.close()


def test_a_recruiter_cannot_set_the_occupation_of_another_employers_offer(rt: Runtime, world: World) -> None:
    offer = stored_offer(rt, world.employer_b)
    token = sign_in(world.client, "rh@privas.example.fr")
    answer = world.client.post(f"/offres/{offer.id}/metier", data={"metier": "K2111", "csrf": token})
    assert answer.status_code == 404
    with rt.store.read() as session:
        assert offer_row(session, offer.id).version == offer.version
