"""schema.org ``JobPosting`` (JSON-LD): read from partners, written for anyone who publishes offers.

Mapping choices: the workplace is read from ``jobLocation.address`` (INSEE code in ``identifier``,
else postal code, else locality); the occupation from ``occupationalCategory`` when it is a ROME
code; the employer from ``hiringOrganization.identifier`` (our id or a SIREN). ``employmentType``
only says full/part time in most feeds, so public-sector offers default to "contractuel".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.messages import field_path, french
from matcher.core.models import ContractType, Offer, OfferIn, OfferStatus
from matcher.core.records import offer_from_row
from matcher.reference.geography import Geography
from matcher.store.tables import EmployerRow, OfferRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

_CONTRACTS = {
    "TEMPORARY": ContractType.CDD,
    "INTERN": ContractType.STAGE,
    "CONTRACTOR": ContractType.CONTRACTUEL,
    "PER_DIEM": ContractType.INTERIM,
    "SEASONAL": ContractType.SAISONNIER,
}
_ROME = re.compile(r"^[A-N]\d{4}$")
_PER_YEAR = {"YEAR": 1, "MONTH": 12, "WEEK": 52, "DAY": 218, "HOUR": 1607}  # 1,607 h: legal working year


def is_job_posting(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    return kind == "JobPosting" or (isinstance(kind, list) and "JobPosting" in kind)


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or value.get("@id")
    return str(value).strip() if value not in (None, "") else None


def _commune(geography: Geography, posting: dict[str, Any]) -> str:
    location = posting.get("jobLocation")
    if isinstance(location, list):
        location = location[0] if location else None
    address = (location or {}).get("address") if isinstance(location, dict) else None
    if not isinstance(address, dict):
        raise InvalidInput("jobLocation.address", "adresse du lieu de travail manquante")
    for key in ("identifier", "postalCode", "addressLocality"):
        value = _text(address.get(key))
        if value and (found := geography.resolve(value)):
            return found[0].insee
    raise InvalidInput("jobLocation.address", "commune du lieu de travail introuvable")


def _salary(posting: dict[str, Any]) -> dict[str, float] | None:
    base = posting.get("baseSalary")
    if not isinstance(base, dict) or not isinstance(base.get("value"), dict):
        return None
    value = base["value"]
    factor = _PER_YEAR.get(str(value.get("unitText", "YEAR")).upper(), 1)
    out = {}
    for ours, theirs in (("minimum", "minValue"), ("maximum", "maxValue")):
        if isinstance(value.get(theirs), int | float):
            out[ours] = float(value[theirs]) * factor
    if not out and isinstance(value.get("value"), int | float):
        out = {"minimum": float(value["value"]) * factor, "maximum": float(value["value"]) * factor}
    return out or None


def offer_from_posting(posting: dict[str, Any], *, geography: Geography, employer_id: str) -> OfferIn:
    """An :class:`OfferIn` from a JobPosting; raises InvalidInput naming the JobPosting property at fault."""
    kinds = posting.get("employmentType") or []
    kinds = [kinds] if isinstance(kinds, str) else kinds
    contracts = sorted({_CONTRACTS[k] for k in kinds if k in _CONTRACTS}) or [ContractType.CONTRACTUEL]
    category = _text(posting.get("occupationalCategory"))
    data = {
        "title": _text(posting.get("title")) or "",
        "description": re.sub(r"<[^>]+>", " ", str(posting.get("description") or ""))[:20_000],
        "employer_id": employer_id,
        "commune_insee": _commune(geography, posting),
        "contract_types": contracts,
        "rome_code": category if category and _ROME.match(category) else None,
        "salary": _salary(posting),
        "published_at": (_text(posting.get("datePosted")) or "")[:10] or None,
        "closes_at": (_text(posting.get("validThrough")) or "")[:10] or None,
        "url": _text(posting.get("url")),
    }
    try:
        return OfferIn.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InvalidInput(field_path(error["loc"]) or "JobPosting", french(error)) from None


def posting_from_offer(offer: Offer, *, geography: Geography, employer_name: str) -> dict[str, Any]:
    """The offer as a schema.org JobPosting, for search engines and partners."""
    commune = geography.get(offer.commune_insee)
    posting: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": "approche-directe", "value": offer.id},
        "title": offer.title,
        "description": offer.description,
        "datePosted": (offer.published_at or offer.created_at.date()).isoformat(),
        "hiringOrganization": {"@type": "Organization", "name": employer_name, "identifier": offer.employer_id},
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "identifier": offer.commune_insee,
                "addressLocality": commune.name if commune else None,
                "postalCode": commune.postal_code if commune else None,
                "addressCountry": "FR",
            },
        },
        "employmentType": [k for k, v in _CONTRACTS.items() if v in offer.contract_types] or ["OTHER"],
    }
    if offer.closes_at:
        posting["validThrough"] = offer.closes_at.isoformat()
    if offer.rome_code:
        posting["occupationalCategory"] = offer.rome_code
    if offer.salary and (offer.salary.minimum is not None or offer.salary.maximum is not None):
        posting["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": "EUR",
            "value": {
                "@type": "QuantitativeValue",
                "minValue": offer.salary.minimum,
                "maxValue": offer.salary.maximum,
                "unitText": "YEAR",
            },
        }
    if offer.url:
        posting["url"] = offer.url
    return posting


def job_posting(rt: Runtime, *, principal: Principal, offer_id: str) -> dict[str, Any]:
    """An offer the principal may see, as a schema.org JobPosting naming its employer."""
    with rt.store.read() as session:
        row = tenancy.offer_row(session, principal, offer_id)
        employer = session.get(EmployerRow, row.employer_id)
        return posting_from_offer(
            offer_from_row(row), geography=rt.geography, employer_name=employer.name if employer else ""
        )


def public_offer(rt: Runtime, *, offer_id: str) -> tuple[Offer, str, dict[str, Any]]:
    """A published offer as anyone may read it: the offer, its employer's name and its JobPosting.

    Raises:
        NotFound: no such offer, or not published (a draft or a closed offer is not public).
    """
    with rt.store.read() as session:
        row = session.get(OfferRow, offer_id)
        if row is None or row.status != OfferStatus.PUBLISHED.value:
            raise NotFound("offer", offer_id)
        employer = session.get(EmployerRow, row.employer_id)
        name = employer.name if employer else ""
        offer = offer_from_row(row)
    posting = posting_from_offer(offer, geography=rt.geography, employer_name=name)
    posting["url"] = f"{rt.settings.public_url.rstrip('/')}/emplois/{offer.id}"
    return offer, name, posting


def published_offer_ids(rt: Runtime) -> list[tuple[str, str]]:
    """(id, last change as an ISO date) of every published offer: what the sitemap lists."""
    with rt.store.read() as session:
        rows = session.execute(
            select(OfferRow.id, OfferRow.updated_at)
            .where(OfferRow.status == OfferStatus.PUBLISHED.value)
            .order_by(OfferRow.id)
        ).all()
    return [(offer_id, updated.date().isoformat()) for offer_id, updated in rows]
