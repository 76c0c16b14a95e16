"""Control characters in any text field of any input model are refused, the same way everywhere (422, in French)."""

from __future__ import annotations

import pytest

from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, OfferRow
from tests.factories import PASSWORD, World, candidate_body, count, offer_body


def _refused(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "interdit" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("title", ["Jardinier\x00", "Jar\x1b[31mdinier", "Jardi\x85nier", "Jardinier\x7f H/F", "A\nB"])
def test_an_offer_title_with_a_control_character_is_refused(world: World, rt: Runtime, title: str) -> None:
    response = world.client.post(
        "/offers", json=offer_body(world.employer_a, title=title), headers=world.as_("recruiter")
    )
    _refused(response, "title")
    assert count(rt, OfferRow) == 0


def test_free_text_keeps_its_lines_and_tabs_but_no_other_control(world: World, rt: Runtime) -> None:
    client, headers = world.client, world.as_("recruiter")
    body = offer_body(world.employer_a, description="Missions :\r\n\t- tonte\r\n\t- taille")
    created = client.post("/offers", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["description"] == "Missions :\n\t- tonte\n\t- taille"  # CRLF from a browser, folded
    _refused(
        client.post("/offers", json=offer_body(world.employer_a, description="a\x00b"), headers=headers), "description"
    )
    _refused(
        client.post("/offers", json=offer_body(world.employer_a, external_ref="R\x01"), headers=headers), "external_ref"
    )
    assert count(rt, OfferRow) == 1


def test_profiles_accounts_and_partner_items_refuse_them_too(world: World, rt: Runtime) -> None:
    client = world.client
    seeker = world.as_("seeker")
    _refused(
        client.post("/me/profile", json=candidate_body(languages=["fr", "an\x07glais"]), headers=seeker), "languages"
    )
    _refused(client.post("/me/profile", json=candidate_body(summary="Rés\x0cumé"), headers=seeker), "summary")
    assert count(rt, CandidateRow) == 0
    account = {"email": "n@example.fr", "name": "Na\x00me", "role": "admin", "password": PASSWORD}
    _refused(client.post("/accounts", json=account, headers=world.as_("admin")), "name")
    item = {"external_id": "ext-1", "version": 1, "offer": offer_body(world.employer_a, title="Agent\x00")}
    report = client.put("/partners/me/offers", json=[item], headers=world.as_("partner")).json()
    assert report["items"][0]["status"] == "rejected" and report["items"][0]["errors"][0]["field"].endswith("title")
    assert count(rt, OfferRow) == 0
