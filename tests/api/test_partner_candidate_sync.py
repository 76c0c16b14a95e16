"""Partner sync of candidate profiles: the offers' semantics, plus consent proofs, ownership and takeover."""

from __future__ import annotations

from datetime import date, timedelta

from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, ChangeRow
from tests.factories import PASSWORD, World, bearer, candidate_body, count

COMMUNES = ("07186", "07019", "26362", "38185", "69123")


def consent(**changes: object) -> dict:
    return {
        "given_at": (date.today() - timedelta(days=10)).isoformat(),
        "channel": "in_person",
        "scope": "all_public_employers",
        "duration_days": 365,
        **changes,
    }


def person(n: int, version: int = 1, title: str = "Jardinier paysagiste", **changes: object) -> dict:
    return {
        "external_id": f"p-{n:05d}",
        "version": version,
        "consent": consent(),
        "profile": candidate_body(
            display_name=f"Personne {n}", title=title, mobility={"communes": [COMMUNES[n % 5]], "radius_km": 30}
        ),
        **changes,
    }


def push(world: World, items: list[dict], who: str = "partner") -> dict:
    response = world.client.put("/partners/me/candidates", json=items, headers=world.as_(who))
    assert response.status_code == 200, response.text
    return response.json()


def feed(world: World, since: int, who: str = "partner") -> list[dict]:
    changes: list[dict] = []
    while True:
        page = world.client.get(
            "/partners/me/candidates/changes", params={"since": since, "limit": 40}, headers=world.as_(who)
        ).json()
        changes += page["changes"]
        since = page["next_cursor"]
        if not page["has_more"]:
            return changes


def test_push_5000_then_again_then_100_changed_and_50_deleted_and_pull_exactly_those(world: World, rt: Runtime) -> None:
    first = push(world, [person(n) for n in range(5000)])
    assert first["counts"]["created"] == 5000 and first["counts"]["rejected"] == 0
    cursor = first["cursor"]
    assert count(rt, CandidateRow) == 5000

    again = push(world, [person(n) for n in range(5000)])
    assert again["counts"]["unchanged"] == 5000 and again["cursor"] == cursor

    changed = [person(n, version=2, title="Agent d'entretien des espaces verts") for n in range(100)]
    deleted = [{"external_id": f"p-{n:05d}", "version": 2, "deleted": True} for n in range(4950, 5000)]
    third = push(world, changed + deleted)
    assert third["counts"]["updated"] == 100 and third["counts"]["deleted"] == 50
    assert count(rt, CandidateRow) == 4950

    changes = feed(world, cursor)
    assert len(changes) == 150
    assert {c["external_id"] for c in changes if c["action"] == "updated"} == {f"p-{n:05d}" for n in range(100)}
    assert {c["external_id"] for c in changes if c["action"] == "deleted"} == {f"p-{n:05d}" for n in range(4950, 5000)}
    assert changes[-1]["cursor"] == third["cursor"]
    # The index catches up with the store: whatever the woken runner has not indexed yet, a drain does
    # (indexing is idempotent: documents carry the store's version).
    process_outbox(rt)
    assert rt.backend.count("candidates") == 4950


def test_stale_replays_and_late_upserts_after_a_delete_are_refused(world: World, rt: Runtime) -> None:
    push(world, [person(1, version=5)])
    replay = push(world, [person(1, version=4, title="Ancien")])["items"][0]
    assert replay["status"] == "rejected" and "antérieure" in replay["errors"][0]["message"]
    conflict = push(world, [person(1, version=5, title="Autre")])["items"][0]
    assert conflict["status"] == "rejected" and conflict["errors"][0]["field"] == "version"
    assert push(world, [{"external_id": "p-00001", "version": 6, "deleted": True}])["items"][0]["status"] == "deleted"
    late = push(world, [person(1, version=5)])["items"][0]
    assert late["status"] == "rejected" and count(rt, CandidateRow) == 0
    assert push(world, [person(1, version=7)])["items"][0]["status"] == "created"


def test_a_profile_needs_a_valid_consent_proof_and_refusals_name_the_field(world: World, rt: Runtime) -> None:
    old = (date.today() - timedelta(days=400)).isoformat()
    items = [
        person(1),
        {k: v for k, v in person(2).items() if k != "consent"},
        person(3, consent=consent(channel="pigeon")),
        person(4, consent=consent(scope="employers")),
        person(5, consent=consent(given_at=old)),
        person(6, consent=consent(given_at=(date.today() + timedelta(days=3)).isoformat())),
        {**person(7), "profile": {**person(7)["profile"], "mobility": {"communes": ["99999"], "radius_km": 30}}},
        person(8, consent=consent(scope="employers", employer_ids=[world.employer_a])),
    ]
    report = push(world, items)
    statuses = [i["status"] for i in report["items"]]
    assert statuses == ["created", *["rejected"] * 6, "created"]
    fields = [i["errors"][0]["field"] for i in report["items"] if i["status"] == "rejected"]
    assert fields == [
        "consent",
        "consent.channel",
        "consent",
        "consent.duration_days",
        "consent.given_at",
        "profile.mobility.communes.0",
    ]
    assert "expiré" in report["items"][4]["errors"][0]["message"]
    assert count(rt, CandidateRow) == 2
    stored = world.client.get("/partners/me/candidates/p-00008", headers=world.as_("partner")).json()
    assert stored["consent"]["scope"] == "employers" and stored["consent"]["employer_ids"] == [world.employer_a]
    # Named employers: open to them alone (the profile stays private, never shown to all).
    assert stored["candidate"]["visibility"] == "private"
    seen = {
        who: world.client.get(f"/candidates/{stored['candidate']['id']}", headers=world.as_(who)).status_code
        for who in ("recruiter", "other_recruiter")
    }
    assert seen == {"recruiter": 200, "other_recruiter": 404}
    assert (
        world.client.get("/partners/me/candidates/p-00001", headers=world.as_("partner")).json()["candidate"][
            "visibility"
        ]
        == "employers"
    )
    assert stored["candidate"]["consented_at"].startswith((date.today() - timedelta(days=10)).isoformat())


def _second_partner(world: World, rt: Runtime) -> None:
    with rt.store.transaction() as session:
        other = accounts.create_partner(session, data=PartnerIn(name="Autre agence", employer_ids=[world.employer_b]))
        world.headers["other_partner"] = {"X-API-Key": accounts.issue_key(session, partner_id=other.id).key}


def test_a_partner_sees_and_changes_only_the_profiles_it_brought(world: World, rt: Runtime) -> None:
    _second_partner(world, rt)
    mine = push(world, [person(1)])["items"][0]["candidate_id"]
    theirs = push(world, [person(1, title="Autre métier")], who="other_partner")["items"][0]
    assert theirs["status"] == "created" and theirs["candidate_id"] != mine  # same external id, another person
    assert push(world, [{"external_id": "p-00001", "version": 2, "deleted": True}], who="other_partner")
    assert world.client.get("/partners/me/candidates/p-00001", headers=world.as_("partner")).status_code == 200
    assert world.client.get("/partners/me/candidates/p-00001", headers=world.as_("other_partner")).status_code == 404
    assert [c["action"] for c in feed(world, 0)] == ["created"]
    assert count(rt, CandidateRow) == 1
    for who in ("recruiter", "seeker"):
        assert world.client.put("/partners/me/candidates", json=[person(2)], headers=world.as_(who)).status_code == 403


def test_a_person_takes_over_with_a_one_time_code_and_then_their_choices_win(world: World, rt: Runtime) -> None:
    candidate_id = push(world, [person(1)])["items"][0]["candidate_id"]
    issued = world.client.post("/partners/me/candidates/p-00001/link-code", headers=world.as_("partner"))
    assert issued.status_code == 201
    code = issued.json()["code"]
    seeker = world.as_("seeker")
    assert world.client.post("/me/profile/link", json={"code": "AAAA-BBBB-CCCC"}, headers=seeker).status_code == 422
    taken = world.client.post("/me/profile/link", json={"code": code.lower()}, headers=seeker)
    assert taken.status_code == 200 and taken.json()["id"] == candidate_id
    again = world.client.post("/me/profile/link", json={"code": code}, headers=seeker)
    assert again.status_code == 409
    # The person closes their profile; the partner's next push cannot reopen it nor change it.
    own = world.client.put("/me/profile", json=candidate_body(title="Mon choix", visibility="private"), headers=seeker)
    assert own.status_code == 200
    refused = push(world, [person(1, version=2, title="Choix du partenaire")])["items"][0]
    assert refused["status"] == "rejected" and refused["errors"][0]["field"] == "external_id"
    profile = world.client.get("/me/profile", headers=seeker).json()
    assert profile["title"] == "Mon choix" and profile["visibility"] == "private"
    assert world.client.get("/partners/me/candidates/p-00001", headers=world.as_("partner")).status_code == 404
    # The partner's delete only ends its own link: the person's profile stays.
    gone = push(world, [{"external_id": "p-00001", "version": 3, "deleted": True}])["items"][0]
    assert gone["status"] == "deleted" and count(rt, CandidateRow) == 1


def test_a_code_is_single_use_and_another_seeker_cannot_reuse_it(world: World, rt: Runtime) -> None:
    push(world, [person(1)])
    code = world.client.post("/partners/me/candidates/p-00001/link-code", headers=world.as_("partner")).json()["code"]
    assert world.client.post("/me/profile/link", json={"code": code}, headers=world.as_("seeker")).status_code == 200
    with rt.store.transaction() as session:
        other = accounts.create_account(
            session, data=AccountIn(email="lou@example.fr", name="Lou", role=Role.SEEKER, password=PASSWORD)
        )
    reused = world.client.post("/me/profile/link", json={"code": code}, headers=bearer(rt, other.id))
    assert reused.status_code == 422 and reused.json()["errors"][0]["field"] == "code"
    taken = world.client.post("/partners/me/candidates/p-00001/link-code", headers=world.as_("partner"))
    assert taken.status_code == 404  # the profile is the person's now


def test_erasure_of_a_partner_brought_person_survives_a_replayed_push(world: World, rt: Runtime) -> None:
    first = push(world, [person(n) for n in range(3)])
    erased = first["items"][1]["candidate_id"]
    admin = world.as_("admin")
    assert world.client.delete(f"/candidates/{erased}", headers=admin).status_code in (200, 204)
    replay = push(world, [person(n) for n in range(3)])
    assert [i["status"] for i in replay["items"]] == ["unchanged", "rejected", "unchanged"]
    assert replay["items"][1]["errors"][0]["field"] == "external_id"
    newer = push(world, [person(1, version=9, title="Nouvelle version")])["items"][0]
    assert newer["status"] == "rejected" and "effacée" in newer["errors"][0]["message"]
    with rt.store.read() as session:
        assert session.get(CandidateRow, erased) is None
        assert session.query(CandidateRow).filter(CandidateRow.external_ref == "p-00001").count() == 0
    # The partner learns of it from the feed (GDPR art. 19), without the person's id.
    last = feed(world, first["cursor"])
    assert [(c["external_id"], c["action"], c["candidate_id"]) for c in last] == [("p-00001", "deleted", None)]
    assert count(rt, ChangeRow) == 3
