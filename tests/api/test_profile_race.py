"""One account, one profile, whatever the concurrency; and an erasure that leaves nothing of the person.

The race is forced, not hoped for: every request has authenticated (and seen an account without a
profile) before any of them writes. Re-run on PostgreSQL by tests/integration/test_store_postgres.py.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from matcher.access import accounts
from matcher.access.accounts import AccountIn, Principal, Role
from matcher.core import records
from matcher.core.indexes import CANDIDATES
from matcher.core.models import Candidate
from matcher.embedding.cache import content_hash
from matcher.governance import privacy, pseudonyms
from matcher.indexing.documents import candidate_text
from matcher.jobs.runner import process_outbox
from matcher.notify.senders import FileSender, Message, digest_key, mail_folder
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, CandidateRow, EmbeddingRow, PseudonymRow
from tests.factories import PASSWORD, bearer, candidate_body, employer

RACERS = 5


def test_concurrent_profile_creates_leave_one_profile_and_erasure_leaves_nothing(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    employer_id = employer(rt)
    with rt.store.transaction() as session:
        seeker = accounts.create_account(
            session, data=AccountIn(email="course@example.fr", name="Course", role=Role.SEEKER, password=PASSWORD)
        ).id
        recruiter = accounts.create_account(
            session,
            data=AccountIn(
                email="rh@example.fr", name="RH", role=Role.RECRUITER, password=PASSWORD, employer_ids=[employer_id]
            ),
        ).id
    racing = threading.Event()
    racing.set()
    everyone_in = threading.Barrier(RACERS, timeout=30)
    authenticate = accounts.principal_for_account

    def authenticated_together(rt: Runtime, *, account_id: str, generation: int | None = None) -> Principal | None:
        principal = authenticate(rt, account_id=account_id, generation=generation)
        if racing.is_set() and account_id == seeker:
            everyone_in.wait()  # all of them have read "no profile yet" before anyone writes
        return principal

    monkeypatch.setattr(accounts, "principal_for_account", authenticated_together)
    as_seeker, as_recruiter = bearer(rt, seeker), bearer(rt, recruiter)
    with TestClient(create_app(rt)) as client:
        with ThreadPoolExecutor(RACERS) as pool:
            responses = list(
                pool.map(lambda _: client.post("/me/profile", json=candidate_body(), headers=as_seeker), range(RACERS))
            )
        racing.clear()
        assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
        refused = next(r for r in responses if r.status_code == 409)
        assert refused.headers["content-type"] == "application/problem+json" and "profil" in refused.json()["detail"]
        with rt.store.read() as session:
            assert session.scalar(select(func.count()).select_from(CandidateRow)) == 1
            row = session.scalars(select(CandidateRow)).one()
            account = session.get(AccountRow, seeker)
            assert account is not None and account.candidate_id == row.id and row.owner_account_id == seeker
        cid = row.id

        # The person leaves traces everywhere: index, cached vectors of two versions, matches, mail, audit key.
        process_outbox(rt)
        first_text = candidate_text(_profile(rt, cid), rt.taxonomy)
        assert client.put("/me/profile", json=candidate_body(title="Agent d'entretien"), headers=as_seeker).is_success
        process_outbox(rt)
        assert client.get("/me/matches", headers=as_seeker).status_code == 200
        second_text = candidate_text(_profile(rt, cid), rt.taxonomy)
        hashes = [content_hash(first_text), content_hash(second_text)]
        folder = mail_folder(rt.settings)
        FileSender(folder).send(
            Message(key=digest_key(seeker, "2026-W48"), to="course@example.fr", subject="s", text="t")
        )
        FileSender(folder).send(
            Message(key=digest_key(f"{seeker}-x", "2026-W48"), to="autre@example.fr", subject="s", text="t")
        )
        with rt.store.transaction() as session:
            pseudonyms.pseudonym(session, cid)
        with rt.store.read() as session:
            cached = set(
                session.scalars(select(EmbeddingRow.content_hash).where(EmbeddingRow.content_hash.in_(hashes)))
            )
            assert cached == set(hashes)  # both versions were cached
        assert client.get(f"/candidates/{cid}", headers=as_recruiter).status_code == 200
        assert rt.backend.versions(CANDIDATES).get(cid) == 2

        assert client.delete("/me", headers=as_seeker).status_code == 204
        process_outbox(rt)
        # Nothing of the person in the store, the cache, the index, the API, search, export or the mail folder.
        with rt.store.read() as session:
            assert session.scalar(select(func.count()).select_from(CandidateRow)) == 0
            assert session.get(AccountRow, seeker) is None
            assert session.get(PseudonymRow, cid) is None
            assert not list(session.scalars(select(EmbeddingRow).where(EmbeddingRow.content_hash.in_(hashes))))
            assert not list(session.scalars(select(EmbeddingRow).where(EmbeddingRow.owner == cid)))
            with pytest.raises(Exception, match="introuvable"):
                privacy.export_person(session, candidate_id=cid)
        assert cid not in rt.backend.versions(CANDIDATES)
        assert client.get(f"/candidates/{cid}", headers=as_recruiter).status_code in (404, 410)
        found = client.post("/candidates/search", json={"query": "jardinier agent entretien"}, headers=as_recruiter)
        assert found.status_code == 200 and cid not in found.text
        assert client.get("/me/export", headers=as_seeker).status_code == 401
        assert sorted(p.name for p in folder.iterdir()) == [f"{digest_key(f'{seeker}-x', '2026-W48')}.json"]


def _profile(rt: Runtime, candidate_id: str) -> Candidate:
    with rt.store.read() as session:
        return records.get_candidate(session, candidate_id=candidate_id)
