"""E-mail identity: one canonical form per address, used wherever an e-mail is stored or looked up.

Two spellings that a person would read as the same address must be the same account, and an
address that only looks like another (a Cyrillic ``а`` among Latin letters) must not become one.
:func:`normalise_email` therefore removes invisible characters, applies NFKC (fullwidth letters,
ligatures, ``ſ``), case-folds, drops the domain's trailing dots and writes the domain in its ASCII
(IDNA) form; it refuses an address whose local part or any domain label mixes scripts.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from matcher.core.errors import InvalidInput

MAX_LENGTH = 254  # RFC 5321 path limit, and the accounts column

# Default-ignorable code points that are not format characters (category Cf, removed as a class):
# combining grapheme joiner, Hangul fillers, Mongolian and standard variation selectors.
_INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0]")
_FORBIDDEN = re.compile(r"[\s\"(),:;<>\[\\\]]")
# Scripts that legitimately mix with each other in one label (Japanese, Chinese, Korean writing).
_EAST_ASIAN = {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}


class InvalidEmail(ValueError):
    """Not an address we accept; the message is French, for the person who typed it."""


def _script(char: str) -> str | None:
    """The script of a letter (the first word of its Unicode name), None for anything else."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _single_script(part: str) -> bool:
    """At most one script, except East Asian scripts among themselves and with Latin."""
    scripts = {s for s in map(_script, part) if s is not None}
    if len(scripts) <= 1:
        return True
    others = scripts - _EAST_ASIAN - {"LATIN"}
    return not others and bool(scripts & _EAST_ASIAN)


def _strip_invisible(value: str) -> str:
    return _INVISIBLE.sub("", "".join(c for c in value if unicodedata.category(c) != "Cf"))


def normalise_email(value: str) -> str:
    """The canonical form of an e-mail address.

    Raises:
        InvalidEmail: not of the form ``local@domain.tld``, a control character, a domain that is
            not a valid internationalised name, mixed scripts, or longer than 254 characters.
    """
    text = _strip_invisible(value).strip()
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidEmail("caractère de contrôle interdit dans l'adresse électronique")
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    local, at, domain = text.rpartition("@")
    domain = domain.rstrip(".")
    if not at or not local or not domain or _FORBIDDEN.search(local) or "@" in local or _FORBIDDEN.search(domain):
        raise InvalidEmail("adresse électronique invalide (attendu : nom@domaine.fr)")
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise InvalidEmail("adresse électronique invalide : le domaine doit comporter un point (domaine.fr)")
    if not _single_script(local) or not all(_single_script(label) for label in labels):
        raise InvalidEmail("adresse électronique refusée : elle mêle des alphabets différents (caractères trompeurs)")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidEmail("adresse électronique invalide : nom de domaine incorrect") from None
    address = f"{local}@{ascii_domain}"
    if len(address) > MAX_LENGTH:
        raise InvalidEmail(f"adresse électronique trop longue (au plus {MAX_LENGTH} caractères)")
    return address


def parse_email(value: str, *, field: str = "email") -> str:
    """:func:`normalise_email` for an edge: a refusal is an :class:`InvalidInput` naming ``field``."""
    try:
        return normalise_email(value)
    except InvalidEmail as exc:
        raise InvalidInput(field, str(exc)) from None


Email = Annotated[str, AfterValidator(normalise_email)]
"""An e-mail address in input models, stored and compared in its canonical form (a refusal: a French
``value_error`` naming the field)."""
