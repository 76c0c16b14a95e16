"""Conversions between domain models and table rows (one place, both directions), and reads by id."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.core.errors import NotFound
from matcher.core.models import Candidate, Employer, Offer
from matcher.core.text import STORED
from matcher.store.tables import Base, CandidateRow, EmployerRow, OfferRow

Model = TypeVar("Model", bound=BaseModel)


def columns(data: BaseModel) -> dict[str, Any]:
    """Column values of an input model: its JSON form (enums as strings, dates as ISO text, lists as JSON)."""
    return data.model_dump(mode="json")


def _from_row(model: type[Model], row: Base) -> Model:
    values = {field: getattr(row, field) for field in model.model_fields if hasattr(row, field)}
    return model.model_validate(values, context={STORED: True})


def offer_from_row(row: OfferRow) -> Offer:
    return _from_row(Offer, row)


def candidate_from_row(row: CandidateRow) -> Candidate:
    return _from_row(Candidate, row)


def employer_from_row(row: EmployerRow) -> Employer:
    return _from_row(Employer, row)


def offer_row(session: Session, offer_id: str) -> OfferRow:
    row = session.get(OfferRow, offer_id)
    if row is None:
        raise NotFound("offre", offer_id)
    return row


def get_offer(session: Session, *, offer_id: str) -> Offer:
    return offer_from_row(offer_row(session, offer_id))


def candidate_row(session: Session, candidate_id: str) -> CandidateRow:
    row = session.get(CandidateRow, candidate_id)
    if row is None:
        raise NotFound("candidat", candidate_id)
    return row


def get_candidate(session: Session, *, candidate_id: str) -> Candidate:
    return candidate_from_row(candidate_row(session, candidate_id))


def get_candidates(session: Session, *, candidate_ids: list[str]) -> dict[str, Candidate]:
    rows = session.scalars(select(CandidateRow).where(CandidateRow.id.in_(candidate_ids)))
    return {r.id: candidate_from_row(r) for r in rows}
