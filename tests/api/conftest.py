"""A small world for API tests: two employers, one account per role, a partner key, and a client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.access import accounts, tokens
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.runtime import Runtime

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    client: TestClient
    employer_a: str
    employer_b: str
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # role name → auth headers
    account_ids: dict[str, str] = field(default_factory=dict)
    partner_id: str = ""
    partner_key: str = ""
    key_id: str = ""

    def as_(self, who: str) -> dict[str, str]:
        return self.headers[who]


def offer_body(employer_id: str, **changes: object) -> dict:
    return {
        "title": "Jardinier / Jardinière",
        "description": "Entretien des espaces verts et fleurissement.",
        "employer_id": employer_id,
        "commune_insee": "07186",
        "contract_types": ["contractuel"],
        "rome_code": "A1203",
        "required_skills": ["100063"],
        **changes,
    }


def candidate_body(**changes: object) -> dict:
    return {
        "display_name": "Camille",
        "title": "Jardinier paysagiste",
        "desired_occupations": ["A1203"],
        "skills": ["100063"],
        "contract_types": ["contractuel", "cdd"],
        "visibility": "employers",
        "mobility": {"communes": ["07019"], "radius_km": 40},
        **changes,
    }


def bearer(rt: Runtime, account_id: str) -> dict[str, str]:
    token, _ = tokens.issue(rt.settings, subject=account_id)
    return {"Authorization": f"Bearer {token}"}


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
