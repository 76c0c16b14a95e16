"""A control character in a request's path or query is a 400 problem naming where, before any store sees it."""

from __future__ import annotations

from tests.factories import World


def test_nul_and_other_controls_in_ids_and_filters_are_refused(world: World) -> None:
    hr = world.as_("recruiter")
    response = world.client.get("/offers/%00", headers=hr)
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "path", "message": "caractère de contrôle interdit"}]
    response = world.client.get("/offers", params={"employer_id": "emp\x1b[31m"}, headers=hr)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "query.employer_id"
    # Ordinary text, accents and non-Latin letters pass.
    assert world.client.get("/offers", params={"employer_id": "é😀"}, headers=hr).status_code == 200
