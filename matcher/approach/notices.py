"""What follows an approach's outbox row: the e-mail (candidate or recruiter) and the employer's webhook.

``sent``: the candidate gets the message and a signed one-click answer link. ``answered`` and
``expired``: the recruiter gets an e-mail (without the shared contact: that is read signed in, on
the pipeline page), and the employer's webhook a signed ``approach.answered`` / ``approach.expired``
event naming ids and the answer only. An approach erased since owes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from matcher.approach import links
from matcher.approach.approaches import DECLINE_LABELS, DeclineReason, Status
from matcher.notify import deliveries
from matcher.notify.senders import Message, Sender, approach_key, sender_from_settings
from matcher.store.tables import AccountRow, ApproachRow, CandidateRow, EmployerRow, OfferRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

ANSWERED = "approach.answered"
EXPIRED = "approach.expired"


@dataclass(frozen=True)
class Notice:
    mail: Message | None
    delivery: str | None  # the webhook delivery owed (None: the employer has no webhook)


def prepare(rt: Runtime, *, approach_id: str, action: str) -> Notice:
    """Write the webhook delivery owed (in its own transaction) and build the e-mail to send."""
    settings = rt.settings
    with rt.store.transaction() as session:
        row = session.get(ApproachRow, approach_id)
        if row is None:
            return Notice(None, None)
        offer = session.get(OfferRow, row.offer_id)
        employer = session.get(EmployerRow, row.employer_id)
        title = offer.title if offer else "offre"
        employer_name = employer.name if employer else "un employeur public"
        if action == "sent":
            if row.status != Status.OPEN.value:
                return Notice(None, None)  # answered or closed before the mail went: nothing to ask any more
            account = session.query(AccountRow).filter(AccountRow.candidate_id == row.candidate_id).first()
            if account is None or account.disabled:
                return Notice(None, None)  # no account to write to: the approach waits in their space
            text = (
                f"{row.message}\n\n"
                f"Répondre en un clic (lien personnel, valable jusqu'au {row.expires_at:%d/%m/%Y}) :\n"
                f"{links.answer_url(settings, row.id)}\n\n"
                f"Ou depuis votre espace : {settings.public_url.rstrip('/')}/candidat/approches"
            )
            subject = f"{employer_name} vous propose un poste : {title}"
            return Notice(Message(key=approach_key(row.id, "sent"), to=account.email, subject=subject, text=text), None)
        recruiter = session.get(AccountRow, row.recruiter_id)
        candidate = session.get(CandidateRow, row.candidate_id)
        who = candidate.display_name if candidate else "Le candidat"
        event = EXPIRED if action == "expired" else ANSWERED
        delivery = deliveries.owe_event(
            session,
            employer_id=row.employer_id,
            event=event,
            subject_id=row.id,
            payload={
                "approach_id": row.id,
                "offer_id": row.offer_id,
                "candidate_id": row.candidate_id,
                "status": row.status,
                "reason": row.reason,
                "answered_at": row.answered_at.isoformat() if row.answered_at else None,
            },
        )
        if recruiter is None or recruiter.disabled:
            return Notice(None, delivery)
        if row.status == Status.ACCEPTED.value:
            outcome = "a accepté votre approche et vous transmet ses coordonnées"
        elif row.status == Status.DECLINED.value:
            why = f" (motif : {DECLINE_LABELS[DeclineReason(row.reason)].lower()})" if row.reason else ""
            outcome = f"a décliné votre approche{why}"
        else:
            outcome = "n'a pas répondu : l'approche a expiré"
        text = (
            f"{who} {outcome} pour l'offre « {title} ».\n\n"
            f"Vivier de l'offre : {settings.public_url.rstrip('/')}/offres/{row.offer_id}/vivier"
        )
        subject = f"Réponse à votre approche : {title}"
        message = Message(key=approach_key(row.id, action), to=recruiter.email, subject=subject, text=text)
        return Notice(message, delivery)


def send(rt: Runtime, notice: Notice, sender: Sender | None = None) -> None:
    """Send the e-mail (raises on a transient failure: the task is retried)."""
    if notice.mail is not None:
        (sender or sender_from_settings(rt.settings)).send(notice.mail)
