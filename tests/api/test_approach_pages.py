"""The direct approach in the pages: approach form, signed-link page, the seeker's space, the pipeline page."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from fastapi.testclient import TestClient

from matcher.catalog.candidates import create_candidate
from matcher.core.outbox import new_id
from matcher.jobs.runner import pending_count, process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, ApproachRow
from tests.factories import PASSWORD, World, candidate_body, candidate_in, count, offer_body


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def signed_in(world: World, email: str) -> tuple[TestClient, str]:
    """A browser of its own, signed in through the form; returns it and its CSRF token."""
    client = TestClient(world.client.app, follow_redirects=False)
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text
    return client, csrf_of(client.get(response.headers["location"], follow_redirects=True).text)


def mail_to(rt: Runtime, address: str) -> dict:
    deadline = time.monotonic() + 20
    while pending_count(rt) and time.monotonic() < deadline:
        time.sleep(0.05)
    for path in sorted((Path(rt.settings.data_dir) / "outbox-mail").glob("approach-*-sent.json")):
        message = json.loads(path.read_text())
        if message["to"] == address:
            return message
    raise AssertionError(f"no approach mail to {address}")


def test_the_loop_in_the_pages(world: World, rt: Runtime) -> None:
    api = world.client
    camille = api.post("/me/profile", json=candidate_body(), headers=world.as_("seeker")).json()["id"]
    with rt.store.transaction() as session:
        bruno = create_candidate(
            session, data=candidate_in(display_name="Bruno"), taxonomy=rt.taxonomy, geography=rt.geography
        ).id
        session.add(
            AccountRow(
                id=new_id("acc"),
                email="bruno@example.fr",
                name="Bruno",
                role="seeker",
                password_hash="-",
                candidate_id=bruno,
            )
        )
    process_outbox(rt)
    hr = world.as_("recruiter")
    offer = api.post("/offers", json=offer_body(world.employer_a), headers=hr).json()["id"]
    other_offer = api.post("/offers", json=offer_body(world.employer_a, title="Agent d'entretien"), headers=hr).json()
    assert api.post(f"/offers/{offer}/shortlists", json={"size": 10}, headers=hr).status_code == 201

    recruiter, csrf = signed_in(world, "rh@privas.example.fr")
    form = recruiter.get(f"/offres/{offer}/approches/nouvelle")
    assert form.status_code == 200 and "Camille" in form.text and "Bruno" in form.text
    assert "<script" not in form.text.split("</head>")[1]  # no inline script (strict CSP)
    # Without the session's token nothing is sent.
    forged = recruiter.post(f"/offres/{offer}/approches", data={"candidate_ids": [camille], "csrf": "x"})
    assert forged.status_code == 403 and count(rt, ApproachRow) == 0
    sent = recruiter.post(
        f"/offres/{offer}/approches",
        data={"candidate_ids": [camille, bruno], "message": "<b>Au plaisir</b>", "source": "shortlist", "csrf": csrf},
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/offres/{offer}/vivier"
    assert count(rt, ApproachRow) == 2
    twice = recruiter.post(f"/offres/{offer}/approches", data={"candidate_ids": [camille], "csrf": csrf})
    assert twice.status_code == 303 and "déjà ouverte" in recruiter.get(twice.headers["location"]).text

    # Bruno answers through the link in his e-mail, without signing in: a GET changes nothing.
    link = re.search(r"(/approches/reponse/\S+)", mail_to(rt, "bruno@example.fr")["text"])
    assert link
    anonymous = TestClient(world.client.app, follow_redirects=False)
    page = anonymous.get(link.group(1))
    assert page.status_code == 200 and "&lt;b&gt;Au plaisir&lt;/b&gt;" in page.text and "<b>Au plaisir" not in page.text
    declined = anonymous.post(link.group(1), data={"answer": "decline", "reason": "pay", "csrf": csrf_of(page.text)})
    assert declined.status_code == 303
    assert "n'attend plus de réponse" in anonymous.get(link.group(1)).text
    assert anonymous.get("/approches/reponse/forged-token").status_code == 404

    # Camille accepts in her space, sharing her e-mail; she also says she is interested in the other offer.
    seeker, seeker_csrf = signed_in(world, "camille@example.fr")
    space = seeker.get("/candidat/approches")
    assert space.status_code == 200 and "&lt;b&gt;Au plaisir&lt;/b&gt;" in space.text
    mine = re.search(r'id="a-(apr_[0-9a-f]+)"', space.text)
    assert mine
    accepted = seeker.post(
        f"/candidat/approches/{mine.group(1)}/reponse",
        data={"answer": "accept", "share_email": "1", "csrf": seeker_csrf},
    )
    assert accepted.status_code == 303
    marked = seeker.post(f"/candidat/offres/{other_offer['id']}/interet", data={"csrf": seeker_csrf})
    assert marked.status_code == 303 and "Intérêt transmis" in seeker.get(marked.headers["location"]).text

    # The recruiter sees Camille's contact, none of Bruno's, both answers and the measures.
    board = recruiter.get(f"/offres/{offer}/vivier").text
    assert "camille@example.fr" in board and "bruno@example.fr" not in board
    assert 'data-stage="accepted"' in board and 'data-stage="declined"' in board
    assert "Taux d'acceptation" in board and "50 %" in board and "Rémunération : 1" in board
    offer_page = recruiter.get(f"/offres/{offer}").text  # the measures on the offer's own page too
    assert "Approches : 2 envoyée(s)" in offer_page and "taux d'acceptation 50 %" in offer_page
    only = recruiter.get(f"/offres/{offer}/vivier?etape=declined").text
    assert "Bruno" in only and "camille@example.fr" not in only
    moved = recruiter.post(f"/offres/{offer}/vivier/{bruno}", data={"stage": "not_retained", "csrf": csrf})
    assert "motif" in recruiter.get(moved.headers["location"]).text  # a reason is required
    interested = recruiter.get(f"/offres/{other_offer['id']}/vivier").text
    assert 'data-stage="interested"' in interested and "Camille" in interested

    # From a search result: the approach form of the offer chosen, with that profile.
    found = recruiter.get("/recruteur/candidats?q=jardinier").text
    assert f'name="candidat" value="{camille}"' in found and f'<option value="{other_offer["id"]}">' in found
    chosen = recruiter.get(f"/recruteur/approche?offre={other_offer['id']}&candidat={camille}")
    assert chosen.headers["location"] == f"/offres/{other_offer['id']}/approches/nouvelle?candidat={camille}"
    assert "Candidat trouvé par la recherche" in recruiter.get(chosen.headers["location"]).text
    # Another employer's pipeline is the French 404 page.
    other, _ = signed_in(world, "rh@aubenas.example.fr")
    assert other.get(f"/offres/{offer}/vivier").status_code == 404
    assert other.get(f"/offres/{offer}/approches/nouvelle").status_code == 404
    # Turning approaches off takes the candidate out of the approach form.
    seeker.post("/candidat/approches/preferences", data={"phone": "", "csrf": seeker_csrf})
    assert api.get("/me/approach-preferences", headers=world.as_("seeker")).json()["accepts_approaches"] is False
    assert "Camille" not in recruiter.get(f"/offres/{other_offer['id']}/approches/nouvelle").text.split("Depuis")[0]
