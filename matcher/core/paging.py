"""Pages of a list searched by name, as the admin tables show them.

A search matches when its words appear in one of a row's names, case and accents folded ("aubénas"
finds "Commune d'Aubenas"). Folding accents the same way on SQLite and PostgreSQL would need an
extension, so the use cases filter their rows here: fine for the hundreds to few thousands of rows
an admin table holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from indices.analysis import fold as without_accents

T = TypeVar("T")
PAGE_SIZE = 50  # rows per page of an admin table


def fold(text: str) -> str:
    """Case and accents folded, for searching names as people type them."""
    return without_accents(text.casefold())


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of the rows a search found: ``page`` lies in 1..``pages`` (at least one, even when empty)."""

    items: list[T]
    total: int
    page: int
    pages: int


def page_of(
    rows: Sequence[T], *, query: str, names: Callable[[T], Iterable[str]], page: int, size: int = PAGE_SIZE
) -> Page[T]:
    """The rows whose names hold every word of ``query`` (all rows without one), page ``page`` of them.

    A page past the last one gives the last one.
    """
    words = fold(query).split()
    found = [r for r in rows if all(any(w in fold(n) for n in names(r)) for w in words)] if words else list(rows)
    pages = max(1, -(-len(found) // size))
    page = min(max(page, 1), pages)
    return Page(found[(page - 1) * size : page * size], len(found), page, pages)
