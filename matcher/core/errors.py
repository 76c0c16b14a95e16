"""Errors of the matcher domain, translated to HTTP (problem+json) or CLI messages at the edges.

MatcherError
├── NotFound          an id that does not exist (or that the caller may not see)
├── InvalidInput      a value that is well-formed but wrong (unknown commune, unknown skill code…)
├── Unreadable        a body that cannot be read at all (malformed JSON, too deep, not UTF-8)
├── UnsupportedMedia  a body in a format the operation does not take (415)
├── Conflict          a write that contradicts the current state
├── Unauthenticated   no credentials, or credentials that are invalid, expired or revoked
├── Forbidden         valid credentials whose role may not use this operation
└── Erased            a person or listing erased for good (tombstone): 410 Gone
"""

from __future__ import annotations


class MatcherError(Exception):
    """Base class of every error the matcher raises on purpose."""

    title = "Erreur"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(MatcherError):
    title = "Ressource introuvable"

    def __init__(self, kind: str, identifier: str) -> None:
        super().__init__(f"{kind} {identifier!r} introuvable")
        self.kind = kind
        self.identifier = identifier


class InvalidInput(MatcherError):
    """``field`` is the dotted path of the faulty value, e.g. ``mobility.communes.0``."""

    title = "Donnée invalide"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


class Unreadable(MatcherError):
    """``field`` names the part that could not be read (``body``, ``items.2``); ``line``/``column`` count from 1."""

    title = "Corps de requête illisible"

    def __init__(self, field: str, detail: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(detail)
        self.field, self.line, self.column = field, line, column


class UnsupportedMedia(MatcherError):
    title = "Type de contenu non pris en charge"

    def __init__(self, received: str, accepted: tuple[str, ...]) -> None:
        got = received or "aucun"
        super().__init__(f"type de contenu {got!r} non pris en charge (attendu : {', '.join(accepted)})")
        self.received, self.accepted = received, accepted


class Conflict(MatcherError):
    """``field``, when one value is the cause (an e-mail or a profile already taken)."""

    title = "Conflit"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Unauthenticated(MatcherError):
    title = "Authentification requise"


class Forbidden(MatcherError):
    title = "Accès refusé"


class Erased(MatcherError):
    """The person or listing was erased (GDPR art. 17): no write may bring it back."""

    title = "Donnée effacée"

    def __init__(self, kind: str) -> None:
        super().__init__(f"ce {kind} a été effacé à la demande de la personne ou au terme de sa durée de conservation")
        self.kind = kind
