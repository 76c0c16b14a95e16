"""Validation errors in the callers' language: pydantic's English messages translated to French, field paths.

One shape for every field path, on every route and in every per-item report: dotted, list positions
as numbers (``mobility.communes.1``, ``items.3.offer.title``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import ErrorDetails

# pydantic error type -> French template; ``{name}`` is filled from the error's context.
_FRENCH: dict[str, str] = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_type": "une chaîne de caractères est attendue",
    "string_too_short": "au moins {min_length} caractère(s)",
    "string_too_long": "au plus {max_length} caractères",
    "string_pattern_mismatch": "format invalide",
    "string_unicode": "texte Unicode invalide",
    "int_type": "un nombre entier est attendu",
    "int_parsing": "un nombre entier est attendu",
    "int_parsing_size": "nombre entier trop grand",
    "int_from_float": "un nombre entier est attendu (sans décimale)",
    "float_type": "un nombre est attendu",
    "float_parsing": "un nombre est attendu",
    "finite_number": "un nombre fini est attendu",
    "decimal_type": "un nombre est attendu",
    "decimal_parsing": "un nombre est attendu",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than": "doit être inférieur à {lt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "bool_type": "un booléen (true ou false) est attendu",
    "bool_parsing": "un booléen (true ou false) est attendu",
    "enum": "valeur non admise (valeurs possibles : {expected})",
    "literal_error": "valeur non admise (valeurs possibles : {expected})",
    "list_type": "une liste est attendue",
    "tuple_type": "une liste est attendue",
    "set_type": "une liste est attendue",
    "too_short": "au moins {min_length} élément(s)",
    "too_long": "au plus {max_length} éléments",
    "dict_type": "un objet JSON est attendu",
    "model_type": "un objet JSON est attendu",
    "model_attributes_type": "un objet JSON est attendu",
    "date_type": "une date est attendue (AAAA-MM-JJ)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_inexact": "une date sans heure est attendue",
    "datetime_type": "une date et heure est attendue (ISO 8601)",
    "datetime_parsing": "date et heure invalides (ISO 8601 attendu)",
    "datetime_from_date_parsing": "date et heure invalides (ISO 8601 attendu)",
    "timezone_aware": "le fuseau horaire est obligatoire",
    "url_type": "une adresse URL est attendue",
    "url_parsing": "adresse URL invalide",
    "url_scheme": "schéma d'adresse non admis (attendu : {expected_schemes})",
    "url_too_long": "adresse URL trop longue (au plus {max_length} caractères)",
    "uuid_type": "un identifiant UUID est attendu",
    "uuid_parsing": "identifiant UUID invalide",
    "json_invalid": "JSON illisible",
    "json_type": "du JSON est attendu",
    "recursion_loop": "structure trop profondément imbriquée",
    "bytes_type": "des octets sont attendus",
    "union_tag_invalid": "type d'objet inconnu",
    "union_tag_not_found": "type d'objet non précisé",
    "is_instance_of": "type de valeur invalide",
}


def _value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.replace(" or ", " ou ")  # pydantic's lists of choices: "'a', 'b' or 'c'"
    return str(value)


def french(error: ErrorDetails | Mapping[str, Any]) -> str:
    """The French message of one pydantic error, with its constraint values filled in."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        # Our validators raise French messages; pydantic prefixes them with "Value error, ".
        cause = ctx.get("error")
        return str(cause) if cause is not None else str(error.get("msg", "valeur invalide"))
    template = _FRENCH.get(kind)
    if template is None:
        return "valeur invalide"
    try:
        return template.format(**{key: _value(value) for key, value in ctx.items()})
    except (KeyError, IndexError):
        return template.split(" (")[0].split(" {")[0]


def field_path(location: Iterable[Any], *, prefix: str = "") -> str:
    """A dotted field path; the request part a location starts with (body, query…) is left out."""
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]  # only the first: a field may well be named "query"
    path = ".".join(parts)
    return f"{prefix}.{path}" if prefix and path else (prefix or path)
