"""Reading JSON bodies (a document, or JSON lines): errors name the line, the column and the item at fault."""

from __future__ import annotations

import json
from typing import Any

from matcher.core.errors import Unreadable

MAX_DEPTH = 64  # far beyond any offer or profile; deeper bodies are refused before anything walks them

_JSON_MESSAGES = {
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendus",
    "Expecting property name enclosed in double quotes": "nom de propriété entre guillemets attendu",
    "Unterminated string starting at": "chaîne non terminée",
    "Invalid control character at": "caractère de contrôle non échappé",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence \\uXXXX invalide",
    "Extra data": "données après la fin du document",
}


def json_error_message(msg: str) -> str:
    """French for a message of Python's JSON decoder (``JSONDecodeError.msg``)."""
    return _JSON_MESSAGES.get(msg, "JSON invalide")


def position(doc: str, pos: int) -> tuple[int, int]:
    """(line, column) of character ``pos`` in ``doc``, both counted from 1."""
    line = doc.count("\n", 0, pos) + 1
    return line, pos - (doc.rfind("\n", 0, pos) + 1) + 1


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = position(body[: exc.start].decode("utf-8", "replace"), exc.start)
        raise Unreadable(
            "body", f"le corps n'est pas en UTF-8 (ligne {line}, colonne {column})", line=line, column=column
        ) from None


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _skip_space(doc: str, i: int) -> int:
    while i < len(doc) and doc[i] in " \t\r\n":
        i += 1
    return i


def array_item_at(doc: str, pos: int) -> int | None:
    """The index of the top-level array element where ``pos`` falls (None when ``doc`` is no array)."""
    decoder = json.JSONDecoder()
    i = _skip_space(doc, 0)
    if not doc.startswith("[", i):
        return None
    i, index = i + 1, 0
    while True:
        i = _skip_space(doc, i)
        if i >= pos:
            return index
        try:
            _, end = decoder.raw_decode(doc, i)
        except (json.JSONDecodeError, RecursionError):
            return index
        i = _skip_space(doc, end)
        if i >= pos or not doc.startswith(",", i):
            return index
        i, index = i + 1, index + 1


def load_json(body: bytes, *, items: str = "items") -> Any:
    """One JSON document. An error inside a top-level array names its element (``items.3``)."""
    doc = _decode(body)
    try:
        value = json.loads(doc)
    except json.JSONDecodeError as exc:
        item = array_item_at(doc, exc.pos)
        field = f"{items}.{item}" if item is not None else "body"
        where = f"ligne {exc.lineno}, colonne {exc.colno}" + (f", élément {item}" if item is not None else "")
        raise Unreadable(
            field, f"JSON illisible ({where}) : {json_error_message(exc.msg)}", line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise Unreadable("body", f"structure trop profondément imbriquée (au plus {MAX_DEPTH} niveaux)") from None
    if _too_deep(value):
        raise Unreadable("body", f"structure trop profondément imbriquée (au plus {MAX_DEPTH} niveaux)")
    return value


def load_json_lines(body: bytes, *, items: str = "items") -> list[Any]:
    """JSON lines: one document per non-blank line. An error names its line and its item (``items.2``)."""
    out: list[Any] = []
    for number, line in enumerate(_decode(body).splitlines(), start=1):
        if not line.strip():
            continue
        field = f"{items}.{len(out)}"
        try:
            value = json.loads(line)
            deep = _too_deep(value)
        except json.JSONDecodeError as exc:
            raise Unreadable(
                field,
                f"JSON illisible (ligne {number}, colonne {exc.colno}, élément {len(out)}) : "
                f"{json_error_message(exc.msg)}",
                line=number,
                column=exc.colno,
            ) from None
        except RecursionError:
            deep = True
        if deep:
            raise Unreadable(
                field,
                f"structure trop profondément imbriquée (ligne {number}, au plus {MAX_DEPTH} niveaux)",
                line=number,
            )
        out.append(value)
    return out
