"""Browser tests: a real uvicorn server on a free port, a small seeded world, headless Debian Chromium.

The server runs in a thread of the test process over its own runtime (hashing embedder, temporary
data directory), so the tests can check the store and call the API beside the browser. Chromium is
never downloaded: without it the tests skip on a laptop and fail in CI (``CI`` set).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from matcher.access import accounts
from matcher.access.accounts import AccountIn, Role
from matcher.catalog.candidates import create_candidate
from matcher.catalog.employers import create_employer
from matcher.catalog.offers import create_offer
from matcher.core.models import CandidateIn, EmployerIn, EmployerKind, OfferIn
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import InProcessRunner
from matcher.runtime import Runtime
from tests.factories import PASSWORD, candidate_body, offer_body

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def chromium_path() -> str:
    """Debian's chromium (or CHROMIUM_PATH): skip on a laptop without it, fail in CI."""
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI (.ci/run installs Debian's package)")
    pytest.skip("chromium not installed (apt-get install chromium, or set CHROMIUM_PATH)")


@dataclass
class Site:
    url: str
    rt: Runtime
    employer_a: str
    employer_b: str
    offers: dict[str, str] = field(default_factory=dict)  # name → offer id
    account_ids: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seed(rt: Runtime) -> dict[str, Any]:
    """Two employers, offers in the Ardèche and one in Lyon, visible candidates around Privas, one account per role."""
    with rt.store.transaction() as session:
        a = create_employer(
            session, data=EmployerIn(name="Commune de Privas", kind=EmployerKind.COMMUNE, commune_insee="07186")
        ).id
        b = create_employer(
            session, data=EmployerIn(name="Commune d'Aubenas", kind=EmployerKind.COMMUNE, commune_insee="07019")
        ).id
        offer_specs = {
            "privas": offer_body(a),
            "privas_agent": offer_body(
                a, title="Agent d'entretien des espaces verts", rome_code="A1203", required_skills=["100063"]
            ),
            "lyon": offer_body(a, title="Jardinier des parcs de Lyon", commune_insee="69123"),
            "aubenas": offer_body(b, title="Jardinier / Jardinière (Aubenas)", commune_insee="07019"),
        }
        offers = {
            name: create_offer(
                session, data=OfferIn.model_validate(body), taxonomy=rt.taxonomy, geography=rt.geography
            ).id
            for name, body in offer_specs.items()
        }
        names = ["Camille", "Dominique", "Alex", "Sacha", "Charlie", "Maxime"]
        for i, name in enumerate(names):
            body = candidate_body(
                display_name=name,
                title=["Jardinier paysagiste", "Agent d'espaces verts", "Paysagiste"][i % 3],
                mobility={"communes": ["07186" if i % 2 else "07019"], "radius_km": 30 + 5 * i},
            )
            create_candidate(
                session, data=CandidateIn.model_validate(body), taxonomy=rt.taxonomy, geography=rt.geography
            )
        seeker_profile = create_candidate(
            session,
            data=CandidateIn.model_validate(
                candidate_body(
                    display_name="Lou", visibility="private", mobility={"communes": ["07186"], "radius_km": 20}
                )
            ),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        people = {
            "admin": AccountIn(email="admin@e2e.fr", name="Admin Démo", role=Role.ADMIN, password=PASSWORD),
            "recruiter": AccountIn(
                email="rh@privas.e2e.fr", name="RH Privas", role=Role.RECRUITER, password=PASSWORD, employer_ids=[a]
            ),
            "other_recruiter": AccountIn(
                email="rh@aubenas.e2e.fr", name="RH Aubenas", role=Role.RECRUITER, password=PASSWORD, employer_ids=[b]
            ),
            "seeker": AccountIn(
                email="lou@e2e.fr", name="Lou", role=Role.SEEKER, password=PASSWORD, candidate_id=seeker_profile.id
            ),
            "new_seeker": AccountIn(email="nouveau@e2e.fr", name="Nouveau", role=Role.SEEKER, password=PASSWORD),
        }
        ids = {who: accounts.create_account(session, data=data).id for who, data in people.items()}
    runner = InProcessRunner(rt)
    runner.kick()  # embed and index what was just written
    runner.close()  # the app's runner takes over
    return {
        "employer_a": a,
        "employer_b": b,
        "offers": offers,
        "ids": ids,
        "emails": {who: p.email for who, p in people.items()},
    }


# Package scope: the server and Playwright's event loop end with the browser tests, before other modules run.
@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    settings = MatcherSettings(
        data_dir=data_dir,
        embedder="hashing",
        shortlist_size=10,
        rate_limit_per_minute=10_000,
        sign_in_attempts_per_minute=10_000,
    )
    rt = Runtime.open(settings, embedder=HashingEmbedder())
    rt.ensure_indices()
    seeded = _seed(rt)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield Site(
        url=f"http://127.0.0.1:{port}",
        rt=rt,
        employer_a=seeded["employer_a"],
        employer_b=seeded["employer_b"],
        offers=seeded["offers"],
        account_ids=seeded["ids"],
        emails=seeded["emails"],
    )
    server.should_exit = True
    thread.join(timeout=10)
    rt.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, French locale, a laptop-sized window."""
    context = browser.new_context(base_url=site.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
