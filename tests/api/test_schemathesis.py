"""Property-based API testing against the OpenAPI document, once per role: no 5xx, no response off-schema.

The schema is generated from the code, so this checks that what the routes return is what they
promise, for inputs nobody thought of, whoever calls (and that no role can make the server fail).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from matcher.access import accounts, tokens
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.runtime import Runtime

ROLES = ("anonymous", "admin", "recruiter", "seeker", "partner")


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: object, value: object) -> bytes:
    """Partner sync also takes JSON lines: a generated list becomes one line per item."""
    items = value if isinstance(value, list) else [value]
    return "\n".join(json.dumps(item) for item in items).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    data_dir = Path(tmp_path_factory.mktemp("schemathesis"))
    # A generous rate limit: the generated requests are many, and 429 is not what is tested here.
    settings_ = MatcherSettings(
        data_dir=data_dir, embedder="hashing", rate_limit_per_minute=100_000, sign_in_attempts_per_minute=100_000
    )
    rt = Runtime.open(settings_, embedder=HashingEmbedder())
    rt.ensure_indices()
    with rt.store.transaction() as session:
        employer = create_employer(session, data=EmployerIn(name="Privas", kind=EmployerKind.COMMUNE)).id
        ids = {
            role.value: accounts.create_account(
                session,
                data=AccountIn(
                    email=f"{role.value}@example.fr",
                    name=role.value,
                    role=role,
                    password="a long enough password",
                    employer_ids=[employer] if role is Role.RECRUITER else [],
                ),
            ).id
            for role in (Role.ADMIN, Role.RECRUITER, Role.SEEKER)
        }
        partner = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[employer]))
        key = accounts.issue_key(session, partner_id=partner.id).key
    headers = {role: {"Authorization": f"Bearer {tokens.issue(rt.settings, subject=i)[0]}"} for role, i in ids.items()}
    headers |= {"partner": {"X-API-Key": key}, "anonymous": {}}
    with TestClient(create_app(rt), raise_server_exceptions=False) as client:
        yield client, headers
    rt.close()


# The document comes from the code; calls go through the test client of the app the fixture starts.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.exclude(path="/me", method="DELETE").parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_keeps_its_schema(
    case: schemathesis.Case, served: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, headers = served
    for role in ROLES:  # the same generated request, as each kind of caller
        request = case.as_transport_kwargs(base_url="http://testserver", headers=headers[role])
        if not request.get("cookies"):
            request.pop("cookies", None)
        if isinstance(request.get("data"), bytes | str):  # raw bodies go as content for httpx
            request["content"] = request.pop("data")
        response = client.request(**request)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
