"""Conversions between domain models and table rows (one place, both directions)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from matcher.domain import Candidate, Employer, Offer
from matcher.store.tables import Base, CandidateRow, EmployerRow, OfferRow

Model = TypeVar("Model", bound=BaseModel)


def columns(data: BaseModel) -> dict[str, Any]:
    """Column values of an input model: its JSON form (enums as strings, dates as ISO text, lists as JSON)."""
    return data.model_dump(mode="json")


def _from_row(model: type[Model], row: Base) -> Model:
    return model.model_validate({field: getattr(row, field) for field in model.model_fields if hasattr(row, field)})


def offer_from_row(row: OfferRow) -> Offer:
    return _from_row(Offer, row)


def candidate_from_row(row: CandidateRow) -> Candidate:
    return _from_row(Candidate, row)


def employer_from_row(row: EmployerRow) -> Employer:
    return _from_row(Employer, row)
