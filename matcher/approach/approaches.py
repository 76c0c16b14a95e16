"""Approaches: sent by a recruiter for one offer, answered (or left to expire) by the candidate.

Rules, each checked before anything is written (a refusal writes nothing and sends nothing):
the offer is published and the recruiter acts for its employer; each candidate is visible to
employers (dated consent) and has not turned approaches off; one open approach per (offer,
candidate); a per-recruiter quota over the last 24 hours. The message is the offer's template
filled with the offer, why this profile (the shortlist's explanation) and the recruiter's words;
it is kept only as long as the approach. Contact details reach the employer only when the
candidate accepts, and only those they chose; they can withdraw them later. Sending, answering
and expiry each queue an ``approach`` outbox row: the e-mail and the employer's webhook follow.
The audit log records approaches and answers under the person's pseudonym, never the message text.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.core.errors import Conflict, InvalidInput, NotFound
from matcher.core.models import OfferStatus, Strict
from matcher.core.outbox import enqueue, new_id
from matcher.core.records import offer_from_row
from matcher.governance import audit, pseudonyms
from matcher.ranking.pipeline import Explanation, candidate_pairs, rank_pairs
from matcher.store.tables import (
    AccountRow,
    ApproachPreferenceRow,
    ApproachRow,
    ApproachTemplateRow,
    CandidateRow,
    EmployerRow,
    OfferRow,
    PipelineEventRow,
    ShortlistRow,
)

if TYPE_CHECKING:
    from matcher.runtime import Runtime

APPROACH_SENT = "approach.sent"
APPROACH_ANSWERED = "approach.answered"
APPROACH_EXPIRED = "approach.expired"
CONTACT_WITHDRAWN = "approach.contact_withdrawn"
TOPIC = "approach"  # outbox topic: the e-mail and the webhook that follow a send, an answer, an expiry
MAX_BATCH = 50


class Source(StrEnum):
    """Where a candidate came from into the offer's pipeline."""

    SHORTLIST = "shortlist"
    SEARCH = "search"
    INTEREST = "interest"


class Status(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CLOSED = "closed"  # the offer closed before any answer


class DeclineReason(StrEnum):
    NOT_INTERESTED = "not_interested"
    NOT_NOW = "not_now"
    LOCATION = "location"
    PAY = "pay"
    CONTRACT = "contract"
    OTHER = "other"


DECLINE_LABELS = {
    DeclineReason.NOT_INTERESTED: "Pas intéressé·e par ce poste",
    DeclineReason.NOT_NOW: "Pas pour le moment",
    DeclineReason.LOCATION: "Lieu de travail",
    DeclineReason.PAY: "Rémunération",
    DeclineReason.CONTRACT: "Type de contrat",
    DeclineReason.OTHER: "Autre raison",
}

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 .\-]{6,20}$")]

DEFAULT_TEMPLATE = (
    "Bonjour,\n\n"
    "{employeur} vous propose le poste « {offre} » à {lieu} ({contrat}).\n\n"
    "{resume}\n\n"
    "Pourquoi votre profil : {pourquoi}\n\n"
    "{message}\n\n"
    "Vous pouvez accepter cette proposition, en choisissant les coordonnées transmises à l'employeur, "
    "ou la décliner. Sans réponse, elle expire le {expiration}."
)
PLACEHOLDERS = ("employeur", "offre", "lieu", "contrat", "resume", "pourquoi", "message", "expiration")
TEMPLATE_MAX = 4000


class ApproachIn(Strict):
    """One approach for an offer, to one or several candidates."""

    candidate_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_BATCH
    )
    message: str = Field(default="", max_length=10_000, description="Vos mots, ajoutés au modèle de l'offre")
    source: Literal["shortlist", "search", "interest"] = "shortlist"
    shortlist_id: str | None = Field(default=None, description="Présélection d'origine (défaut : la plus récente)")


class AnswerIn(Strict):
    """A candidate's answer. Accepting shares only the contact details ticked here."""

    answer: Literal["accept", "decline"]
    share_email: bool = False
    share_phone: bool = False
    phone: Phone | None = Field(default=None, description="Numéro à transmettre (sinon : celui de vos préférences)")
    reason: DeclineReason | None = None


class PreferencesIn(Strict):
    accepts_approaches: bool
    phone: Phone | None = None


class Preferences(BaseModel):
    accepts_approaches: bool
    phone: str | None


class TemplateIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=TEMPLATE_MAX)]


class Template(BaseModel):
    offer_id: str
    text: str
    default: bool
    placeholders: list[str] = list(PLACEHOLDERS)


class Contact(BaseModel):
    email: str | None
    phone: str | None
    shared_at: datetime


class Approach(BaseModel):
    id: str
    offer_id: str
    offer_title: str
    employer_id: str
    candidate_id: str
    source: Source
    status: Status
    reason: DeclineReason | None
    message: str
    explanation: Explanation | None
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    contact: Contact | None = Field(description="Coordonnées transmises : seulement après acceptation, retirables")
    contact_withdrawn_at: datetime | None


# --- reading ----------------------------------------------------------------------------------


def _view(row: ApproachRow, offer_title: str) -> Approach:
    contact = None
    if row.status == Status.ACCEPTED and row.shared_at is not None and row.contact_withdrawn_at is None:
        contact = Contact(email=row.shared_email, phone=row.shared_phone, shared_at=row.shared_at)
    return Approach(
        id=row.id,
        offer_id=row.offer_id,
        offer_title=offer_title,
        employer_id=row.employer_id,
        candidate_id=row.candidate_id,
        source=Source(row.source),
        status=Status(row.status),
        reason=DeclineReason(row.reason) if row.reason else None,
        message=row.message,
        explanation=Explanation.model_validate(row.explanation) if row.explanation else None,
        sent_at=row.sent_at,
        expires_at=row.expires_at,
        answered_at=row.answered_at,
        contact=contact,
        contact_withdrawn_at=row.contact_withdrawn_at,
    )


def _titles(session: Session, offer_ids: Sequence[str]) -> dict[str, str]:
    query = select(OfferRow.id, OfferRow.title).where(OfferRow.id.in_(list(offer_ids)))
    return {offer_id: title for offer_id, title in session.execute(query)}


def views(session: Session, rows: Sequence[ApproachRow]) -> list[Approach]:
    titles = _titles(session, [r.offer_id for r in rows])
    return [_view(r, titles.get(r.offer_id, "offre supprimée")) for r in rows]


def for_offer(rt: Runtime, *, principal: Principal, offer_id: str) -> list[Approach]:
    """Every approach of an offer the principal acts for, newest first."""
    with rt.store.read() as session:
        tenancy.offer_row(session, principal, offer_id)
        return of_offer(session, offer_id)


def of_offer(session: Session, offer_id: str) -> list[Approach]:
    """:func:`for_offer` inside the caller's session, for an offer whose access the caller has checked."""
    rows = session.scalars(
        select(ApproachRow).where(ApproachRow.offer_id == offer_id).order_by(ApproachRow.sent_at.desc())
    ).all()
    return views(session, rows)


def for_recruiter(rt: Runtime, *, principal: Principal, approach_id: str) -> Approach:
    """One approach of an employer the principal acts for (another employer's is NotFound, like an unknown id)."""
    with rt.store.read() as session:
        row = session.get(ApproachRow, approach_id)
        if row is None or not principal.may_act_for(row.employer_id):
            raise NotFound("approche", approach_id)
        return views(session, [row])[0]


def for_candidate(rt: Runtime, *, principal: Principal) -> list[Approach]:
    """The signed-in job seeker's approaches, newest first."""
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        return of_candidate(session, candidate_id)


def of_candidate(session: Session, candidate_id: str) -> list[Approach]:
    """:func:`for_candidate` inside the caller's session."""
    rows = session.scalars(
        select(ApproachRow).where(ApproachRow.candidate_id == candidate_id).order_by(ApproachRow.sent_at.desc())
    ).all()
    return views(session, rows)


def _own(session: Session, principal: Principal, approach_id: str) -> ApproachRow:
    row = session.get(ApproachRow, approach_id)
    if row is None or principal.candidate_id is None or row.candidate_id != principal.candidate_id:
        raise NotFound("approche", approach_id)
    return row


def own_approach(rt: Runtime, *, principal: Principal, approach_id: str) -> Approach:
    with rt.store.read() as session:
        return views(session, [_own(session, principal, approach_id)])[0]


class LinkedApproach(BaseModel):
    """What the signed e-mail link shows: the proposal (no contact: a forwarded link must not reveal one)."""

    approach: Approach
    employer_name: str
    phone_on_file: bool  # whether accepting can share the phone of the candidate's preferences


def by_link(rt: Runtime, *, approach_id: str) -> LinkedApproach:
    """The approach a signed link names (see :mod:`matcher.approach.links`)."""
    with rt.store.read() as session:
        row = session.get(ApproachRow, approach_id)
        if row is None:
            raise NotFound("approche", approach_id)
        employer = session.get(EmployerRow, row.employer_id)
        return LinkedApproach(
            approach=views(session, [row])[0].model_copy(update={"contact": None}),
            employer_name=employer.name if employer else "",
            phone_on_file=preferences(session, candidate_id=row.candidate_id).phone is not None,
        )


# --- preferences and templates ----------------------------------------------------------------


def preferences(session: Session, *, candidate_id: str) -> Preferences:
    row = session.get(ApproachPreferenceRow, candidate_id)
    return Preferences(accepts_approaches=row.accepts_approaches if row else True, phone=row.phone if row else None)


def set_preferences(rt: Runtime, *, principal: Principal, data: PreferencesIn) -> Preferences:
    """Turn approaches on or off, keep a phone number to share. Off: no recruiter may approach them."""
    with rt.store.transaction() as session:
        candidate_id = tenancy.own_candidate_id(principal)
        row = session.get(ApproachPreferenceRow, candidate_id)
        if row is None:
            row = ApproachPreferenceRow(candidate_id=candidate_id)
            session.add(row)
        row.accepts_approaches, row.phone, row.updated_at = data.accepts_approaches, data.phone, datetime.now(UTC)
        return Preferences(accepts_approaches=row.accepts_approaches, phone=row.phone)


def own_preferences(rt: Runtime, *, principal: Principal) -> Preferences:
    with rt.store.read() as session:
        return preferences(session, candidate_id=tenancy.own_candidate_id(principal))


def closed_to_approaches(session: Session, candidate_ids: Sequence[str]) -> set[str]:
    """The candidates among these who turned approaches off."""
    return set(
        session.scalars(
            select(ApproachPreferenceRow.candidate_id).where(
                ApproachPreferenceRow.candidate_id.in_(list(candidate_ids)),
                ApproachPreferenceRow.accepts_approaches.is_(False),
            )
        )
    )


def template(rt: Runtime, *, principal: Principal, offer_id: str) -> Template:
    with rt.store.read() as session:
        tenancy.offer_row(session, principal, offer_id)
        return template_of(session, offer_id)


def template_of(session: Session, offer_id: str) -> Template:
    """:func:`template` inside the caller's session, for an offer whose access the caller has checked."""
    row = session.get(ApproachTemplateRow, offer_id)
    return Template(offer_id=offer_id, text=row.text if row else DEFAULT_TEMPLATE, default=row is None)


def set_template(rt: Runtime, *, principal: Principal, offer_id: str, data: TemplateIn) -> Template:
    """The offer's template; only the known ``{placeholders}`` may appear in it."""
    try:
        used = [name for _, name, _, _ in string.Formatter().parse(data.text) if name is not None]
    except ValueError:
        raise InvalidInput("text", "accolade mal fermée : écrivez {offre}, {lieu}…") from None
    unknown = sorted({n for n in used if n not in PLACEHOLDERS})
    if unknown:
        raise InvalidInput("text", f"variables inconnues : {', '.join(unknown)} (permises : {', '.join(PLACEHOLDERS)})")
    with rt.store.transaction() as session:
        offer = tenancy.offer_row(session, principal, offer_id)
        row = session.get(ApproachTemplateRow, offer_id)
        if row is None:
            row = ApproachTemplateRow(offer_id=offer_id, employer_id=offer.employer_id)
            session.add(row)
        row.text, row.updated_by, row.updated_at = data.text, principal.subject, datetime.now(UTC)
        return Template(offer_id=offer_id, text=row.text, default=False)


# --- why this profile -------------------------------------------------------------------------


def explain_pair(rt: Runtime, *, offer_id: str, candidate_id: str) -> Explanation | None:
    """The explanation a shortlist place would carry for this pair (same retrieval context, same scorer)."""
    with rt.store.read() as session:
        row = session.get(OfferRow, offer_id)
        if row is None:
            return None
        offer = offer_from_row(row)
    pairs, _ = candidate_pairs(rt, offer=offer, also=[candidate_id])
    mine = [p for p in pairs if p[1].id == candidate_id]
    if not mine:
        return None  # not visible to employers (checked again, and refused, by the caller)
    ranked = rank_pairs(rt, mine, rt.scorer, today=datetime.now(UTC).date())
    return ranked[0][2]


def why_text(explanation: Explanation | dict[str, Any] | None) -> str:
    """Why this profile, in one French sentence built from the explanation."""
    if explanation is None:
        return "votre profil correspond aux critères de l'offre."
    e = explanation if isinstance(explanation, Explanation) else Explanation.model_validate(explanation)
    parts = [c.label.lower() for c in sorted(e.contributions, key=lambda c: -c.contribution) if c.value][:3]
    if e.matched_skills:
        parts.append(f"{len(e.matched_skills)} compétence(s) attendue(s) présente(s)")
    if e.distance_km is not None:
        parts.append(f"lieu de travail à {e.distance_km:.0f} km, dans votre zone de mobilité")
    return "; ".join(parts) + "." if parts else "votre profil correspond aux critères de l'offre."


def compose(
    template_text: str, *, offer: OfferRow, employer: str, place: str, explanation: Any, words: str, expires: datetime
) -> str:
    """The message: the template filled in. Values are plain text (escaped wherever they are shown)."""
    values = {
        "employeur": employer,
        "offre": offer.title,
        "lieu": place,
        "contrat": ", ".join(offer.contract_types) or "contrat à préciser",
        "resume": (offer.description or "").strip()[:600],
        "pourquoi": why_text(explanation),
        "message": words.strip(),
        "expiration": expires.strftime("%d/%m/%Y"),
    }
    text = template_text.format_map(values)
    return "\n\n".join(p.strip() for p in text.split("\n\n") if p.strip())  # an empty block leaves no gap


# --- sending ----------------------------------------------------------------------------------


def _quota_used(session: Session, recruiter_id: str, now: datetime) -> int:
    since = now - timedelta(hours=24)
    return int(
        session.scalar(
            select(func.count())
            .select_from(ApproachRow)
            .where(ApproachRow.recruiter_id == recruiter_id, ApproachRow.sent_at >= since)
        )
        or 0
    )


def _shortlist_entries(session: Session, offer_id: str, shortlist_id: str | None) -> dict[str, dict[str, Any]]:
    if shortlist_id is not None:
        row = session.get(ShortlistRow, shortlist_id)
    else:
        row = session.scalar(
            select(ShortlistRow)
            .where(ShortlistRow.offer_id == offer_id)
            .order_by(ShortlistRow.built_at.desc())
            .limit(1)
        )
    if row is None or row.offer_id != offer_id:
        raise InvalidInput("shortlist_id", "aucune présélection gardée pour cette offre : construisez-en une")
    return {e["candidate_id"]: e for e in row.entries}


def _interest_explanations(session: Session, offer_id: str) -> dict[str, Any]:
    rows = session.execute(
        select(PipelineEventRow.candidate_id, PipelineEventRow.explanation).where(
            PipelineEventRow.offer_id == offer_id, PipelineEventRow.stage == "interested"
        )
    )
    return {candidate_id: explanation for candidate_id, explanation in rows}


def send(rt: Runtime, *, principal: Principal, offer_id: str, data: ApproachIn) -> list[Approach]:
    """Approach candidates for an offer: all of them or none (the first refusal names the candidate at fault).

    Raises:
        NotFound: an offer the principal does not act for.
        Conflict: the offer is not published, an approach is already open, or the quota would be exceeded.
        InvalidInput: a candidate not visible to employers, who turned approaches off, not on the
            shortlist, named twice; a message too long.
    """
    settings = rt.settings
    words = data.message.strip()
    if len(words) > settings.approach_message_max:
        raise InvalidInput("message", f"message trop long : {settings.approach_message_max} caractères au plus")
    seen: set[str] = set()
    for i, candidate_id in enumerate(data.candidate_ids):
        if candidate_id in seen:
            raise InvalidInput(f"candidate_ids.{i}", "ce candidat est nommé deux fois")
        seen.add(candidate_id)
    # Explaining a pair found by a search runs the retrieval: done before the transaction, checked again inside.
    computed: dict[str, Explanation | None] = {}
    if data.source == Source.SEARCH:
        with rt.store.read() as session:
            tenancy.offer_row(session, principal, offer_id)
        computed = {c: explain_pair(rt, offer_id=offer_id, candidate_id=c) for c in data.candidate_ids}
    now = datetime.now(UTC)
    expires = now + timedelta(days=settings.approach_expiry_days)
    with rt.store.transaction() as session:
        offer = tenancy.offer_row(session, principal, offer_id)
        if offer.status != OfferStatus.PUBLISHED.value:
            raise Conflict("l'offre n'est pas publiée (close ou brouillon) : aucune approche n'est possible")
        used = _quota_used(session, principal.subject, now)
        if used + len(data.candidate_ids) > settings.approach_daily_quota:
            raise Conflict(
                f"quota dépassé : {used} approche(s) envoyée(s) ces dernières 24 h, {len(data.candidate_ids)} "
                f"demandée(s), {settings.approach_daily_quota} au plus"
            )
        explanations: dict[str, Any] = {}
        if data.source == Source.SHORTLIST:
            explanations = {
                c: e.get("explanation") for c, e in _shortlist_entries(session, offer_id, data.shortlist_id).items()
            }
        elif data.source == Source.INTEREST:
            explanations = _interest_explanations(session, offer_id)
        else:
            explanations = {c: e.model_dump(mode="json") for c, e in computed.items() if e is not None}
        rows = {r.id: r for r in session.scalars(select(CandidateRow).where(CandidateRow.id.in_(data.candidate_ids)))}
        closed = closed_to_approaches(session, data.candidate_ids)
        open_pairs = set(
            session.scalars(
                select(ApproachRow.candidate_id).where(
                    ApproachRow.offer_id == offer_id,
                    ApproachRow.candidate_id.in_(data.candidate_ids),
                    ApproachRow.status == Status.OPEN.value,
                )
            )
        )
        for i, candidate_id in enumerate(data.candidate_ids):
            field = f"candidate_ids.{i}"
            row = rows.get(candidate_id)
            if row is None or not tenancy.open_to_employers(row, [offer.employer_id]):
                raise InvalidInput(field, f"candidat introuvable ou non visible des employeurs : {candidate_id}")
            if candidate_id in closed:
                raise InvalidInput(field, f"ce candidat ne souhaite pas être approché : {candidate_id}")
            if candidate_id in open_pairs:
                raise Conflict(f"{field} : une approche est déjà ouverte pour ce candidat sur cette offre")
            if candidate_id not in explanations and data.source != Source.SEARCH:
                where = "la présélection" if data.source == Source.SHORTLIST else "les candidats intéressés"
                raise InvalidInput(field, f"ce candidat n'est pas dans {where} de cette offre : {candidate_id}")
        employer = session.get(EmployerRow, offer.employer_id)
        kept = session.get(ApproachTemplateRow, offer_id)
        commune = rt.geography.get(offer.commune_insee)
        place = commune.name if commune else offer.commune_insee
        sent = []
        for candidate_id in data.candidate_ids:
            approach_id = new_id("apr")
            explanation = explanations.get(candidate_id)
            approach = ApproachRow(
                id=approach_id,
                offer_id=offer_id,
                employer_id=offer.employer_id,
                candidate_id=candidate_id,
                recruiter_id=principal.subject,
                source=data.source,
                shortlist_id=data.shortlist_id,
                message=compose(
                    kept.text if kept else DEFAULT_TEMPLATE,
                    offer=offer,
                    employer=employer.name if employer else "Un employeur public",
                    place=place,
                    explanation=explanation,
                    words=words,
                    expires=expires,
                ),
                explanation=explanation,
                status=Status.OPEN.value,
                sent_at=now,
                expires_at=expires,
            )
            session.add(approach)
            session.add(
                PipelineEventRow(
                    offer_id=offer_id,
                    employer_id=offer.employer_id,
                    candidate_id=candidate_id,
                    stage="approached",
                    source=data.source,
                    actor=principal.subject,
                    approach_id=approach_id,
                    at=now,
                )
            )
            rows[candidate_id].last_contact_at = now  # an approach is a contact (retention clock)
            enqueue(session, topic=TOPIC, entity_id=approach_id, version=1, action="sent")
            # No message text in the log: the recruiter's words stay with the approach, which erasure reaches.
            audit.record(
                session,
                actor=principal.subject,
                action=APPROACH_SENT,
                subject=pseudonyms.pseudonym(session, candidate_id),  # erasure shreds its key
                payload={"approach_id": approach_id, "offer_id": offer_id, "source": data.source},
            )
            sent.append(approach)
        session.flush()
        return views(session, sent)


# --- answering --------------------------------------------------------------------------------


def _account_of(session: Session, candidate_id: str) -> AccountRow | None:
    return session.scalar(select(AccountRow).where(AccountRow.candidate_id == candidate_id).limit(1))


def _answer(session: Session, row: ApproachRow, data: AnswerIn, now: datetime) -> None:
    if row.status != Status.OPEN.value:
        raise Conflict(f"cette approche n'attend plus de réponse (état : {row.status})")
    if row.expires_at <= now:
        raise Conflict("cette approche a expiré : l'employeur ne peut plus recevoir de réponse")
    offer = session.get(OfferRow, row.offer_id)
    if offer is None or offer.status != OfferStatus.PUBLISHED.value:
        raise Conflict("l'offre est close : cette approche n'attend plus de réponse")
    account = _account_of(session, row.candidate_id)
    if data.answer == "accept":
        if not (data.share_email or data.share_phone):
            raise InvalidInput("share_email", "choisissez au moins une coordonnée à transmettre (e-mail ou téléphone)")
        phone = data.phone or preferences(session, candidate_id=row.candidate_id).phone
        if data.share_phone and not phone:
            raise InvalidInput("phone", "indiquez le numéro de téléphone à transmettre")
        if data.share_email and (account is None or not account.email):
            raise InvalidInput("share_email", "aucune adresse e-mail n'est associée à votre profil")
        row.status = Status.ACCEPTED.value
        row.shared_email = account.email if data.share_email and account else None
        row.shared_phone = phone if data.share_phone else None
        row.shared_at = now  # the consent to share, dated
    else:
        row.status, row.reason = Status.DECLINED.value, data.reason.value if data.reason else None
    row.answered_at = now
    actor = account.id if account else None
    session.add(
        PipelineEventRow(
            offer_id=row.offer_id,
            employer_id=row.employer_id,
            candidate_id=row.candidate_id,
            stage=row.status,
            source=row.source,
            actor=actor,
            reason=DECLINE_LABELS[DeclineReason(row.reason)] if row.reason else None,
            approach_id=row.id,
            at=now,
        )
    )
    enqueue(session, topic=TOPIC, entity_id=row.id, version=2, action="answered")
    audit.record(
        session,
        actor=actor,
        action=APPROACH_ANSWERED,
        subject=pseudonyms.pseudonym(session, row.candidate_id),
        payload={
            "approach_id": row.id,
            "offer_id": row.offer_id,
            "answer": row.status,
            "reason": row.reason,
            "shared": [k for k, v in (("email", row.shared_email), ("phone", row.shared_phone)) if v],
        },
    )


def answer(rt: Runtime, *, principal: Principal, approach_id: str, data: AnswerIn) -> Approach:
    """The signed-in candidate answers one of their own approaches (another's is NotFound)."""
    now = datetime.now(UTC)
    with rt.store.transaction() as session:
        row = _own(session, principal, approach_id)
        _answer(session, row, data, now)
        session.flush()
        return views(session, [row])[0]


def answer_by_link(rt: Runtime, *, approach_id: str, data: AnswerIn) -> Approach:
    """The answer through the signed e-mail link (the link is the credential; see :mod:`matcher.approach.links`)."""
    now = datetime.now(UTC)
    with rt.store.transaction() as session:
        row = session.get(ApproachRow, approach_id)
        if row is None:
            raise NotFound("approche", approach_id)
        _answer(session, row, data, now)
        session.flush()
        return views(session, [row])[0]


def withdraw_contact(rt: Runtime, *, principal: Principal, approach_id: str) -> Approach:
    """The candidate takes back the contact details an acceptance shared: the employer no longer sees them."""
    now = datetime.now(UTC)
    with rt.store.transaction() as session:
        row = _own(session, principal, approach_id)
        if row.shared_at is None or row.contact_withdrawn_at is not None:
            raise Conflict("aucune coordonnée transmise à retirer pour cette approche")
        row.shared_email = row.shared_phone = None
        row.contact_withdrawn_at = now
        audit.record(
            session,
            actor=principal.subject,
            action=CONTACT_WITHDRAWN,
            subject=pseudonyms.pseudonym(session, row.candidate_id),
            payload={"approach_id": row.id, "offer_id": row.offer_id},
        )
        session.flush()
        return views(session, [row])[0]


# --- expiry -----------------------------------------------------------------------------------


def expire(rt: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """Open approaches past their date expire (the recruiter is told); those of a closed offer are closed."""
    moment = now or datetime.now(UTC)
    counts = {"expired": 0, "closed": 0}
    with rt.store.transaction() as session:
        rows = session.execute(
            select(ApproachRow, OfferRow.status)
            .outerjoin(OfferRow, OfferRow.id == ApproachRow.offer_id)
            .where(ApproachRow.status == Status.OPEN.value)
        )
        for row, offer_status in rows:
            if offer_status != OfferStatus.PUBLISHED.value:
                row.status = Status.CLOSED.value
                counts["closed"] += 1
                continue
            if row.expires_at > moment:
                continue
            row.status = Status.EXPIRED.value
            session.add(
                PipelineEventRow(
                    offer_id=row.offer_id,
                    employer_id=row.employer_id,
                    candidate_id=row.candidate_id,
                    stage="expired",
                    source=row.source,
                    actor=None,
                    approach_id=row.id,
                    at=moment,
                )
            )
            enqueue(session, topic=TOPIC, entity_id=row.id, version=3, action="expired")
            audit.record(
                session,
                actor=None,
                action=APPROACH_EXPIRED,
                subject=pseudonyms.pseudonym(session, row.candidate_id),
                payload={"approach_id": row.id, "offer_id": row.offer_id},
            )
            counts["expired"] += 1
    return counts
