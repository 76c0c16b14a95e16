"""A large partner sync beside other writers: how long do they wait, and what does the sync lose?

    uv run python -m bench.sync_contention [--items 10000] [--database-url postgresql+psycopg://…]

On PostgreSQL it empties the tables of the URL's schema: give it one of its own
(``…?options=-csearch_path%3Dbench``, after ``CREATE SCHEMA bench``).

The real app is served by uvicorn in a child process, on a fresh store (SQLite by default). One
client pushes ``--items`` offers in a single ``PUT /partners/me/offers``; meanwhile another client,
once a second, publishes an offer (``POST /offers``) and signs in (``POST /auth/token``), and times
each. Printed per mode: the worst and median latency the other client saw (target: ≤ 1 s), its
errors, and the sync's throughput. Two modes in the same run: the former way (the whole push in one
transaction: ``MATCHER_SYNC_CHUNK_ITEMS=0``) and the chunked commits (the settings' defaults).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from matcher.access import accounts
from matcher.access.accounts import AccountIn, PartnerIn, Role
from matcher.catalog.employers import create_employer
from matcher.core.models import EmployerIn, EmployerKind
from matcher.core.settings import MatcherSettings
from matcher.demo.samples import offer_input, shipped_offers
from matcher.embedding.hashing import HashingEmbedder
from matcher.runtime import Runtime

PASSWORD = "un mot de passe assez long"  # noqa: S105 (a throwaway store's account)
EMAIL = "rh@example.fr"


@dataclass
class Seen:
    """What the other client saw: (what, seconds, HTTP status) per request."""

    calls: list[tuple[str, float, int]] = field(default_factory=list)

    def worst(self, what: str) -> float:
        return max((s for w, s, _ in self.calls if w == what), default=float("nan"))

    def median(self, what: str) -> float:
        return statistics.median([s for w, s, _ in self.calls if w == what] or [float("nan")])

    def failures(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for what, _, status in self.calls:
            if status >= 400:
                out[f"{what} {status}"] = out.get(f"{what} {status}", 0) + 1
        return out


def _env(data_dir: Path, database_url: str | None, chunk_items: int | None) -> dict[str, str]:
    env = {
        **os.environ,
        "MATCHER_DATA_DIR": str(data_dir),
        "MATCHER_EMBEDDER": "hashing",
        "MATCHER_RATE_LIMIT_PER_MINUTE": str(10**9),
        "MATCHER_SIGN_IN_ATTEMPTS_PER_MINUTE": str(10**9),
        "MATCHER_SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": str(10**9),
        "MATCHER_LOG_LEVEL": "WARNING",
        "MATCHER_LOG_FORMAT": "text",
    }
    if database_url:
        env["MATCHER_DATABASE_URL"] = database_url
    if chunk_items is not None:
        env["MATCHER_SYNC_CHUNK_ITEMS"] = str(chunk_items)
    return env


def _prepare(settings: MatcherSettings) -> tuple[str, str]:
    """A fresh store with one employer, a recruiter and a partner key: (employer id, key)."""
    rt = Runtime.open(settings, embedder=HashingEmbedder())
    try:
        if rt.store.engine.dialect.name == "postgresql":  # start from empty tables (the schema is migrated)
            with rt.store.transaction() as session:
                mine = (
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
                )
                names = session.scalars(text(mine)).all()
                session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        rt.ensure_indices()
        with rt.store.transaction() as session:
            employer = create_employer(session, data=EmployerIn(name="Employeur", kind=EmployerKind.COMMUNE)).id
            accounts.create_account(
                session,
                data=AccountIn(email=EMAIL, name="RH", role=Role.RECRUITER, password=PASSWORD, employer_ids=[employer]),
            )
            partner = accounts.create_partner(session, data=PartnerIn(name="Agence", employer_ids=[employer]))
            key = accounts.issue_key(session, partner_id=partner.id).key
    finally:
        rt.close()
    return employer, key


def _offers(count: int, employer: str) -> list[dict[str, Any]]:
    shipped = list(shipped_offers(MatcherSettings().reference_dir))
    out = []
    for n, raw in enumerate(islice(cycle(shipped), count)):
        offer = offer_input(raw).model_copy(update={"employer_id": employer})
        body = offer.model_dump(mode="json", exclude={"source", "external_ref"})
        out.append({"external_id": f"bench-{n:06d}", "version": 1, "offer": body})
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port)]
    log = open(Path(env["MATCHER_DATA_DIR"]) / "server.log", "wb")  # noqa: SIM115 (the child writes it)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code in (200, 503):
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def _warm_up(base: str, key: str, item: dict[str, Any]) -> None:
    """One offer synced and indexed first: the one-off loads (ROME titles index, model) are not measured."""
    warm = [{**item, "external_id": "warm-up"}]
    httpx.put(f"{base}/partners/me/offers", json=warm, headers={"X-API-Key": key}, timeout=300)
    deadline = time.monotonic() + 300
    while httpx.get(f"{base}/health", timeout=30).json()["pending_jobs"] and time.monotonic() < deadline:
        time.sleep(0.5)


def _other_client(base: str, employer: str, stop: threading.Event, seen: Seen) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        token = client.post("/auth/token", data={"username": EMAIL, "password": PASSWORD}).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        n = 0
        while not stop.is_set():
            tick = time.monotonic()
            body = {
                "title": f"Agent d'accueil n°{n}",
                "employer_id": employer,
                "commune_insee": "07186",
                "contract_types": ["contractuel"],
            }
            started = time.perf_counter()
            status = client.post("/offers", json=body, headers=bearer).status_code
            seen.calls.append(("publish", time.perf_counter() - started, status))
            started = time.perf_counter()
            status = client.post("/auth/token", data={"username": EMAIL, "password": PASSWORD}).status_code
            seen.calls.append(("sign-in", time.perf_counter() - started, status))
            n += 1
            stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))


def run_mode(name: str, items: int, database_url: str | None, chunk_items: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        data_dir = Path(tmp)
        env = _env(data_dir, database_url, chunk_items)
        settings = MatcherSettings(data_dir=data_dir, embedder="hashing", database_url=database_url)
        employer, key = _prepare(settings)
        payload = _offers(items, employer)
        port = _free_port()
        server = _serve(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            _warm_up(base, key, payload[0])
            seen, stop = Seen(), threading.Event()
            other = threading.Thread(target=_other_client, args=(base, employer, stop, seen))
            other.start()
            time.sleep(2.5)  # a few undisturbed rounds first
            started = time.perf_counter()
            response = httpx.put(f"{base}/partners/me/offers", json=payload, headers={"X-API-Key": key}, timeout=900)
            elapsed = time.perf_counter() - started
            time.sleep(1.5)
            stop.set()
            other.join()
        finally:
            server.terminate()
            server.wait(30)
            if os.environ.get("BENCH_SHOW_LOG"):
                print((data_dir / "server.log").read_text()[-3000:])
        report = response.json() if response.status_code == 200 else {}
        return {
            "mode": name,
            "status": response.status_code,
            "created": report.get("counts", {}).get("created"),
            "sync_s": elapsed,
            "per_s": items / elapsed,
            "publish_worst": seen.worst("publish"),
            "publish_p50": seen.median("publish"),
            "sign_in_worst": seen.worst("sign-in"),
            "sign_in_p50": seen.median("sign-in"),
            "other_calls": len(seen.calls),
            "other_failures": seen.failures(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.items} offers in one PUT /partners/me/offers on {store}; another client writes once a second")
    rows = [
        run_mode("one transaction (before)", args.items, args.database_url, 0),
        run_mode("chunked commits (after)", args.items, args.database_url, None),
    ]
    print(
        f"{'mode':<26} {'HTTP':>4} {'created':>7} {'sync s':>7} {'offers/s':>8} "
        f"{'publish worst/p50 s':>20} {'sign-in worst/p50 s':>20} {'other: calls/errors':>20}"
    )
    for r in rows:
        print(
            f"{r['mode']:<26} {r['status']:>4} {r['created']!s:>7} {r['sync_s']:>7.1f} {r['per_s']:>8.0f} "
            f"{r['publish_worst']:>12.2f}/{r['publish_p50']:<7.2f} "
            f"{r['sign_in_worst']:>12.2f}/{r['sign_in_p50']:<7.2f} "
            f"{r['other_calls']:>14}/{sum(r['other_failures'].values()):<5} {r['other_failures'] or ''}"
        )
    after = rows[1]
    verdict = "met" if max(after["publish_worst"], after["sign_in_worst"]) <= 1.0 else "NOT met"
    print(
        f"target: other writers wait <= 1 s -> {verdict}; sync throughput after/before: "
        f"{after['per_s'] / rows[0]['per_s']:.2f}x"
    )


if __name__ == "__main__":
    main()
