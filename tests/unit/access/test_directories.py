"""The admin tables' use cases: accounts, partners and employers searched by name and paged, admins only."""

from __future__ import annotations

import pytest

from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Principal, Role
from matcher.catalog.employers import create_employer, employer_directory
from matcher.core.errors import Forbidden
from matcher.core.models import EmployerIn, EmployerKind
from matcher.runtime import Runtime

ADMIN = Principal(role=Role.ADMIN, subject="acc_admin")


def test_accounts_are_found_by_email_or_name_and_paged(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hash_password", lambda password: "not-a-real-hash")
    with rt.store.transaction() as session:
        for n in range(53):
            data = AccountIn(email=f"agent{n:02d}@exemple.fr", name=f"Agent {n}", role=Role.SEEKER, password="x" * 12)
            accounts.create_account(session, data=data)
        accounts.create_account(
            session,
            data=AccountIn(email="h.lefevre@exemple.fr", name="Hélène Lefèvre", role=Role.SEEKER, password="x" * 12),
        )
    everyone = accounts.account_directory(rt, principal=ADMIN)
    assert (everyone.accounts.total, everyone.accounts.pages, len(everyone.accounts.items)) == (54, 2, 50)
    assert len(accounts.account_directory(rt, principal=ADMIN, page=2).accounts.items) == 4
    by_name = accounts.account_directory(rt, principal=ADMIN, query="HELENE").accounts
    assert [a.email for a in by_name.items] == ["h.lefevre@exemple.fr"]
    assert accounts.account_directory(rt, principal=ADMIN, query="agent07@").accounts.total == 1
    with pytest.raises(Forbidden):
        accounts.account_directory(rt, principal=Principal(role=Role.RECRUITER, subject="acc_rh"), query="agent")


def test_partners_and_employers_are_found_by_name(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        privas = create_employer(session, data=EmployerIn(name="Commune de Privas", kind=EmployerKind.COMMUNE)).id
        create_employer(session, data=EmployerIn(name="Département de l'Ardèche", kind=EmployerKind.DEPARTEMENT))
        accounts.create_partner(session, data=PartnerIn(name="Agence Emploi Ardèche", employer_ids=[privas]))
        accounts.create_partner(session, data=PartnerIn(name="Intérim Sud", employer_ids=[privas]))
    partners = accounts.partner_directory(rt, principal=ADMIN, query="ardeche").partners
    assert [p.name for p in partners.items] == ["Agence Emploi Ardèche"] and partners.total == 1
    assert accounts.partner_directory(rt, principal=ADMIN).partners.total == 2
    found = employer_directory(rt, principal=ADMIN, query="ARDÈCHE")
    assert [e.name for e in found.items] == ["Département de l'Ardèche"]
    # A recruiter's directory holds only the employers they act for, whatever the search.
    recruiter = Principal(role=Role.RECRUITER, subject="acc_rh", employer_ids=frozenset({privas}))
    assert [e.id for e in employer_directory(rt, principal=recruiter, query="").items] == [privas]
