"""Reference checks shared by every write: a wrong code or commune is refused with the field at fault."""

from __future__ import annotations

from matcher.core.errors import InvalidInput
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import Taxonomy


def check_skills(taxonomy: Taxonomy, field: str, codes: list[str]) -> None:
    for position, code in enumerate(codes):
        if code not in taxonomy.skills:
            raise InvalidInput(f"{field}.{position}", f"compétence ROME inconnue : {code}")


def check_rome(taxonomy: Taxonomy, field: str, code: str | None) -> None:
    if code is not None and taxonomy.occupation(code) is None:
        raise InvalidInput(field, f"code ROME inconnu : {code}")


def check_commune(geography: Geography, field: str, insee: str) -> None:
    if geography.get(insee) is None:
        raise InvalidInput(field, f"commune inconnue (code INSEE {insee})")
