"""Conversions between domain models and table rows (one place, both directions)."""

from __future__ import annotations

from datetime import date
from typing import Any

from matcher.domain import Candidate, CandidateIn, Employer, Offer, OfferIn
from matcher.store.tables import CandidateRow, EmployerRow, OfferRow


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def offer_columns(data: OfferIn) -> dict[str, Any]:
    values = data.model_dump(mode="json")
    values["salary"] = data.salary.model_dump(mode="json") if data.salary else None
    return values


def offer_from_row(row: OfferRow) -> Offer:
    return Offer.model_validate({column: getattr(row, column) for column in Offer.model_fields if hasattr(row, column)})


def candidate_columns(data: CandidateIn) -> dict[str, Any]:
    return data.model_dump(mode="json")


def candidate_from_row(row: CandidateRow) -> Candidate:
    return Candidate.model_validate(
        {column: getattr(row, column) for column in Candidate.model_fields if hasattr(row, column)}
    )


def employer_from_row(row: EmployerRow) -> Employer:
    return Employer.model_validate(
        {"id": row.id, "name": row.name, "kind": row.kind, "commune_insee": row.commune_insee, "siren": row.siren}
    )
