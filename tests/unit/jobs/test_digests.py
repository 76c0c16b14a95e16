"""Alert digests: one message per seeker per period, frequency and consent respected, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from matcher.catalog.alerts import DigestsIncomplete, period_key, send_digests
from matcher.catalog.candidates import create_candidate
from matcher.catalog.employers import create_employer
from matcher.catalog.offers import set_offer_status
from matcher.core.models import EmployerIn, OfferStatus
from matcher.jobs.runner import process_outbox
from matcher.notify.senders import FileSender, Message
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, NotificationRow, SavedSearchRow
from tests.factories import add_offers, candidate_in

pytestmark = pytest.mark.both_stores  # also on PostgreSQL (tests/conftest.py)

MONDAY = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # 7:00 in Paris


class Outbox:
    channel = "test"

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail:
            raise ConnectionRefusedError("SMTP hors d'atteinte")
        self.sent.append(message)


def seeker(rt: Runtime, name: str, *, role: str = "seeker", disabled: bool = False, profile: bool = True) -> str:
    with rt.store.transaction() as session:
        candidate_id = None
        if profile:
            refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
            candidate_id = create_candidate(session, data=candidate_in(visibility="private"), **refs).id
        session.add(
            AccountRow(
                id=f"acc_{name}",
                email=f"{name}@example.org",
                name=name,
                role=role,
                password_hash="x",
                candidate_id=candidate_id,
                disabled=disabled,
            )
        )
    return f"acc_{name}"


def alert(rt: Runtime, account: str, *, frequency: str = "daily", query: str = "jardinier", **filters: object) -> str:
    alert_id = f"al_{account}_{frequency}_{query}"
    with rt.store.transaction() as session:
        session.add(
            SavedSearchRow(
                id=alert_id,
                account_id=account,
                kind="offers",
                name=f"Alerte {query}",
                query=query,
                filters=filters,
                frequency=frequency,
                created_at=MONDAY - timedelta(days=1),
            )
        )
    return alert_id


def offers_at(rt: Runtime, moment: datetime, count: int = 2, **changes: object) -> list[str]:
    with time_machine.travel(moment, tick=False):
        ids = add_offers(rt, count, employer_id=_employer(rt), **changes)
        process_outbox(rt)
    return ids


def _employer(rt: Runtime) -> str:
    with rt.store.transaction() as session:
        return create_employer(session, data=EmployerIn(name="Commune d'Aubenas", kind="commune")).id


def notifications(rt: Runtime) -> list[tuple[str, str]]:
    with rt.store.read() as session:
        return [(n.account_id, n.period) for n in session.scalars(select(NotificationRow).order_by(NotificationRow.id))]


def test_period_keys() -> None:
    assert period_key("daily", MONDAY) == "2026-01-05"
    assert period_key("daily", datetime(2026, 1, 5, 23, 30, tzinfo=UTC)) == "2026-01-06"  # Paris time
    assert period_key("weekly", MONDAY + timedelta(days=6)) == "2026-W02"


def test_one_digest_per_seeker_per_day_listing_every_alert(rt: Runtime) -> None:
    camille = seeker(rt, "camille")
    alert(rt, camille, query="jardinier")
    alert(rt, camille, query="espaces verts")
    first = offers_at(rt, MONDAY - timedelta(hours=3))
    outbox = Outbox()
    counts = send_digests(rt, now=MONDAY, sender=outbox)
    assert counts["digests"] == 1 and counts["sent"] == 1 and len(outbox.sent) == 1
    message = outbox.sent[0]
    assert message.to == "camille@example.org" and len(message.data["alerts"]) == 2
    assert {o["id"] for a in message.data["alerts"] for o in a["offers"]} == set(first)
    assert "nouvelle(s) offre(s)" in message.subject

    offers_at(rt, MONDAY + timedelta(hours=2))  # new offers the same day: they wait for tomorrow
    assert send_digests(rt, now=MONDAY + timedelta(hours=3), sender=outbox)["digests"] == 0
    tomorrow = send_digests(rt, now=MONDAY + timedelta(days=1), sender=outbox)
    assert tomorrow["digests"] == 1 and len(outbox.sent) == 2
    assert not {o["id"] for a in outbox.sent[1].data["alerts"] for o in a["offers"]} & set(first)  # only new ones
    assert send_digests(rt, now=MONDAY + timedelta(days=2), sender=outbox)["digests"] == 0  # nothing new
    assert notifications(rt) == [(camille, "2026-01-05"), (camille, "2026-01-06")]


def test_weekly_alerts_wait_for_the_next_week(rt: Runtime) -> None:
    dominique = seeker(rt, "dominique")
    alert(rt, dominique, frequency="weekly")
    offers_at(rt, MONDAY - timedelta(hours=3))
    outbox = Outbox()
    assert send_digests(rt, now=MONDAY, sender=outbox)["digests"] == 1
    offers_at(rt, MONDAY + timedelta(days=2))
    assert send_digests(rt, now=MONDAY + timedelta(days=3), sender=outbox)["digests"] == 0
    assert send_digests(rt, now=MONDAY + timedelta(days=7), sender=outbox)["digests"] == 1
    assert [p for _, p in notifications(rt)] == ["2026-W02", "2026-W03"]


def test_consent_and_filters_are_respected(rt: Runtime) -> None:
    kept = seeker(rt, "kept")
    alert(rt, kept, rome_codes=["A1203"], commune_insee="07019", radius_km=40, contract_types=["contractuel"])
    elsewhere = seeker(rt, "elsewhere")
    alert(rt, elsewhere, commune_insee="75056", radius_km=10)  # Paris: the offers are in Privas
    other_job = seeker(rt, "otherjob")
    alert(rt, other_job, rome_codes=["M1607"])
    for name, kwargs in (("off", {"disabled": True}), ("erased", {"profile": False}), ("hr", {"role": "recruiter"})):
        alert(rt, seeker(rt, name, **kwargs))  # type: ignore[arg-type]
    offers_at(rt, MONDAY - timedelta(hours=3))
    outbox = Outbox()
    send_digests(rt, now=MONDAY, sender=outbox)
    assert [m.to for m in outbox.sent] == ["kept@example.org"]


def test_a_digest_that_could_not_be_sent_is_sent_by_the_next_run(rt: Runtime) -> None:
    camille = seeker(rt, "camille")
    alert(rt, camille)
    offers_at(rt, MONDAY - timedelta(hours=3))
    with pytest.raises(DigestsIncomplete):
        send_digests(rt, now=MONDAY, sender=Outbox(fail=True))
    outbox = Outbox()
    counts = send_digests(rt, now=MONDAY + timedelta(minutes=5), sender=outbox)
    assert counts["digests"] == 0 and counts["sent"] == 1 and len(outbox.sent) == 1  # the same digest, once
    assert notifications(rt) == [(camille, "2026-01-05")]


def test_the_file_sender_writes_one_json_per_message(rt: Runtime) -> None:
    camille = seeker(rt, "camille")
    alert(rt, camille)
    offers_at(rt, MONDAY - timedelta(hours=3))
    folder = rt.settings.data_dir / "outbox-mail"
    send_digests(rt, now=MONDAY, sender=FileSender(folder))
    [written] = list(folder.glob("*.json"))
    assert written.name == f"digest-{camille}-2026-01-05.json"


def _listed(message: Message) -> set[str]:
    return {o["id"] for a in message.data["alerts"] for o in a["offers"]}


def test_an_offer_not_yet_indexed_comes_in_a_later_digest(rt: Runtime) -> None:
    camille = seeker(rt, "camille")
    alert(rt, camille)
    indexed = offers_at(rt, MONDAY - timedelta(hours=5), count=1)
    with time_machine.travel(MONDAY - timedelta(hours=3), tick=False):
        waiting = add_offers(rt, 1, employer_id=_employer(rt))  # its outbox row is not processed yet
    outbox = Outbox()
    assert send_digests(rt, now=MONDAY, sender=outbox)["digests"] == 1
    assert _listed(outbox.sent[0]) == set(indexed)  # not the offer the search cannot find yet…
    process_outbox(rt)
    assert send_digests(rt, now=MONDAY + timedelta(days=1), sender=outbox)["digests"] == 1
    assert _listed(outbox.sent[1]) == set(waiting)  # …which comes the next day, not lost


def test_an_offer_published_after_its_creation_reaches_a_digest_once(rt: Runtime) -> None:
    camille = seeker(rt, "camille")
    alert(rt, camille)
    draft = offers_at(rt, MONDAY - timedelta(hours=4), count=1, status="draft")
    sent = offers_at(rt, MONDAY - timedelta(hours=3), count=1)
    outbox = Outbox()
    assert send_digests(rt, now=MONDAY, sender=outbox)["digests"] == 1
    assert _listed(outbox.sent[0]) == set(sent)
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        with rt.store.transaction() as session:
            set_offer_status(session, offer_id=draft[0], status=OfferStatus.PUBLISHED)
            set_offer_status(session, offer_id=sent[0], status=OfferStatus.CLOSED)
            set_offer_status(session, offer_id=sent[0], status=OfferStatus.PUBLISHED)  # an edit
        process_outbox(rt)
    assert send_digests(rt, now=MONDAY + timedelta(days=1), sender=outbox)["digests"] == 1
    assert _listed(outbox.sent[1]) == set(draft)  # published yesterday; the one already sent is not sent again
