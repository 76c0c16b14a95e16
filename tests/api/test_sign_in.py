"""Sign-in: password guessing is slowed per address and e-mail, on the API and on the pages alike."""

from __future__ import annotations

from matcher.runtime import Runtime
from tests.factories import World, frozen_sign_in_limits


def test_password_guessing_is_slowed_per_address_and_email(world: World, rt: Runtime) -> None:
    frozen_sign_in_limits(world, rt)
    client = world.client
    attempts = [
        client.post("/auth/token", data={"username": "admin@example.fr", "password": f"guess {n} guess"}).status_code
        for n in range(11)
    ]
    assert attempts == [401] * 10 + [429]
    # Another account from the same address is not locked out by it; the pages share the same limit.
    assert (
        client.post("/auth/token", data={"username": "rh@privas.example.fr", "password": "nope nope"}).status_code
        == 401
    )
    page = client.get("/connexion")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    refused = client.post("/connexion", data={"email": "admin@example.fr", "password": "x", "csrf": token})
    assert refused.status_code == 429 and "Trop de tentatives" in refused.text


def test_guessing_tokens_or_keys_is_slowed_too(world: World) -> None:
    client = world.client
    guesses = [client.get("/offers", headers={"X-API-Key": f"adk_guess_{n}"}).status_code for n in range(11)]
    assert guesses == [401] * 10 + [429]
    assert client.get("/offers", headers=world.as_("recruiter")).status_code == 200  # valid callers are not locked out
