"""Partner bulk sync through the API: offers accepted per second, against one POST per offer.

    uv run python -m bench.partner_sync [--offers 2000]

Both paths run through the real app (auth, validation, store, outbox) on a fresh SQLite store, with
the job runner switched off so that only acceptance is timed (indexing is measured by bench.ingest).
The offers are the real shipped ones (cycled past 744). Baseline (same run): one authenticated ``POST /offers`` each.
Then one ``PUT /partners/me/offers`` with all of them, the same push again (all unchanged), and a
push where a tenth changed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.access import accounts, tokens
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.core.settings import MatcherSettings
from matcher.demo.samples import offer_input, shipped_offers
from matcher.embedding.hashing import HashingEmbedder
from matcher.runtime import Runtime


class _NoRunner:
    def kick(self) -> None:  # acceptance only: the outbox is left for bench.ingest to measure
        pass


def _world(data_dir: Path) -> tuple[Runtime, dict[str, str], dict[str, str], str]:
    settings = MatcherSettings(data_dir=data_dir, embedder="hashing", rate_limit_per_minute=10**9)
    rt = Runtime.open(settings, embedder=HashingEmbedder())
    rt.ensure_indices()
    with rt.store.transaction() as session:
        employer = create_employer(session, data=EmployerIn(name="Employeur", kind=EmployerKind.COMMUNE)).id
        recruiter = accounts.create_account(
            session,
            data=AccountIn(
                email="rh@example.fr", name="RH", role=Role.RECRUITER, password="x" * 12, employer_ids=[employer]
            ),
        )
        partner = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[employer]))
        key = accounts.issue_key(session, partner_id=partner.id).key
    bearer = {"Authorization": f"Bearer {tokens.issue(settings, subject=recruiter.id)[0]}"}
    return rt, bearer, {"X-API-Key": key}, employer


def _offers(count: int, employer: str) -> list[dict[str, Any]]:
    out = []
    shipped = list(shipped_offers(MatcherSettings().reference_dir))
    for raw in islice(cycle(shipped), count):  # past the 744 shipped offers, they come round again
        offer = offer_input(raw).model_dump(mode="json") | {"employer_id": employer, "source": "direct"}
        offer.pop("external_ref")
        out.append(offer)
    return out


def _timed(label: str, count: int, run: Any, baseline: float | None = None) -> float:
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    versus = f"  (x{rate / baseline:.1f} baseline)" if baseline else ""
    print(f"{label:<44} {count:>6} offers in {elapsed:6.2f} s  {rate:8.0f} offers/s{versus}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rt, bearer, key, employer = _world(Path(folder))
        app = create_app(rt)
        with TestClient(app) as client:
            app.state.runner = _NoRunner()
            offers = _offers(args.offers, employer)
            count = len(offers)
            print(f"{count} real offers, SQLite store, job runner off (acceptance only)\n")

            def one_by_one() -> None:
                for offer in offers:
                    assert client.post("/offers", json=offer, headers=bearer).status_code == 201

            baseline = _timed("baseline: POST /offers, one per offer", count, one_by_one)
            items: list[dict[str, Any]] = [
                {"external_id": f"x-{i}", "version": 1, "offer": o} for i, o in enumerate(offers)
            ]

            def push(batch: list[dict[str, Any]], expect: str) -> None:
                report = client.put("/partners/me/offers", json=batch, headers=key).json()
                assert report["counts"][expect] >= len(batch) * 0.09, report["counts"]

            _timed("PUT /partners/me/offers, all new", count, lambda: push(items, "created"), baseline)
            _timed("same push again (all unchanged)", count, lambda: push(items, "unchanged"), baseline)
            changed = [
                {**item, "version": 2, "offer": {**item["offer"], "title": item["offer"]["title"] + " (modifiée)"}}
                if i % 10 == 0
                else item
                for i, item in enumerate(items)
            ]
            _timed("push with a tenth changed", count, lambda: push(changed, "updated"), baseline)
        rt.close()


if __name__ == "__main__":
    main()
