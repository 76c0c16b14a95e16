"""Control characters in what callers send: refused in every text field of every input model.

A NUL byte, an escape sequence or a C1 control has no place in a title, a name or a description: it
breaks exports, logs and the search engine, or hides text from the person reading it. Free text may
hold line breaks and tabs (a carriage return is folded into a line feed, as browsers send CRLF);
single-line fields (marked :data:`ONE_LINE`, e.g. ``Text``) may not. :class:`matcher.core.models.Strict`
applies this to every field, lists included.
"""

from __future__ import annotations

import re
import typing
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel


class _OneLine:
    """Marker in an ``Annotated`` string type: no line breaks or tabs either."""

    def __repr__(self) -> str:
        return "ONE_LINE"


ONE_LINE = _OneLine()
# Validation context key: what is read back from the store is not judged again (a row written before
# this rule stays readable; no new one can hold a control character).
STORED = "stored"

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # \t and \n allowed


class ControlCharacter(ValueError):
    """The French message names the character, so the person can find it."""


def _checked(text: str, *, one_line: bool) -> str:
    if not one_line:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = (_ANY_CONTROL if one_line else _CONTROL_BUT_LINES).search(text)
    if found is not None:
        where = f"U+{ord(found.group()):04X}, position {found.start() + 1}"
        if found.group() in "\t\n\r":
            raise ControlCharacter(f"saut de ligne ou tabulation interdit dans ce champ d'une ligne ({where})")
        raise ControlCharacter(f"caractère de contrôle interdit ({where})")
    return text


def clean(value: Any, *, one_line: bool) -> Any:
    """``value`` with its strings checked (line breaks normalised), walking lists and tuples.

    Raises:
        ControlCharacter: a control character (C0, DEL, C1), or a line break or tab where ``one_line``.
    """
    if isinstance(value, Enum):  # a StrEnum is a str, already one of its allowed values
        return value
    if isinstance(value, str):
        return _checked(value, one_line=one_line)
    if isinstance(value, list):
        return [clean(v, one_line=one_line) for v in value]
    if isinstance(value, tuple):
        return tuple(clean(v, one_line=one_line) for v in value)
    # Numbers, dates, enums; nested models check themselves; a raw mapping (a partner's offer before it
    # becomes an OfferIn) is checked by the model it becomes, which names the field exactly.
    return value


def _marked(annotation: Any) -> bool:
    if any(m is ONE_LINE for m in getattr(annotation, "__metadata__", ())):
        return True
    return any(_marked(arg) for arg in typing.get_args(annotation))


@cache
def is_one_line(model: type[BaseModel], field: str) -> bool:
    """Whether a model's field is single-line (marked in its type, or in the metadata pydantic lifted out)."""
    info = model.model_fields[field]
    return any(m is ONE_LINE for m in info.metadata) or _marked(info.annotation)
