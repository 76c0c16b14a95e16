"""Demo accounts: one per role on the demo data, random password, kept readable by the owner only."""

from __future__ import annotations

import stat

from matcher.access.accounts import authenticate, partner_principal
from matcher.demo.samples import demo_accounts_path, seed_demo, seed_demo_accounts
from matcher.runtime import Runtime


def test_demo_accounts_sign_in_and_are_created_once(rt: Runtime) -> None:
    seed_demo(rt, candidates=20)
    made = seed_demo_accounts(rt)
    assert seed_demo_accounts(rt) == made
    assert stat.S_IMODE(demo_accounts_path(rt).stat().st_mode) == 0o600
    emails = [made["admin"], *(r["email"] for r in made["recruiters"]), *made["seekers"]]
    assert len(made["recruiters"]) == 2 and len(made["seekers"]) == 2
    with rt.store.transaction() as session:
        roles = [row.role for email in emails if (row := authenticate(session, email=email, password=made["password"]))]
        assert roles == ["admin", "recruiter", "recruiter", "seeker", "seeker"]
        partner = partner_principal(session, presented=made["partner_key"])
        assert partner is not None and len(partner.employer_ids) == 1
