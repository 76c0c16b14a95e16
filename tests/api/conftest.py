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
from tests.factories import PASSWORD, World, bearer


@pytest.fixture
def world(rt: Runtime) -> Iterator[World]:
    with rt.store.transaction() as session:
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
