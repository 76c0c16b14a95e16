"""Builders shared by the tests: records written through the services as the API writes them, request bodies,
and a search backend that fails on demand. Tests import these from here, never from another test module."""

from __future__ import annotations

import email
import email.policy
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from api.limits import RateLimiter
from indices.errors import SearchUnavailable
from indices.protocol import BulkResult, SearchBackend
from matcher.access import tokens
from matcher.catalog.candidates import create_candidate
from matcher.catalog.employers import create_employer
from matcher.catalog.offers import create_offer
from matcher.cli import main
from matcher.core import settings as core_settings
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.models import CandidateIn, EmployerIn, Offer, OfferIn
from matcher.core.outbox import enqueue
from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.governance import audit
from matcher.jobs.leases import Leases
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from matcher.store.tables import AccountRow, CandidateRow, EmployerRow, OfferRow, ShortlistRow

if TYPE_CHECKING:
    import pytest

    from indices.elasticsearch import ElasticsearchBackend

# --- records through the services ------------------------------------------------------------


def employer(rt: Runtime) -> str:
    with rt.store.transaction() as session:
        return create_employer(session, data=EmployerIn(name="Mairie de Privas", kind="commune")).id


def offer_in(employer_id: str, **changes: object) -> OfferIn:
    data = {
        "title": "Jardinier H/F",
        "description": "Entretien des espaces verts de la commune.",
        "employer_id": employer_id,
        "commune_insee": "07186",
        "contract_types": ["contractuel"],
        "rome_code": "A1203",
        "required_skills": ["100063"],
    }
    return OfferIn.model_validate({**data, **changes})


def candidate_in(**changes: object) -> CandidateIn:
    data = {
        "display_name": "Profil test",
        "title": "Jardinier",
        "desired_occupations": ["A1203"],
        "skills": ["100063"],
        "contract_types": ["contractuel"],
        "visibility": "employers",
        "mobility": {"communes": ["07019"], "radius_km": 40},
    }
    return CandidateIn.model_validate({**data, **changes})


def count(rt: Runtime, table: type) -> int:
    with rt.store.read() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def add_offers(rt: Runtime, count: int, employer_id: str | None = None, **changes: object) -> list[str]:
    employer_id = employer_id or employer(rt)
    ids = []
    with rt.store.transaction() as session:
        for n in range(count):
            data = offer_in(employer_id, **{"title": f"Jardinier H/F n°{n}", **changes})
            ids.append(create_offer(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography).id)
    return ids


def built_shortlist(rt: Runtime, *, webhook_url: str | None, secret: str | None = "s3cret") -> str:
    """A persisted shortlist and its ``shortlist`` outbox row, as the shortlist service writes them."""
    employer_id = employer(rt)
    offer_id = add_offers(rt, 1, employer_id)[0]
    with rt.store.transaction() as session:
        row = session.get(EmployerRow, employer_id)
        assert row is not None
        row.webhook_url, row.webhook_secret = webhook_url, secret
        session.add(
            ShortlistRow(
                id="sl_1",
                offer_id=offer_id,
                employer_id=employer_id,
                offer_version=1,
                built_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
                ranking="model",
                model_version="additive-v1",
                entries=[
                    {"candidate_id": "cand_b", "version": 1, "rank": 2, "score": 0.5, "explanation": {"x": 1}},
                    {"candidate_id": "cand_a", "version": 3, "rank": 1, "score": 0.9, "explanation": {"x": 2}},
                ],
            )
        )
        enqueue(session, topic="shortlist", entity_id="sl_1", version=1, action="built")
    return "sl_1"


class FlakyBackend:
    """Delegates to a real backend; the next ``failures`` writes raise :class:`SearchUnavailable`."""

    def __init__(self, inner: SearchBackend, failures: int = 0) -> None:
        self.inner = inner
        self.failures = failures
        self.writes = 0

    def _maybe_fail(self) -> None:
        self.writes += 1
        if self.failures > 0:
            self.failures -= 1
            raise SearchUnavailable("cluster hors d'atteinte (test)")

    def upsert(self, index: str, documents: Any) -> BulkResult:
        self._maybe_fail()
        return self.inner.upsert(index, documents)

    def delete(self, index: str, ids_versions: Any) -> BulkResult:
        self._maybe_fail()
        return self.inner.delete(index, ids_versions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def flaky(rt: Runtime, failures: int) -> Iterator[FlakyBackend]:
    original = rt.backend
    rt.backend = FlakyBackend(original, failures)  # type: ignore[assignment]
    try:
        yield rt.backend  # type: ignore[misc]
    finally:
        rt.backend = original


def shortlisted(rt: Runtime, *, candidates: int = 12) -> tuple[str, str]:
    """An employer, one gardener offer and ``candidates`` indexed profiles around it: (employer id, offer id)."""
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(session, data=offer_in(eid), **refs)
        for number in range(candidates):
            create_candidate(
                session,
                data=candidate_in(
                    title=["Jardinier", "Paysagiste", "Agent d'entretien des espaces verts"][number % 3],
                    skills=["100063"] if number % 2 else [],
                    mobility={"communes": ["07019" if number % 4 else "07186"], "radius_km": 20 + number * 5},
                ),
                **refs,
            )
    process_outbox(rt)
    return eid, offer.id


def store_state(settings: MatcherSettings) -> dict[str, object]:
    """What a backup must give back: row counts, the audit chain (ok, length, head) and the indexed versions."""
    rt = Runtime.open(settings, embedder=HashingEmbedder())
    try:
        with rt.store.read() as session:
            chain = audit.verify(session)
            return {
                "offers": session.scalar(select(func.count()).select_from(OfferRow)),
                "candidates": session.scalar(select(func.count()).select_from(CandidateRow)),
                "chain": (chain.ok, chain.checked, chain.head),
                "indexed": (rt.backend.versions(OFFERS), rt.backend.versions(CANDIDATES)),
            }
    finally:
        rt.close()


# --- API request bodies and callers ----------------------------------------------------------


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


def frozen_sign_in_limits(world: World, rt: Runtime) -> None:
    """The app's sign-in limiters, as configured, on a clock that stands still: argon2 checks on a busy
    machine take long enough for a bucket to refill a little, which would blur the boundary tested."""
    state = world.client.app.state  # type: ignore[attr-defined]
    state.sign_in_limiter = RateLimiter(rt.settings.sign_in_attempts_per_minute, clock=lambda: 0.0)
    per_address = rt.settings.sign_in_attempts_per_address_per_minute
    state.sign_in_address_limiter = RateLimiter(per_address, clock=lambda: 0.0)


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


def stored_offer(rt: Runtime, employer_id: str, **changes: object) -> Offer:
    """An offer as the API body ``offer_body`` describes it, written as the offer service writes it."""
    with rt.store.transaction() as session:
        data = OfferIn.model_validate(offer_body(employer_id, **changes))
        return create_offer(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography)


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
    """A token issued as the token endpoint issues it: in the account's current session generation (an earlier
    test's sign-out ends the tokens of the generation before)."""
    with rt.store.read() as session:
        generation = session.scalar(select(AccountRow.session_generation).where(AccountRow.id == account_id)) or 0
    token, _ = tokens.issue(rt.settings, subject=account_id, generation=generation)
    return {"Authorization": f"Bearer {token}"}


# --- a real SMTP server, in a process of its own ---------------------------------------------


@contextmanager
def smtp_server_process(maildir: Path) -> Iterator[int]:
    """aiosmtpd as a separate process on a free local port, writing what it receives into ``maildir``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox"]
    server = subprocess.Popen([*command, str(maildir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the SMTP server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def received_mails(maildir: Path, *, to: str, timeout_s: float = 20.0, at_least: int = 1) -> list[EmailMessage]:
    """The messages the SMTP server process wrote for ``to``, waiting until ``at_least`` have arrived."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = []
        for path in sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if isinstance(message, EmailMessage) and message["To"] == to:
                found.append(message)
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


# --- CV files, honest and hostile ------------------------------------------------------------


def cv_pdf(lines: list[str]) -> bytes:
    """A one-page text PDF holding ``lines`` (fpdf2, a Unicode font when the system has one)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if font.exists():
        pdf.add_font("dejavu", "", str(font))
        pdf.set_font("dejavu", size=11)
    else:
        pdf.set_font("helvetica", size=11)
        lines = [line.replace("–", "-").replace("’", "'") for line in lines]
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def cv_docx(lines: list[str], *, macros: bool = False) -> bytes:
    """A DOCX holding ``lines``; with ``macros``, a macro project inside as a .docm carries one."""
    import io
    import zipfile

    from docx import Document

    document = Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    if not macros:
        return out.getvalue()
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("word/vbaProject.bin", b'\xd0\xcf\x11\xe0 Attribute VB_Name = "AutoOpen"')
    return out.getvalue()


def encrypted_pdf(lines: list[str], password: str = "secret") -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cv_pdf(lines))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def many_pages_pdf(pages: int = 10_000) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_only_pdf() -> bytes:
    """A scanned CV: one page holding a picture, no text layer."""
    import io

    from fpdf import FPDF
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(picture).rectangle((50, 50, 550, 120), fill="black")  # a "title" drawn, not written
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


def zip_bomb_docx(inflated_mb: int = 200) -> bytes:
    """A DOCX-shaped archive whose document part inflates to ``inflated_mb`` MB of zeros."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(inflated_mb):
                part.write(chunk)
    return out.getvalue()


def check_lease_owners(leases: Leases) -> None:
    """Only the owner of a claim extends or releases it (the memory and the Redis leases alike)."""
    assert leases.claim(["k1", "k2"], 60, owner="a") == ["k1", "k2"]
    assert leases.claim(["k1", "k3"], 60, owner="b") == ["k3"]
    leases.release(["k1", "k3"], owner="a")  # k1 is a's, k3 is b's: only k1 goes
    assert leases.claim(["k1", "k3"], 60, owner="b") == ["k1"]
    leases.extend(["k2"], 60, owner="b")  # a's claim stays a's
    leases.release(["k2"], owner="b")
    assert leases.claim(["k2"], 60, owner="c") == []
    leases.release(["k2"], owner="a")
    assert leases.claim(["k2"], 0.05, owner="c") == ["k2"]
    time.sleep(0.1)  # c's claim ran out: a late task of c's extends nothing that d now holds
    assert leases.claim(["k2"], 60, owner="d") == ["k2"]
    leases.extend(["k2"], 60, owner="c")
    leases.release(["k2"], owner="c")
    assert leases.claim(["k2"], 60, owner="e") == []
    leases.extend(["k4"], 60, owner="e")  # a free key is taken by its extender
    assert leases.claim(["k4"], 60, owner="f") == []


def count_requests(backend: ElasticsearchBackend, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The HTTP requests the backend's client sends from now on ("METHOD /path"), recorded at its nodes."""
    sent: list[str] = []
    for node in backend.client.transport.node_pool.all():
        send = node.perform_request

        def counting(method: str, target: str, *args: Any, send: Any = send, **kwargs: Any) -> Any:
            sent.append(f"{method} {target.split('?')[0]}")
            return send(method, target, *args, **kwargs)

        monkeypatch.setattr(node, "perform_request", counting)
    return sent


def cli_on(settings: MatcherSettings, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], Result]:
    """The `matcher` command as an operator runs it, on these settings (it opens its own runtime on their files)."""
    monkeypatch.setattr(core_settings, "get_settings", lambda: settings)
    runner = CliRunner()
    return lambda args: runner.invoke(main.app, args)
