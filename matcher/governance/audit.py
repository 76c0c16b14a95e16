"""Append-only audit log with a hash chain (AI Act art. 12 and 26(6): ranking events, views, human decisions and
corrections).

Each row's hash is ``sha256(prev_hash + canonical JSON of at, actor, action, subject, payload)``, so
editing, inserting or deleting a row in the middle breaks the chain from that row on. ``seq`` is not
hashed: it only orders rows. Appenders are serialised: on PostgreSQL by a transaction-level advisory
lock, on SQLite by the write lock the first INSERT takes, so two appenders never chain to the same row.

Retention: rows are kept at least six months (:data:`MIN_RETENTION_DAYS`). Nothing purges them
automatically; :func:`purge_before` may drop a whole *prefix* of old rows and keeps the last dropped
row's seq and hash as the chain's anchor (a ``SettingRow``), so :func:`verify` still checks the rest.
People are named only by keyed pseudonyms (:mod:`matcher.governance.pseudonyms`): the entries of
``shortlist.built`` and ``shortlist.viewed``, the subject of ``decision``. Erasure deletes the person's
key, so their pseudonym in past rows links to no one, while the rows and their chain stay intact and
verifiable (crypto-shredding). Erasure rows themselves carry no personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from matcher.access.accounts import Principal, Role
from matcher.core.errors import Forbidden, NotFound
from matcher.governance import pseudonyms
from matcher.ranking.pipeline import Shortlist
from matcher.ranking.scorer import RetrievalScorer
from matcher.store.tables import AuditRow, SettingRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

GENESIS = "0" * 64
ANCHOR = "audit.anchor"  # SettingRow key: "<seq>:<hash>" of the last purged row
MIN_RETENTION_DAYS = 183  # six months at least (AI Act art. 19 and 26(6))
_LOCK_KEY = 0x4155444954  # "AUDIT": one advisory lock for every appender

SHORTLIST_BUILT = "shortlist.built"
SHORTLIST_VIEWED = "shortlist.viewed"
DECISION = "decision"
CANDIDATE_ERASED = "candidate.erased"
RETENTION_PURGED = "retention.purged"


def _utc(at: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive: they were stored in UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(prev_hash: str, *, at: datetime, actor: str | None, action: str, subject: str, payload: Any) -> str:
    body = {
        "at": _utc(at).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": payload,
    }
    return hashlib.sha256((prev_hash + _canonical(body)).encode("utf-8")).hexdigest()


def _anchor(session: Session) -> tuple[int, str]:
    setting = session.get(SettingRow, ANCHOR)
    if setting is None:
        return 0, GENESIS
    seq, digest = setting.value.split(":")
    return int(seq), digest


def record(session: Session, *, actor: str | None, action: str, subject: str, payload: dict[str, Any]) -> AuditRow:
    """Append one event in the caller's transaction; it is committed (or rolled back) with the change it logs."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    # Hash what the JSON column will give back, not the caller's objects (dates, tuples…).
    stored = json.loads(_canonical(payload))
    row = AuditRow(at=datetime.now(UTC), actor=actor, action=action, subject=subject, payload=stored)
    row.prev_hash = row.hash = ""
    session.add(row)
    session.flush()  # on SQLite this INSERT takes the write lock before the previous row is read
    previous = session.scalar(select(AuditRow.hash).where(AuditRow.seq < row.seq).order_by(AuditRow.seq.desc()))
    row.prev_hash = previous or _anchor(session)[1]
    row.hash = row_hash(row.prev_hash, at=row.at, actor=actor, action=action, subject=subject, payload=stored)
    session.flush()
    return row


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    head: str = GENESIS  # hash of the last row: publish it elsewhere to detect a truncated tail


def verify(session: Session, *, batch: int = 1000) -> AuditReport:
    """Recompute the chain from its anchor; the first row whose hash or link is wrong is reported."""
    _, expected = _anchor(session)
    # Not "seq > anchor": SQLite may reuse seqs once a purge emptied the table.
    checked, last_seq = 0, 0
    while True:
        rows = session.scalars(select(AuditRow).where(AuditRow.seq > last_seq).order_by(AuditRow.seq).limit(batch))
        rows_list = list(rows)
        if not rows_list:
            return AuditReport(ok=True, checked=checked, head=expected)
        for row in rows_list:
            digest = row_hash(
                row.prev_hash, at=row.at, actor=row.actor, action=row.action, subject=row.subject, payload=row.payload
            )
            if row.prev_hash != expected or row.hash != digest:
                return AuditReport(ok=False, checked=checked, first_broken_seq=row.seq, head=expected)
            expected, last_seq = row.hash, row.seq
            checked += 1


def verify_log(rt: Runtime, *, principal: Principal) -> AuditReport:
    """:func:`verify` for an admin (``GET /audit/verify``)."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("réservé à l'administration")
    with rt.store.read() as session:
        return verify(session)


def purge_before(session: Session, *, now: datetime, keep_days: int = MIN_RETENTION_DAYS) -> int:
    """Drop the oldest rows (a whole prefix, never a row in the middle) older than ``keep_days``; re-anchor.

    Raises ValueError for ``keep_days`` under six months. Returns how many rows went.
    """
    if keep_days < MIN_RETENTION_DAYS:
        raise ValueError(f"audit rows are kept at least {MIN_RETENTION_DAYS} days")
    cutoff = _utc(now) - timedelta(days=keep_days)
    last: AuditRow | None = None
    for row in session.scalars(select(AuditRow).order_by(AuditRow.seq)):
        if _utc(row.at) >= cutoff:
            break
        last = row
    if last is None:
        return 0
    removed = session.query(AuditRow).filter(AuditRow.seq <= last.seq).delete(synchronize_session=False)
    value = f"{last.seq}:{last.hash}"
    setting = session.get(SettingRow, ANCHOR)
    if setting is None:
        session.add(SettingRow(key=ANCHOR, value=value))
    else:
        setting.value = value
    session.flush()
    return removed


# --- shortlists: what was ranked, and can it be ranked again the same way ---------------------


def shortlist_payload(
    *, shortlist_id: str, shortlist: Shortlist, parameters: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    """The ``shortlist.built`` payload for a :class:`matcher.shortlist.Shortlist`: enough to re-score it.

    Each entry keeps the feature values the model read, so :func:`reproduce_shortlist` can replay the
    scoring with the recorded inputs even after the profiles have changed. ``names`` maps candidate ids
    to their pseudonyms: the log never holds a candidate id.
    """
    return {
        "shortlist_id": shortlist_id,
        "offer_id": shortlist.offer_id,
        "offer_version": shortlist.offer_version,
        "model_version": shortlist.model_version,
        "ranking": shortlist.ranking,
        "retrieved": shortlist.retrieved,
        "parameters": parameters,
        "entries": [
            {
                "pseudonym": names[e.candidate_id],
                "candidate_version": e.candidate_version,
                "rank": e.rank,
                "score": e.score,
                "features": {c.feature: c.value for c in e.explanation.contributions if c.value is not None},
            }
            for e in shortlist.entries
        ],
    }


def record_shortlist_built(
    session: Session, *, actor: str | None, shortlist_id: str, shortlist: Shortlist, parameters: dict[str, Any]
) -> AuditRow:
    names = pseudonyms.pseudonyms(session, [e.candidate_id for e in shortlist.entries])
    payload = shortlist_payload(shortlist_id=shortlist_id, shortlist=shortlist, parameters=parameters, names=names)
    return record(session, actor=actor, action=SHORTLIST_BUILT, subject=shortlist_id, payload=payload)


@dataclass
class Reproduction:
    shortlist_id: str
    model_version: str | None
    reproducible: bool  # the recorded model is the one loaded now (else nothing can be compared)
    ranks_match: bool
    scores_match: bool
    max_score_delta: float = 0.0
    # Whose rank or score differs: candidate ids of living people, pseudonyms of erased ones.
    mismatched: list[str] = field(default_factory=list)
    note: str = ""


def reproduce_shortlist(rt: Runtime, shortlist_id: str, *, tolerance: float = 1e-9) -> Reproduction:
    """Re-score the candidates of a recorded shortlist from its recorded feature values; compare ranks and scores."""
    with rt.store.read() as session:
        row = session.scalar(
            select(AuditRow)
            .where(AuditRow.action == SHORTLIST_BUILT, AuditRow.subject == shortlist_id)
            .order_by(AuditRow.seq.desc())
        )
        if row is None:
            raise NotFound("présélection", shortlist_id)
        payload = row.payload
        # Rows written before pseudonyms named candidates by id; "who" is either.
        entries = [{**e, "who": e.get("pseudonym") or e.get("candidate_id")} for e in payload["entries"]]
        living = pseudonyms.resolve(session, [e["who"] for e in entries])
    for e in entries:
        e["who"] = living.get(e["who"], e["who"])
    model_version = payload.get("model_version")
    if payload.get("ranking") == "search":
        # No model ranked it: the order is the search engine's, replayed by the search itself.
        return Reproduction(shortlist_id, None, True, True, True, note="classement IA désactivé : ordre de recherche")
    # A list no model could read (offer without occupation or skills) was ranked by the retrieval's own order.
    scorer = RetrievalScorer() if model_version == RetrievalScorer.version else rt.scorer
    if model_version != scorer.version:
        return Reproduction(
            shortlist_id, model_version, False, False, False, note=f"modèle chargé : {rt.scorer.version}"
        )
    scores = scorer.score([e["features"] for e in entries])
    replayed = [(s, e["who"]) for (s, _), e in zip(scores, entries, strict=True)]
    recorded_rank = {e["who"]: e["rank"] for e in entries}
    # Equal scores keep their recorded order: the shortlist broke ties by candidate id, which the log
    # no longer holds.
    order = [cid for _, cid in sorted(replayed, key=lambda pair: (-pair[0], recorded_rank[pair[1]]))]
    new_rank = {cid: rank for rank, cid in enumerate(order, start=1)}
    # Recorded ranks are places in a longer list: compare the relative order of the recorded entries.
    relative = {cid: rank for rank, cid in enumerate(sorted(recorded_rank, key=recorded_rank.__getitem__), start=1)}
    deltas = {cid: abs(s - e["score"]) for (s, cid), e in zip(replayed, entries, strict=True)}
    mismatched = sorted(cid for cid in new_rank if new_rank[cid] != relative[cid] or deltas[cid] > tolerance)
    return Reproduction(
        shortlist_id,
        model_version,
        True,
        ranks_match=all(new_rank[c] == relative[c] for c in new_rank),
        scores_match=all(d <= tolerance for d in deltas.values()),
        max_score_delta=max(deltas.values(), default=0.0),
        mismatched=mismatched,
    )
