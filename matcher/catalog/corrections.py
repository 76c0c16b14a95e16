"""Recruiters' corrections of offers' occupations: the audit action that records one, and the corrections that stand.

Read by the runtime when it builds the occupation classifier (so this module imports nothing that names it).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.tables import AuditRow, OfferRow

OCCUPATION_SET = "offer.occupation_set"  # audit action: a recruiter confirms or corrects the occupation read


def corrected_occupations(session: Session) -> dict[str, tuple[str, str]]:
    """Offer id -> (title, ROME code) of every offer whose occupation a recruiter set on its page and that still has
    it (a partner's code sent since, or a deleted offer, takes the correction back)."""
    said: dict[str, str] = {}
    for subject, payload in session.execute(
        select(AuditRow.subject, AuditRow.payload).where(AuditRow.action == OCCUPATION_SET).order_by(AuditRow.seq)
    ):
        said[subject] = payload["to"]
    out: dict[str, tuple[str, str]] = {}
    ids = list(said)
    for start in range(0, len(ids), 500):
        for offer_id, title, code in session.execute(
            select(OfferRow.id, OfferRow.title, OfferRow.rome_code).where(OfferRow.id.in_(ids[start : start + 500]))
        ):
            if code == said[offer_id]:
                out[offer_id] = (title, code)
    return out
