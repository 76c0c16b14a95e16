"""The demo data set: real offers shipped in ``data/offers`` and ROME-derived candidates."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from matcher.access.accounts import AccountIn, PartnerIn, Role, create_account, create_partner, issue_key
from matcher.catalog.candidates import create_candidate
from matcher.catalog.employers import create_employer
from matcher.catalog.offers import create_offer
from matcher.core.models import CandidateIn, EmployerIn, EmployerKind, OfferIn, Visibility
from matcher.core.progress import Progress
from matcher.core.records import offer_from_row
from matcher.demo.profiles import Demand, ProfileGenerator
from matcher.ranking.features import OfferView
from matcher.ranking.views import offer_view, skills_occupation
from matcher.store.tables import CandidateRow, EmployerRow, OfferRow, SettingRow

if TYPE_CHECKING:
    from matcher.reference.geography import Geography
    from matcher.runtime import Runtime

SEEDED = "demo_seeded"


def shipped_offers(reference_dir: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(reference_dir / "offers" / "offers.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def employer_id(name: str) -> str:
    return "emp_" + hashlib.sha256(name.encode()).hexdigest()[:12]


_C1 = re.compile("[\x80-\x9f]")


def _repaired(text: str) -> str:
    """A few shipped descriptions carry Windows-1252 bytes read as Latin-1 (U+009C for « œ »): the
    character meant, since input models refuse control characters."""
    return _C1.sub(lambda m: m.group().encode("latin-1").decode("cp1252", errors="replace"), text)


def offer_input(raw: dict[str, Any]) -> OfferIn:
    return OfferIn(
        title=_repaired(raw["title"])[:200],
        description=_repaired(raw["description"]),
        employer_id=employer_id(raw["employer"]),
        commune_insee=raw["commune_insee"],
        contract_types=raw["contract_types"],
        category=raw["category"],
        rome_code=raw["rome_code"],
        required_skills=raw["required_skills"],
        desired_skills=raw["desired_skills"],
        experience_years=raw["experience_years"],
        published_at=raw["published_at"],
        closes_at=None,
        source=raw["source"],
        external_ref=raw["external_ref"],
        url=raw["url"],
    )


# A private employer's offer is shown only when the employer is labelled as a partner of the public
# service (health and social care, associations): the demo is about public employers.
_PUBLIC_PARTNER = re.compile(
    r"hospitali|h[oô]pital|ehpad|ccas|mairie|commune|d[ée]partement|clinique|autonomie|sant[ée]|m[ée]dico|association",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(r"^(pr[ée]sentation|description|le service|missions?)\b", re.IGNORECASE)
NAME_MAX = 80


def employer_name(raw: dict[str, Any], geography: Geography) -> str:
    """The employer's name as people would write it, from a shipped offer.

    Names run together on one line, stray quotes and spaces trimmed; a description pasted as the
    name (or anything longer than ``NAME_MAX``) gives way to "Employeur public (<commune>)".
    """
    name = " ".join(raw["employer"].split()).strip(" \"'«»“”")
    if not name or len(name) > NAME_MAX or _NOT_A_NAME.match(name):
        commune = geography.get(raw["commune_insee"])
        return f"Employeur public ({commune.name if commune else raw['commune_insee']})"
    return name


def is_demo_offer(raw: dict[str, Any]) -> bool:
    """Public employers' offers, and private employers' only where labelled as public-service partners."""
    return raw["employer_kind"] != "prive" or bool(_PUBLIC_PARTNER.search(raw["employer"]))


def demo_offers(reference_dir: Path, *, today: date | None = None) -> list[dict[str, Any]]:
    """The shipped offers the demo loads, dates shifted so each source's latest offer is published today.

    The shipped extracts are dated (2021, 2025): shifting keeps their spread, so the demo's
    published offers are current and a recency criterion sees the same differences.
    """
    offers = [raw for raw in shipped_offers(reference_dir) if is_demo_offer(raw)]
    latest: dict[str, date] = {}
    for raw in offers:
        if raw["published_at"]:
            day = date.fromisoformat(raw["published_at"])
            latest[raw["source"]] = max(latest.get(raw["source"], day), day)
    today = today or date.today()
    for raw in offers:
        shift = today - latest[raw["source"]] if raw["source"] in latest else timedelta()
        for key in ("published_at", "closes_at"):
            if raw.get(key):
                raw[key] = (date.fromisoformat(raw[key]) + shift).isoformat()
    return offers


def candidate_generator(rt: Runtime) -> ProfileGenerator:
    """The generator used for the demo, benchmarks and evaluation: weighted towards the shipped offers."""
    offers = list(shipped_offers(rt.settings.reference_dir))
    demand = Demand(
        occupations=[o["rome_code"] for o in offers if o["rome_code"]], workplaces=[o["commune_insee"] for o in offers]
    )
    return ProfileGenerator(rt.taxonomy, rt.geography, seed=rt.settings.demo_seed, demand=demand)


MIN_WITHIN_REACH = 5


def within_reach(candidate: CandidateIn, *, occupation: str, workplace: str, geography: Geography) -> bool:
    """Whether an offer of ``occupation`` at ``workplace`` could shortlist this profile: visible to
    employers, wanting that occupation, its mobility area covering the workplace."""
    place = geography.get(workplace)
    if place is None or candidate.visibility != Visibility.EMPLOYERS:
        return False
    if occupation not in candidate.desired_occupations:
        return False
    homes = (geography.get(code) for code in candidate.mobility.communes)
    return any(home and geography.distance_km(home, place) <= candidate.mobility.radius_km for home in homes)


def named_occupation(view: OfferView) -> str | None:
    """The occupation an offer's view names: its ROME code, else the classifier's best guess when sure enough (the
    one its page shows and its skills are read with)."""
    return skills_occupation(view.occupations, view.occupation_confidences)


def named_occupations(rt: Runtime, offers: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Offer id -> the occupation the service names for each shipped offer that carries no ROME code, read as the
    offer will be stored (:func:`offer_input`); an offer it is unsure of is left out."""
    named = {}
    for raw in offers:
        if not raw["rome_code"]:
            view = offer_view(offer_input(raw), taxonomy=rt.taxonomy, geography=rt.geography, inferer=rt.inferer)
            if code := named_occupation(view):
                named[raw["id"]] = code
    return named


def coverage(
    offers: list[dict[str, Any]],
    candidates: list[CandidateIn],
    geography: Geography,
    named: Mapping[str, str] | None = None,
) -> list[tuple[dict[str, Any], int]]:
    """For each offer with an occupation (its code, else the one ``named`` for it), the number of ``candidates``
    within its reach."""
    by_occupation: dict[str, list[CandidateIn]] = {}
    for candidate in candidates:
        for rome in candidate.desired_occupations:
            by_occupation.setdefault(rome, []).append(candidate)
    occupations = {raw["id"]: raw["rome_code"] or (named or {}).get(raw["id"]) for raw in offers}
    return [
        (
            raw,
            sum(
                within_reach(c, occupation=occupation, workplace=raw["commune_insee"], geography=geography)
                for c in by_occupation.get(occupation, [])
            ),
        )
        for raw in offers
        if (occupation := occupations[raw["id"]])
    ]


def demo_candidates(rt: Runtime, count: int) -> Iterator[tuple[str, CandidateIn, str]]:
    """(candidate id, profile, code-derived ROME label): ``count`` profiles spread by the generator, then
    as many as it takes for every demo offer with an occupation to have ``MIN_WITHIN_REACH`` within reach. An
    offer without a ROME code counts with the occupation the service names for it (a gardener's offer with no code
    still finds gardeners near it)."""
    generator = candidate_generator(rt)
    made = [(profile, rome) for profile, rome in generator.profiles(count)]
    reach: dict[str, list[CandidateIn]] = {}
    for profile, rome in made:
        reach.setdefault(rome, []).append(profile)
    offers = demo_offers(rt.settings.reference_dir)
    named = named_occupations(rt, offers)
    for raw in offers:
        occupation: str | None = raw["rome_code"] or named.get(raw["id"])
        workplace = raw["commune_insee"]
        if not occupation or rt.geography.get(workplace) is None or not rt.taxonomy.titles_of(occupation):
            continue
        peers = reach.setdefault(occupation, [])
        found = sum(within_reach(c, occupation=occupation, workplace=workplace, geography=rt.geography) for c in peers)
        for _ in range(MIN_WITHIN_REACH - found):
            profile = generator.profile_within_reach(len(made), occupation=occupation, workplace=workplace)
            made.append((profile, occupation))
            peers.append(profile)
    for number, (profile, rome) in enumerate(made):
        yield f"cand_demo_{number:06d}", profile, rome


def is_seeded(rt: Runtime) -> bool:
    with rt.store.read() as session:
        return session.get(SettingRow, SEEDED) is not None


def seed_demo(rt: Runtime, *, candidates: int | None = None, progress: Progress | None = None) -> bool:
    """Load the shipped offers and generated candidates once; returns False when already loaded."""
    if is_seeded(rt):
        return False
    count = rt.settings.demo_candidates if candidates is None else candidates
    offers = demo_offers(rt.settings.reference_dir)
    if progress:
        progress("offres", 0, len(offers))
    with rt.store.transaction() as session:
        known = set(session.scalars(select(EmployerRow.id)))
        for raw in offers:
            eid = employer_id(raw["employer"])
            if eid not in known:
                create_employer(
                    session,
                    employer_id=eid,
                    data=EmployerIn(name=employer_name(raw, rt.geography), kind=EmployerKind(raw["employer_kind"])),
                )
                known.add(eid)
        existing = set(session.scalars(select(OfferRow.id)))
        for number, raw in enumerate(offers, start=1):
            if raw["id"] not in existing:
                create_offer(
                    session, offer_id=raw["id"], data=offer_input(raw), taxonomy=rt.taxonomy, geography=rt.geography
                )
            if progress and number % 100 == 0:
                progress("offres", number, len(offers))
        if progress:
            progress("candidats", 0, count)
        made = list(demo_candidates(rt, count))
        for number, (cid, profile, _) in enumerate(made, start=1):
            create_candidate(session, candidate_id=cid, data=profile, taxonomy=rt.taxonomy, geography=rt.geography)
            if progress and (number % 200 == 0 or number == len(made)):
                progress("candidats", number, len(made))
        session.add(SettingRow(key=SEEDED, value=json.dumps({"offers": len(offers), "candidates": len(made)})))
    return True


# --- demo accounts ---------------------------------------------------------------------------

DEMO_DOMAIN = "demo.approche-directe.fr"


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40] or "employeur"


def demo_accounts_path(rt: Runtime) -> Path:
    return rt.settings.data_dir / "demo-accounts.json"


def seed_demo_accounts(rt: Runtime, *, seekers: int = 2) -> dict[str, Any]:
    """One account per role on the demo data, with a random password; kept in ``data_dir`` (mode 0600).

    The recruiters act for the two employers with the most offers; the seekers own the first demo
    profiles; the partner agency publishes for the first employer. Created once, then read back.
    """
    path = demo_accounts_path(rt)
    if path.exists():
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    password = secrets.token_urlsafe(12)
    with rt.store.transaction() as session:
        top = session.execute(
            select(OfferRow.employer_id, func.count().label("n"))
            .group_by(OfferRow.employer_id)
            .order_by(func.count().desc(), OfferRow.employer_id)
            .limit(2)
        ).all()
        employers = [session.get(EmployerRow, employer) for employer, _ in top]
        made: dict[str, Any] = {"password": password, "recruiters": [], "seekers": []}
        admin = AccountIn(email=f"admin@{DEMO_DOMAIN}", name="Administration", role=Role.ADMIN, password=password)
        made["admin"] = create_account(session, data=admin).email
        for employer in employers:
            assert employer is not None
            data = AccountIn(
                email=f"rh@{slug(employer.name)}.{DEMO_DOMAIN}",
                name=f"RH — {employer.name}"[:200],
                role=Role.RECRUITER,
                password=password,
                employer_ids=[employer.id],
            )
            made["recruiters"].append({"email": create_account(session, data=data).email, "employer": employer.name})
        profiles = session.scalars(select(CandidateRow.id).order_by(CandidateRow.id).limit(seekers)).all()
        for number, candidate_id in enumerate(profiles, start=1):
            data = AccountIn(
                email=f"candidat{number}@{DEMO_DOMAIN}",
                name=f"Candidat {number}",
                role=Role.SEEKER,
                password=password,
                candidate_id=candidate_id,
            )
            made["seekers"].append(create_account(session, data=data).email)
        first = [e.id for e in employers if e is not None][:1]
        partner = create_partner(session, data=PartnerIn(name="Agence partenaire (démo)", employer_ids=first))
        made["partner_key"] = issue_key(session, partner_id=partner.id, label="démo").key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(made, handle, ensure_ascii=False, indent=2)
    return made


# --- coverage ----------------------------------------------------------------------------------


def loaded_coverage(rt: Runtime) -> list[tuple[str, str, str, int, bool]]:
    """(offer id, title, workplace INSEE code, candidates within reach, whether its occupation was inferred) for every
    published offer of the demo with an occupation: its ROME code, else the one the service names for it (read from
    its offer view, kept since the start's warm-up), from what the store holds."""
    shipped = {raw["id"] for raw in shipped_offers(rt.settings.reference_dir)}
    published = OfferRow.status == "published"
    with rt.store.read() as session:
        offers = session.execute(
            select(OfferRow.id, OfferRow.title, OfferRow.rome_code, OfferRow.commune_insee)
            .where(published)
            .order_by(OfferRow.id)
        ).all()
        codeless = {
            row.id: offer_from_row(row)
            for row in session.scalars(select(OfferRow).where(published, OfferRow.rome_code.is_(None)))
        }
        people = [
            (list(row.desired_occupations), row.mobility)
            for row in session.scalars(select(CandidateRow).where(CandidateRow.visibility == Visibility.EMPLOYERS))
        ]
    by_occupation: dict[str, list[tuple[list[str], float]]] = {}
    for occupations, mobility in people:
        for rome in occupations:
            by_occupation.setdefault(rome, []).append((mobility["communes"], float(mobility["radius_km"])))
    rows = []
    for offer_id, title, code, workplace in offers:
        place = rt.geography.get(workplace)
        if offer_id not in shipped or place is None:
            continue
        rome = code or named_occupation(rt.offer_views.of(codeless[offer_id]))
        if not rome:
            continue
        count = 0
        for communes, radius in by_occupation.get(rome, []):
            homes = (rt.geography.get(home) for home in communes)
            count += any(home and rt.geography.distance_km(home, place) <= radius for home in homes)
        rows.append((offer_id, title, workplace, count, not code))
    return rows
