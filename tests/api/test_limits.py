"""Request limits: per-caller rate limit (429 + Retry-After), body size caps (413), pagination caps."""

from __future__ import annotations

import pytest

from api.limits import RateLimited, RateLimiter
from matcher.core.settings import MatcherSettings
from tests.factories import World, offer_body


@pytest.fixture
def settings(settings: MatcherSettings) -> MatcherSettings:
    return settings.model_copy(
        update={"rate_limit_per_minute": 5, "max_body_bytes": 4_000, "max_bulk_body_bytes": 8_000}
    )


def test_a_caller_over_its_rate_gets_429_with_retry_after_and_others_are_not_affected(world: World) -> None:
    client = world.client
    statuses = [client.get("/offers", headers=world.as_("recruiter")).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = client.get("/offers", headers=world.as_("recruiter"))
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("/offers", headers=world.as_("other_recruiter")).status_code == 200


def test_bodies_over_the_limit_are_refused_before_reading(world: World) -> None:
    big = offer_body(world.employer_a, description="x" * 5_000)
    response = world.client.post("/offers", json=big, headers=world.as_("partner"))
    assert response.status_code == 413 and response.json()["status"] == 413
    # The bulk path has its own, larger limit.
    small_batch = [{"external_id": "a", "version": 1, "offer": offer_body(world.employer_a, description="x" * 3_000)}]
    assert world.client.put("/partners/me/offers", json=small_batch, headers=world.as_("partner")).status_code == 200
    chunks = (b"[" + b" " * 5_000 for _ in range(2))  # streamed without a length: counted while read
    streamed = world.client.put(
        "/partners/me/offers", content=chunks, headers={**world.as_("partner"), "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_rate_limiter_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for _ in range(60):
        limiter.check("k")
    with pytest.raises(RateLimited) as refused:
        limiter.check("k")
    assert refused.value.retry_after == 1
    now[0] += 1.0
    limiter.check("k")  # one token back after a second at 60/min
