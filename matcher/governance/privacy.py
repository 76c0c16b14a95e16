"""People's rights over their data (GDPR art. 15, 17, 20), consent withdrawal, and erasure tombstones.

An erasure reaches every place the service keeps a person: the candidate row, recruiters' decisions
about them, their places in persisted shortlists, the partner sync state, their account (the one
linked to the profile and the one that created it, with their alerts, notifications and the mail
files written for them), equality-monitoring answers, the embedding-cache vectors of every version
of their profile text, and every index. The key of their audit pseudonym is destroyed, so the audit
log can no longer be linked to them (crypto-shredding). It leaves a tombstone (hashes only) that
every write path checks, so a late partner update or a replayed job cannot bring the person back.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, delete, or_, select
from sqlalchemy.orm import Session

from matcher.access.accounts import Principal, delete_account, get_account
from matcher.access.tenancy import own_candidate_id
from matcher.core.erasure import erasure_keys, is_erased
from matcher.core.errors import NotFound
from matcher.core.indexes import CANDIDATES
from matcher.core.records import candidate_from_row
from matcher.embedding.cache import content_hash, forget
from matcher.governance import audit, pseudonyms
from matcher.indexing.documents import candidate_text
from matcher.notify.senders import erase_messages, mail_folder
from matcher.store.tables import (
    AccountRow,
    AccountTokenRow,
    ApproachPreferenceRow,
    ApproachRow,
    Base,
    CandidateRow,
    ChangeRow,
    CvFileRow,
    DeliveryRow,
    ErasureRow,
    FeedbackRow,
    MonitoringRow,
    NotificationRow,
    OfferRow,
    OutboxRow,
    PipelineEventRow,
    SavedSearchRow,
    ShortlistRow,
    SyncItemRow,
)

if TYPE_CHECKING:
    from matcher.runtime import Runtime


def shortlists_with(session: Session, candidate_id: str) -> list[ShortlistRow]:
    """The kept shortlists a person is on."""
    # The JSON text prefilter keeps this a single indexed-ish scan; entries are then checked exactly.
    rows = session.scalars(select(ShortlistRow).where(cast(ShortlistRow.entries, String).contains(candidate_id)))
    return [r for r in rows if any(e.get("candidate_id") == candidate_id for e in r.entries)]


def _decided_offers(session: Session, candidate_id: str) -> set[str]:
    return set(session.scalars(select(FeedbackRow.offer_id).where(FeedbackRow.candidate_id == candidate_id)))


def withdraw_from_shortlists(
    session: Session, candidate_id: str, *, everywhere: bool = False, still_seen_by: Collection[str] = ()
) -> int:
    """Remove a candidate from persisted shortlists; returns how many shortlists changed.

    On consent withdrawal only shortlists not yet acted on for them go (no decision recorded for that
    offer and candidate): a recruiter's decision is kept with its context. ``everywhere`` is for erasure.
    ``still_seen_by``: employers the person's consent still names, whose shortlists keep them.
    """
    spared = set() if everywhere else _decided_offers(session, candidate_id)
    rows = shortlists_with(session, candidate_id)
    if still_seen_by:
        offers = [r.offer_id for r in rows]
        spared |= set(
            session.scalars(select(OfferRow.id).where(OfferRow.id.in_(offers), OfferRow.employer_id.in_(still_seen_by)))
        )
    changed = 0
    for row in rows:
        if row.offer_id in spared:
            continue
        row.entries = [e for e in row.entries if e.get("candidate_id") != candidate_id]
        changed += 1
    session.flush()
    return changed


# --- access and portability -------------------------------------------------------------------


def _plain(row: Base, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in leave_out:
            continue
        value = getattr(row, column.key)
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
        elif isinstance(value, bytes):
            value = value.hex()
        out[column.key] = value
    return out


def _accounts_of(row: CandidateRow) -> Any:
    """The accounts of a profile's person: the one linked to it and the one whose holder created it."""
    return or_(AccountRow.candidate_id == row.id, AccountRow.id == row.owner_account_id)


def export_person(session: Session, *, candidate_id: str) -> dict[str, Any]:
    """Everything held on a candidate, machine-readable (GDPR art. 15 and 20). The password hash is left out."""
    row = session.get(CandidateRow, candidate_id)
    if row is None:
        raise NotFound("candidat", candidate_id)
    accounts = list(session.scalars(select(AccountRow).where(_accounts_of(row))))
    account_ids = [a.id for a in accounts]
    feedback = session.scalars(
        select(FeedbackRow).where(FeedbackRow.candidate_id == candidate_id).order_by(FeedbackRow.id)
    )
    shortlists = [
        {
            "shortlist_id": s.id,
            "offer_id": s.offer_id,
            "built_at": _plain(s)["built_at"],
            "ranking": s.ranking,
            "model_version": s.model_version,
            "entry": next(e for e in s.entries if e.get("candidate_id") == candidate_id),
        }
        for s in shortlists_with(session, candidate_id)
    ]
    monitoring = session.get(MonitoringRow, candidate_id)
    cv_file = session.get(CvFileRow, candidate_id)
    sync = session.scalars(
        select(SyncItemRow).where(SyncItemRow.kind == "candidate", SyncItemRow.entity_id == candidate_id)
    )
    return {
        "format": "approche-directe/export-personne/1",
        "exported_at": datetime.now(UTC).isoformat(),
        "profile": _plain(row),
        "consent": {
            "visible_to_employers_since": _plain(row)["consented_at"],
            "talent_pool_since": _plain(row)["talent_pool_consented_at"],
            "last_contact_at": _plain(row)["last_contact_at"],
        },
        "decisions": [_plain(f) for f in feedback],
        "shortlists": shortlists,
        "accounts": [_plain(a, leave_out=("password_hash",)) for a in accounts],
        "saved_searches": [
            _plain(s) for s in session.scalars(select(SavedSearchRow).where(SavedSearchRow.account_id.in_(account_ids)))
        ],
        "notifications": [
            _plain(n)
            for n in session.scalars(select(NotificationRow).where(NotificationRow.account_id.in_(account_ids)))
        ],
        "equality_monitoring": _plain(monitoring) if monitoring else None,
        "partner_sync": [_plain(s) for s in sync],
        "cv_file": _plain(cv_file, leave_out=("content",)) if cv_file else None,  # the file: GET /me/cv/file
        **_approach_data(session, candidate_id),
    }


def _approach_data(session: Session, candidate_id: str) -> dict[str, Any]:
    """Approaches received (messages, answers, contacts shared), pipeline steps, approach preferences."""
    approaches = session.scalars(
        select(ApproachRow).where(ApproachRow.candidate_id == candidate_id).order_by(ApproachRow.sent_at)
    )
    steps = session.scalars(
        select(PipelineEventRow).where(PipelineEventRow.candidate_id == candidate_id).order_by(PipelineEventRow.id)
    )
    preferences = session.get(ApproachPreferenceRow, candidate_id)
    return {
        "approaches": [_plain(a) for a in approaches],
        "pipeline": [_plain(e) for e in steps],
        "approach_preferences": _plain(preferences) if preferences else None,
    }


# --- erasure ----------------------------------------------------------------------------------


SELF = "personne concernée"  # audit actor of an erasure the person asked for themselves


@dataclass
class ErasureReport:
    erased: bool
    reason: str
    removed: dict[str, int] = field(default_factory=dict)


def _delete(session: Session, table: type[Base], *conditions: Any) -> int:
    result = session.execute(delete(table).where(*conditions))
    return int(getattr(result, "rowcount", 0) or 0)


def erase_candidate(
    rt: Runtime, *, candidate_id: str, reason: str = "request", actor: str | None = None
) -> ErasureReport:
    """Erase a candidate from the store, every index and the caches; leave a tombstone and an audit row.

    Idempotent: erasing an already erased candidate reports ``erased=False`` and changes nothing.
    """
    with rt.store.transaction() as session:
        row = session.get(CandidateRow, candidate_id)
        if row is None:
            if is_erased(session, kind="candidate", entity_id=candidate_id):
                return ErasureReport(erased=False, reason=reason)
            raise NotFound("candidat", candidate_id)
        version = row.version + 1
        keys = erasure_keys("candidate", entity_id=row.id, source=row.source, external_ref=row.external_ref)
        text_hash = content_hash(candidate_text(candidate_from_row(row), rt.taxonomy))
        account_ids = list(session.scalars(select(AccountRow.id).where(_accounts_of(row))))
        # The ids that name the person's mail files (written by the file sender), read before their rows go.
        link_ids = list(session.scalars(select(AccountTokenRow.id).where(AccountTokenRow.account_id.in_(account_ids))))
        approach_ids = list(session.scalars(select(ApproachRow.id).where(ApproachRow.candidate_id == candidate_id)))
        removed = {
            "feedback": _delete(session, FeedbackRow, FeedbackRow.candidate_id == candidate_id),
            "shortlists": withdraw_from_shortlists(session, candidate_id, everywhere=True),
            "saved_searches": _delete(session, SavedSearchRow, SavedSearchRow.account_id.in_(account_ids)),
            "notifications": _delete(session, NotificationRow, NotificationRow.account_id.in_(account_ids)),
            "accounts": _delete(session, AccountRow, AccountRow.id.in_(account_ids)),
            "monitoring": _delete(session, MonitoringRow, MonitoringRow.candidate_id == candidate_id),
            "embedding_cache": forget(session, owner=candidate_id, text_hashes=[text_hash]),
            "audit_pseudonym_keys": pseudonyms.shred(session, candidate_id),
            "webhook_deliveries": _scrub_deliveries(session, candidate_id),
            # Approaches go with the messages and the contacts shared; so do the pipeline steps.
            "approaches": _delete(session, ApproachRow, ApproachRow.candidate_id == candidate_id),
            "pipeline_events": _delete(session, PipelineEventRow, PipelineEventRow.candidate_id == candidate_id),
            "approach_preferences": _delete(
                session, ApproachPreferenceRow, ApproachPreferenceRow.candidate_id == candidate_id
            ),
            "cv_files": _delete(session, CvFileRow, CvFileRow.candidate_id == candidate_id),
        }
        removed.update(_erase_sync_state(session, row))
        session.delete(row)
        # The outbox delete makes every index (and a rebuilt one) drop them; the immediate delete below is faster.
        session.add(OutboxRow(topic="candidate", entity_id=candidate_id, version=version, action="delete"))
        now = datetime.now(UTC)
        for key in keys:
            session.merge(ErasureRow(key=key, kind="candidate", reason=reason, erased_at=now))
        # No personal data in the log: the tombstone key and counts only.
        audit.record(
            session,
            actor=SELF if actor in account_ids else actor,  # the person's own account id would name them
            action=audit.CANDIDATE_ERASED,
            subject=keys[0],
            payload={"reason": reason, "removed": removed},
        )
    rt.backend.delete(CANDIDATES, [(candidate_id, version)])
    rt.backend.flush()
    removed["mail_files"] = erase_messages(
        mail_folder(rt.settings), account_ids=account_ids, link_ids=link_ids, approach_ids=approach_ids
    )
    return ErasureReport(erased=True, reason=reason, removed=removed)


def _scrub_deliveries(session: Session, candidate_id: str) -> int:
    """Take the person out of every webhook message kept (sent or still owed): bodies are signed when sent."""
    scrubbed = 0
    for delivery in session.scalars(select(DeliveryRow).where(DeliveryRow.body.contains(candidate_id))):
        body = json.loads(delivery.body)
        if body.get("candidate_id") == candidate_id:  # an approach event names one person
            delivery.body = json.dumps({**body, "candidate_id": None}, ensure_ascii=False, separators=(",", ":"))
            scrubbed += 1
            continue
        kept = [e for e in body.get("entries", []) if e.get("candidate_id") != candidate_id]
        if len(kept) != len(body.get("entries", [])):
            delivery.body = json.dumps({**body, "entries": kept}, ensure_ascii=False, separators=(",", ":"))
            scrubbed += 1
    return scrubbed


def _erase_sync_state(session: Session, row: CandidateRow) -> dict[str, int]:
    """Forget what a partner sent; leave one ``deleted`` change so the partner learns of it (GDPR art. 19)."""
    items = list(
        session.scalars(select(SyncItemRow).where(SyncItemRow.kind == "candidate", SyncItemRow.entity_id == row.id))
    )
    changes = _delete(session, ChangeRow, ChangeRow.kind == "candidate", ChangeRow.entity_id == row.id)
    for item in items:
        session.add(
            ChangeRow(
                partner_id=item.partner_id,
                kind="candidate",
                external_id=item.external_id,
                entity_id=None,
                action="deleted",
                version=item.version + 1,
            )
        )
        session.delete(item)
    return {"sync_items": len(items), "changes": changes}


# --- use cases: a person's rights, exercised by themselves or through the administration --------


def export_own_data(rt: Runtime, *, principal: Principal) -> dict[str, Any]:
    """Everything held on the signed-in person: their account, and their profile's data when they have one."""
    with rt.store.read() as session:
        body: dict[str, Any] = {"account": get_account(session, account_id=principal.subject).model_dump(mode="json")}
        if principal.candidate_id is not None:
            body.update(export_person(session, candidate_id=principal.candidate_id))
    return body


def erase_own_data(rt: Runtime, *, principal: Principal) -> None:
    """Erase the signed-in person's profile everywhere, then their account. Irreversible."""
    if principal.candidate_id is not None:
        erase_candidate(rt, candidate_id=own_candidate_id(principal), actor=principal.subject)
    with rt.store.transaction() as session:
        delete_account(session, account_id=principal.subject)


def erase_profile(rt: Runtime, *, principal: Principal, candidate_id: str) -> ErasureReport:
    """Erasure requested from the administration: a profile unknown or already erased is NotFound."""
    with rt.store.read() as session:
        if session.get(CandidateRow, candidate_id) is None:
            raise NotFound("candidat", candidate_id)
    return erase_candidate(rt, candidate_id=candidate_id, actor=principal.subject)
