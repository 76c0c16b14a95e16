"""The direct approach through the API: approach, answer (signed link or own space), pipeline, measures,
interest, privacy; every refusal writes nothing and sends nothing; another tenant sees nothing."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from matcher.approach import approaches as approach_service
from matcher.catalog.candidates import create_candidate
from matcher.core.outbox import new_id
from matcher.jobs.runner import InProcessRunner, pending_count, process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import (
    AccountRow,
    ApproachRow,
    AuditRow,
    DeliveryRow,
    EmployerRow,
    FeedbackRow,
    OutboxRow,
    PipelineEventRow,
)
from tests.factories import World, bearer, candidate_in, count, offer_body


def seeker(rt: Runtime, name: str, **changes: object) -> tuple[str, dict[str, str], str]:
    """A job seeker with a visible profile and an account (no password: signed in by token): (id, headers, e-mail)."""
    email = f"{name.lower()}@example.fr"
    with rt.store.transaction() as session:
        candidate = create_candidate(
            session, data=candidate_in(display_name=name, **changes), taxonomy=rt.taxonomy, geography=rt.geography
        )
        account_id = new_id("acc")
        session.add(
            AccountRow(
                id=account_id, email=email, name=name, role="seeker", password_hash="-", candidate_id=candidate.id
            )
        )
    process_outbox(rt)
    return candidate.id, bearer(rt, account_id), email


def mails(rt: Runtime) -> dict[str, dict]:
    """The messages sent so far (file sender), once the background work owed by the last writes is done."""
    deadline = time.monotonic() + 20
    while pending_count(rt) and time.monotonic() < deadline:
        time.sleep(0.05)
    folder = Path(rt.settings.data_dir) / "outbox-mail"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")} if folder.exists() else {}


def token_in(text: str) -> str:
    found = re.search(r"/approches/reponse/(\S+)", text)
    assert found, text
    return found.group(1)


class Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        Receiver.bodies.append({"event": self.headers["x-matcher-event"], **json.loads(self.rfile.read(length))})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def loop(world: World, rt: Runtime) -> dict:
    """An offer of employer A with a kept shortlist of two seekers (Alice, Bruno) who have accounts."""
    alice, alice_h, alice_mail = seeker(rt, "Alice")
    bruno, bruno_h, _ = seeker(rt, "Bruno", mobility={"communes": ["07186"], "radius_km": 30})
    hr = world.as_("recruiter")
    offer = world.client.post("/offers", json=offer_body(world.employer_a), headers=hr).json()["id"]
    built = world.client.post(f"/offers/{offer}/shortlists", json={"size": 10}, headers=hr)
    assert built.status_code == 201
    return {
        "offer": offer,
        "alice": alice,
        "alice_h": alice_h,
        "alice_mail": alice_mail,
        "bruno": bruno,
        "bruno_h": bruno_h,
        "hr": hr,
    }


def test_the_whole_loop(world: World, rt: Runtime, loop: dict, receiver: str) -> None:
    client, hr, offer = world.client, loop["hr"], loop["offer"]
    with rt.store.transaction() as session:
        employer = session.get(EmployerRow, world.employer_a)
        assert employer is not None
        employer.webhook_url, employer.webhook_secret = receiver, "s3cret-s3cret-s3cret"
    words = "<script>alert(1)</script> Venez nous rencontrer."
    sent = client.post(
        f"/offers/{offer}/approaches",
        json={"candidate_ids": [loop["alice"], loop["bruno"]], "message": words},
        headers=hr,
    )
    assert sent.status_code == 201, sent.text
    by_candidate = {a["candidate_id"]: a for a in sent.json()}
    first = by_candidate[loop["alice"]]
    assert first["status"] == "open" and first["contact"] is None and first["source"] == "shortlist"
    assert "« Jardinier / Jardinière »" in first["message"] and words in first["message"]
    assert "Pourquoi votre profil : " in first["message"] and first["explanation"]["contributions"]
    # The audit log records the approach under the person's pseudonym, never its text nor their id.
    with rt.store.read() as session:
        logged = [(r.subject, r.payload) for r in session.query(AuditRow).filter(AuditRow.action == "approach.sent")]
    assert len(logged) == 2 and {p["approach_id"] for _, p in logged} == {
        first["id"],
        by_candidate[loop["bruno"]]["id"],
    }
    assert words not in json.dumps(logged) and loop["alice"] not in json.dumps(logged)

    # Delivery: an e-mail with a signed link carrying no personal data.
    inbox = mails(rt)
    alice_mail = inbox[f"approach-{first['id']}-sent"]
    assert alice_mail["to"] == loop["alice_mail"] and words in alice_mail["text"]
    token = token_in(alice_mail["text"])
    assert "alice" not in token.lower() and loop["alice"] not in token
    # Alice answers through the link, sharing her e-mail only; Bruno declines in his space.
    seen = client.get(f"/approach-answers/{token}").json()
    assert seen["approach"]["id"] == first["id"] and seen["employer_name"] == "Commune de Privas"
    accepted = client.post(f"/approach-answers/{token}", json={"answer": "accept", "share_email": True})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = client.post(f"/approach-answers/{token}", json={"answer": "decline"})
    assert again.status_code == 409
    second = by_candidate[loop["bruno"]]
    assert [a["id"] for a in client.get("/me/approaches", headers=loop["bruno_h"]).json()] == [second["id"]]
    declined = client.post(
        f"/me/approaches/{second['id']}/answer",
        json={"answer": "decline", "reason": "location"},
        headers=loop["bruno_h"],
    )
    assert declined.status_code == 200 and declined.json()["reason"] == "location"

    # The recruiter sees Alice's chosen contact, none of Bruno's; told by e-mail and webhook.
    listed = {a["candidate_id"]: a for a in client.get(f"/offers/{offer}/approaches", headers=hr).json()}
    assert listed[loop["alice"]]["contact"]["email"] == loop["alice_mail"]
    assert listed[loop["alice"]]["contact"]["phone"] is None
    assert listed[loop["bruno"]]["contact"] is None and listed[loop["bruno"]]["status"] == "declined"
    inbox = mails(rt)
    assert inbox[f"approach-{first['id']}-answered"]["to"] == "rh@privas.example.fr"
    assert "a décliné votre approche (motif : lieu de travail)" in inbox[f"approach-{second['id']}-answered"]["text"]
    assert loop["alice_mail"] not in inbox[f"approach-{first['id']}-answered"]["text"]
    events = {b["approach_id"]: b for b in Receiver.bodies if b["event"] == "approach.answered"}
    assert events[first["id"]]["status"] == "accepted" and events[second["id"]]["reason"] == "location"
    assert loop["alice_mail"] not in json.dumps(Receiver.bodies)

    # The pipeline, filterable, with each history (who, when).
    pipeline = client.get(f"/offers/{offer}/pipeline", headers=hr).json()
    stages = {e["candidate_id"]: e for e in pipeline["entries"]}
    assert stages[loop["alice"]]["stage"] == "accepted" and stages[loop["bruno"]]["stage"] == "declined"
    assert [s["stage"] for s in stages[loop["alice"]]["history"]] == ["shortlisted", "approached", "accepted"]
    assert stages[loop["alice"]]["history"][1]["actor"] == world.account_ids["recruiter"]
    only = client.get(f"/offers/{offer}/pipeline?stage=accepted", headers=hr).json()["entries"]
    assert [e["candidate_id"] for e in only] == [loop["alice"]]

    # Stage changes are decisions; "not retained" needs its reason.
    moved = client.post(f"/offers/{offer}/pipeline/{loop['alice']}", json={"stage": "interview"}, headers=hr)
    assert moved.status_code == 200 and moved.json()["stage"] == "interview"
    unreasoned = client.post(f"/offers/{offer}/pipeline/{loop['bruno']}", json={"stage": "not_retained"}, headers=hr)
    assert unreasoned.status_code == 422 and unreasoned.json()["errors"][0]["field"] == "reason"
    assert count(rt, FeedbackRow) == 1

    measures = client.get(f"/offers/{offer}/approach-measures", headers=hr).json()
    assert measures["sent"] == 2 and measures["answered"] == 2 and measures["acceptance_rate"] == 0.5
    assert measures["declined_by_reason"] == {"location": 1} and measures["median_hours_to_answer"] is not None
    assert client.get(f"/employers/{world.employer_a}/approach-measures", headers=hr).json()["sent"] == 2

    # Alice withdraws her contact: the recruiter no longer sees it.
    withdrawn = client.delete(f"/me/approaches/{first['id']}/contact", headers=loop["alice_h"])
    assert withdrawn.status_code == 200
    assert client.get(f"/approaches/{first['id']}", headers=hr).json()["contact"] is None

    # Closing the offer closes the pipeline.
    client.post(f"/offers/{offer}/close", headers=hr)
    closed = client.post(f"/offers/{offer}/pipeline/{loop['alice']}", json={"stage": "hired"}, headers=hr)
    assert closed.status_code == 409 and "close" in closed.json()["detail"]
    assert client.get(f"/offers/{offer}/pipeline", headers=hr).json()["closed"] is True


def _nothing_written(rt: Runtime, before: tuple[int, int, int, int]) -> None:
    assert (count(rt, ApproachRow), count(rt, PipelineEventRow), count(rt, OutboxRow), len(mails(rt))) == before


def test_refusals_name_why_and_write_nothing(world: World, rt: Runtime, loop: dict) -> None:
    client, hr, offer = world.client, loop["hr"], loop["offer"]
    hidden, _, _ = seeker(rt, "Chloé", visibility="private")
    before = (count(rt, ApproachRow), count(rt, PipelineEventRow), count(rt, OutboxRow), len(mails(rt)))
    url = f"/offers/{offer}/approaches"

    invisible = client.post(url, json={"candidate_ids": [loop["alice"], hidden], "source": "search"}, headers=hr)
    assert invisible.status_code == 422
    assert invisible.json()["errors"][0]["field"] == "candidate_ids.1" and "non visible" in invisible.json()["detail"]
    _nothing_written(rt, before)

    client.put("/me/approach-preferences", json={"accepts_approaches": False}, headers=loop["bruno_h"])
    off = client.post(url, json={"candidate_ids": [loop["alice"], loop["bruno"]]}, headers=hr)
    assert off.status_code == 422 and "ne souhaite pas être approché" in off.json()["detail"]
    _nothing_written(rt, before)

    too_long = client.post(url, json={"candidate_ids": [loop["alice"]], "message": "x" * 1501}, headers=hr)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "message"

    rt.settings.approach_daily_quota = 1
    over = client.post(url, json={"candidate_ids": [loop["alice"], hidden]}, headers=hr)
    assert over.status_code == 409 and "quota" in over.json()["detail"]
    _nothing_written(rt, before)
    rt.settings.approach_daily_quota = 30

    assert client.post(url, json={"candidate_ids": [loop["alice"]]}, headers=hr).status_code == 201
    twice = client.post(url, json={"candidate_ids": [loop["alice"]]}, headers=hr)
    assert twice.status_code == 409 and "déjà ouverte" in twice.json()["detail"]
    assert count(rt, ApproachRow) == before[0] + 1

    client.post(f"/offers/{offer}/close", headers=hr)
    after_close = (count(rt, ApproachRow), count(rt, PipelineEventRow), count(rt, OutboxRow), len(mails(rt)))
    closed = client.post(url, json={"candidate_ids": [loop["alice"]], "source": "search"}, headers=hr)
    assert closed.status_code == 409 and "publiée" in closed.json()["detail"]
    _nothing_written(rt, after_close)
    # And an approach still open cannot be answered once the offer closed.
    mine = client.get("/me/approaches", headers=loop["alice_h"]).json()[0]
    late = client.post(f"/me/approaches/{mine['id']}/answer", json={"answer": "decline"}, headers=loop["alice_h"])
    assert late.status_code == 409


def test_another_tenant_sees_nothing(world: World, rt: Runtime, loop: dict) -> None:
    client, hr, offer = world.client, loop["hr"], loop["offer"]
    sent = client.post(f"/offers/{offer}/approaches", json={"candidate_ids": [loop["alice"]]}, headers=hr).json()[0]
    other = world.as_("other_recruiter")
    for path in (
        f"/offers/{offer}/pipeline",
        f"/offers/{offer}/approaches",
        f"/approaches/{sent['id']}",
        f"/offers/{offer}/approach-measures",
        f"/offers/{offer}/approach-template",
        f"/employers/{world.employer_a}/approach-measures",
    ):
        assert client.get(path, headers=other).status_code == 404, path
    assert (
        client.post(f"/offers/{offer}/approaches", json={"candidate_ids": [loop["bruno"]]}, headers=other).status_code
        == 404
    )
    assert (
        client.post(f"/offers/{offer}/pipeline/{loop['alice']}", json={"stage": "interview"}, headers=other).status_code
        == 404
    )
    # A candidate answers only their own approaches; a forged link is refused like an unknown one.
    stolen = client.post(f"/me/approaches/{sent['id']}/answer", json={"answer": "decline"}, headers=loop["bruno_h"])
    assert stolen.status_code == 404
    assert client.get(f"/me/approaches/{sent['id']}", headers=loop["bruno_h"]).status_code == 404
    assert client.delete(f"/me/approaches/{sent['id']}/contact", headers=loop["bruno_h"]).status_code == 404
    assert client.post("/approach-answers/apr_forged.x.y", json={"answer": "decline"}).status_code == 404
    with rt.store.read() as session:
        assert session.get(ApproachRow, sent["id"]).status == "open"  # type: ignore[union-attr]


def test_interest_puts_the_seeker_in_the_pipeline(world: World, rt: Runtime, loop: dict) -> None:
    client, hr, offer = world.client, loop["hr"], loop["offer"]
    marked = client.post("/me/interests", json={"offer_id": offer}, headers=loop["bruno_h"])
    assert marked.status_code == 201 and marked.json()["stage"] == "interested"
    assert client.post("/me/interests", json={"offer_id": offer}, headers=loop["bruno_h"]).status_code == 409
    entry = next(e for e in client.get(f"/offers/{offer}/pipeline?source=interest", headers=hr).json()["entries"])
    assert entry["candidate_id"] == loop["bruno"] and entry["stage"] == "interested"
    assert entry["explanation"]["contributions"]  # explained like a shortlist place
    # The recruiter approaches them from their interest.
    sent = client.post(
        f"/offers/{offer}/approaches", json={"candidate_ids": [loop["bruno"]], "source": "interest"}, headers=hr
    )
    assert sent.status_code == 201 and sent.json()[0]["source"] == "interest"
    assert client.get(f"/offers/{offer}/approach-measures", headers=hr).json()["sources"]["interest"] == 1
    assert [i["stage"] for i in client.get("/me/interests", headers=loop["bruno_h"]).json()] == ["approached"]


def test_expiry_tells_the_recruiter(world: World, rt: Runtime, loop: dict) -> None:
    client, hr, offer = world.client, loop["hr"], loop["offer"]
    sent = client.post(f"/offers/{offer}/approaches", json={"candidate_ids": [loop["alice"]]}, headers=hr).json()[0]
    assert approach_service.expire(rt, now=datetime.now(UTC) + timedelta(days=1)) == {"expired": 0, "closed": 0}
    later = datetime.now(UTC) + timedelta(days=rt.settings.approach_expiry_days, hours=1)
    assert approach_service.expire(rt, now=later) == {"expired": 1, "closed": 0}
    runner = InProcessRunner(rt)  # what the beat's dispatch does after the expiry job
    runner.kick()
    runner.close()
    assert mails(rt)[f"approach-{sent['id']}-expired"]["to"] == "rh@privas.example.fr"
    stages = client.get(f"/offers/{offer}/pipeline?stage=expired", headers=hr).json()["entries"]
    assert [e["candidate_id"] for e in stages] == [loop["alice"]]
    with rt.store.read() as session:
        assert session.query(DeliveryRow).count() == 0  # no webhook configured: none owed


def test_export_and_erasure_reach_approaches(world: World, rt: Runtime, loop: dict) -> None:
    client, hr, offer = world.client, loop["hr"], loop["offer"]
    sent, other = client.post(
        f"/offers/{offer}/approaches", json={"candidate_ids": [loop["alice"], loop["bruno"]]}, headers=hr
    ).json()
    client.post(
        f"/me/approaches/{sent['id']}/answer",
        json={"answer": "accept", "share_phone": True, "phone": "06 12 34 56 78"},
        headers=loop["alice_h"],
    )
    # The messages about Alice's approach (to her, then to the recruiter, naming her), as the file sender keeps them.
    about_alice = {f"approach-{sent['id']}-sent", f"approach-{sent['id']}-answered"}
    assert about_alice <= set(mails(rt)) and f"approach-{other['id']}-sent" in mails(rt)
    exported = client.get("/me/export", headers=loop["alice_h"]).json()
    assert (
        exported["approaches"][0]["id"] == sent["id"] and exported["approaches"][0]["shared_phone"] == "06 12 34 56 78"
    )
    assert [e["stage"] for e in exported["pipeline"]] == ["approached", "accepted"]
    assert client.delete("/me", headers=loop["alice_h"]).status_code == 204
    with rt.store.read() as session:
        assert session.query(ApproachRow).filter(ApproachRow.candidate_id == loop["alice"]).count() == 0
        assert session.query(PipelineEventRow).filter(PipelineEventRow.candidate_id == loop["alice"]).count() == 0
    assert [a["id"] for a in client.get(f"/offers/{offer}/approaches", headers=hr).json()] == [other["id"]]
    # Her mail files went with her; Bruno's stayed.
    assert not about_alice & set(mails(rt)) and f"approach-{other['id']}-sent" in mails(rt)
