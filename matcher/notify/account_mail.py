"""The e-mails of an account's holder: confirm the address, choose a new password, "you already have an account".

Written from an ``account`` outbox row when its task runs (:func:`matcher.access.signup.mail_owed`
says what is still owed), in French, with the link the person follows. No link is ever logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from matcher.access.signup import Mail, mail_owed
from matcher.notify.senders import Message, Sender, account_mail_key, sender_from_settings

if TYPE_CHECKING:
    from matcher.runtime import Runtime

PARIS = ZoneInfo("Europe/Paris")
_IGNORE = "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne change sans vous."


def _paris(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if moment else ""


def prepare(rt: Runtime, *, row_id: int, entity_id: str, action: str, now: datetime | None = None) -> Message | None:
    """The message an ``account`` outbox row owes, or None when nothing is owed any more."""
    owed = mail_owed(rt, entity_id=entity_id, action=action, now=now)
    if owed is None:
        return None
    site = rt.settings.public_url.rstrip("/")
    if owed.kind is Mail.VERIFY:
        subject = "Confirmez votre adresse pour activer votre compte Approche directe"
        text = (
            "Bonjour,\n\n"
            "Vous avez demandé à créer un compte de candidat sur Approche directe. Pour l'activer, confirmez "
            f"votre adresse en ouvrant ce lien (valable jusqu'au {_paris(owed.expires_at)}, heure de Paris) :\n"
            f"{owed.link}\n\n"
            "Vous pourrez ensuite vous connecter, créer votre profil et voir les offres qui vous correspondent.\n\n"
            f"{_IGNORE} Sans confirmation, la demande est effacée au bout de "
            f"{rt.settings.unverified_account_days} jours."
        )
    elif owed.kind is Mail.RESET:
        subject = "Choisir un nouveau mot de passe — Approche directe"
        text = (
            "Bonjour,\n\n"
            "Vous avez demandé à choisir un nouveau mot de passe. Ouvrez ce lien (il ne sert qu'une fois, "
            f"jusqu'au {_paris(owed.expires_at)}, heure de Paris) :\n"
            f"{owed.link}\n\n"
            "Une fois le mot de passe changé, vos sessions ouvertes prennent fin.\n\n"
            f"{_IGNORE} Votre mot de passe actuel reste valable."
        )
    else:
        subject = "Vous avez déjà un compte Approche directe"
        text = (
            "Bonjour,\n\n"
            "Quelqu'un, sans doute vous, a demandé à créer un compte avec cette adresse. Elle a déjà un compte : "
            f"connectez-vous sur {site}/connexion.\n"
            f"Mot de passe oublié ? Choisissez-en un nouveau sur {site}/mot-de-passe/oublie\n\n"
            f"{_IGNORE}"
        )
    return Message(key=account_mail_key(action, entity_id, row_id), to=owed.to, subject=subject, text=text)


def send(rt: Runtime, message: Message | None, sender: Sender | None = None) -> None:
    """Send the e-mail (raises on a transient failure: the task is retried)."""
    if message is not None:
        (sender or sender_from_settings(rt.settings)).send(message)
