"""A small world for API tests: two employers, one account per role, a partner key, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.runtime import Runtime
from tests.conftest import both_stores
from tests.factories import PASSWORD, World, bearer

_hash_password = accounts.hash_password


@pytest.fixture(params=both_stores())
def store(request: pytest.FixtureRequest) -> str:
    """Every API test runs on SQLite and on PostgreSQL (production's store)."""
    return str(request.param)


# argon2 at its production cost takes ~0.1-0.5 s a hash: the world's accounts share one real hash
# of the test password per session (random salt drawn once) instead of four fresh ones per test.
_HASHES: dict[str, str] = {}


def _hash_once(password: str) -> str:
    if password not in _HASHES:
        _HASHES[password] = _hash_password(password)
    return _HASHES[password]


@pytest.fixture
def world(rt: Runtime) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch, rt.store.transaction() as session:
        patch.setattr(accounts, "hash_password", _hash_once)
        a = create_employer(
            session, data=EmployerIn(name="Commune de Privas", kind=EmployerKind.COMMUNE, commune_insee="07186")
        ).id
        b = create_employer(
            session, data=EmployerIn(name="Commune d'Aubenas", kind=EmployerKind.COMMUNE, commune_insee="07019")
        ).id
        people = {
            "admin": AccountIn(email="admin@example.fr", name="Admin", role=Role.ADMIN, password=PASSWORD),
            "recruiter": AccountIn(
                email="rh@privas.example.fr", name="RH Privas", role=Role.RECRUITER, password=PASSWORD, employer_ids=[a]
            ),
            "other_recruiter": AccountIn(
                email="rh@aubenas.example.fr",
                name="RH Aubenas",
                role=Role.RECRUITER,
                password=PASSWORD,
                employer_ids=[b],
            ),
            "seeker": AccountIn(email="camille@example.fr", name="Camille", role=Role.SEEKER, password=PASSWORD),
        }
        ids = {who: accounts.create_account(session, data=data).id for who, data in people.items()}
        partner = accounts.create_partner(session, data=PartnerIn(name="Agence partenaire", employer_ids=[a]))
        key = accounts.issue_key(session, partner_id=partner.id, label="tests")
    with TestClient(create_app(rt)) as client:
        world = World(client=client, employer_a=a, employer_b=b, account_ids=ids, partner_id=partner.id)
        world.headers = {who: bearer(rt, account_id) for who, account_id in ids.items()}
        world.headers["partner"] = {"X-API-Key": key.key}
        world.headers["anonymous"] = {}
        world.partner_key, world.key_id = key.key, key.id
        yield world
