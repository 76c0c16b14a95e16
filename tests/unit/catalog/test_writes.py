"""Services over the SQL store: validation before any write, versions, outbox in the same transaction."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from matcher.catalog.candidates import create_candidate, update_candidate
from matcher.catalog.offers import create_offer, delete_offer, update_offer
from matcher.core import records
from matcher.core.errors import InvalidInput, NotFound
from matcher.core.models import OfferIn, Visibility
from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, OfferRow, OutboxRow
from tests.factories import candidate_in, count, employer, offer_in

pytestmark = pytest.mark.both_stores  # also on PostgreSQL (tests/conftest.py)


def test_create_update_delete_offer_versions_and_outbox(rt: Runtime) -> None:
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        offer = create_offer(session, data=offer_in(eid), **refs)
    assert offer.version == 1
    with rt.store.transaction() as session:
        updated = update_offer(session, offer_id=offer.id, data=offer_in(eid, title="Chef jardinier"), **refs)
    assert (updated.version, updated.title) == (2, "Chef jardinier")
    with rt.store.transaction() as session:
        delete_offer(session, offer_id=offer.id)
    with rt.store.read() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        assert [(r.action, r.version) for r in rows] == [("upsert", 1), ("upsert", 2), ("delete", 3)]
        with pytest.raises(NotFound):
            records.get_offer(session, offer_id=offer.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"commune_insee": "99999"}, "commune_insee"),
        ({"rome_code": "N9999"}, "rome_code"),
        ({"required_skills": ["100063", "9999999"]}, "required_skills.1"),
        ({"employer_id": "emp_unknown"}, "employer_id"),
    ],
)
def test_unknown_references_name_the_field_and_write_nothing(rt: Runtime, changes: dict, field: str) -> None:
    data = offer_in(employer(rt)).model_copy(update=changes)
    with pytest.raises(InvalidInput) as error, rt.store.transaction() as session:
        create_offer(session, data=data, taxonomy=rt.taxonomy, geography=rt.geography)
    assert error.value.field == field
    assert count(rt, OfferRow) == 0
    assert count(rt, OutboxRow) == 0


def test_malformed_offer_is_rejected_by_the_model() -> None:
    with pytest.raises(ValidationError) as error:
        OfferIn.model_validate(
            {"title": "", "employer_id": "e", "commune_insee": "123", "contract_types": [], "surprise": True}
        )
    fields = {".".join(str(p) for p in e["loc"]) for e in error.value.errors()}
    assert {"title", "commune_insee", "contract_types", "surprise"} <= fields


def test_a_salary_range_upside_down_names_its_field() -> None:
    """A cross-field rule: checked once the fields themselves are valid (pydantic's order), naming the field."""
    valid = {"title": "Jardinier", "employer_id": "e", "commune_insee": "07186", "contract_types": ["cdi"]}
    with pytest.raises(ValidationError) as error:
        OfferIn.model_validate({**valid, "salary": {"minimum": 3000, "maximum": 2000}})
    assert any("salary" in ".".join(str(p) for p in e["loc"]) or "salary" in e["msg"] for e in error.value.errors())


def test_a_failure_mid_transaction_leaves_nothing(rt: Runtime) -> None:
    eid = employer(rt)
    with pytest.raises(RuntimeError), rt.store.transaction() as session:
        create_offer(session, data=offer_in(eid), taxonomy=rt.taxonomy, geography=rt.geography)
        raise RuntimeError("crash after the write, before commit")
    assert count(rt, OfferRow) == 0
    assert count(rt, OutboxRow) == 0


def test_candidate_consent_is_dated_and_withdrawn(rt: Runtime) -> None:
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        candidate = create_candidate(session, data=candidate_in(), **refs)
    assert candidate.consented_at is not None
    with rt.store.transaction() as session:
        hidden = update_candidate(session, candidate_id=candidate.id, data=candidate_in(visibility="private"), **refs)
    assert hidden.consented_at is None and hidden.visibility == Visibility.PRIVATE
    with pytest.raises(InvalidInput) as error, rt.store.transaction() as session:
        create_candidate(session, data=candidate_in(mobility={"communes": ["07019", "00000"], "radius_km": 10}), **refs)
    assert error.value.field == "mobility.communes.1"
    assert count(rt, CandidateRow) == 1
