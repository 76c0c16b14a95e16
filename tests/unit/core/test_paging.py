"""Pages of a list searched by name: every word found in some name, case and accents folded."""

from matcher.core.paging import fold, page_of

NAMES = ["Commune d'Aubenas", "Commune de Privas", "Syndicat des eaux de l'Ardèche", "Département de l'Ardèche"]


def test_folding_ignores_case_and_accents() -> None:
    assert fold("DÉPARTEMENT de l'Ardèche") == "departement de l'ardeche"


def test_every_word_must_be_found_in_some_name() -> None:
    found = page_of(NAMES, query="  ARDECHE  dépar ", names=lambda n: (n,), page=1)
    assert found.items == ["Département de l'Ardèche"] and (found.total, found.page, found.pages) == (1, 1, 1)
    by_either = page_of([("rh@privas.fr", "Camille")], query="privas camille", names=lambda r: r, page=1)
    assert by_either.total == 1  # words may come from different names of the row
    nothing = page_of(NAMES, query="zzz", names=lambda n: (n,), page=3)
    assert nothing.items == [] and (nothing.total, nothing.page, nothing.pages) == (0, 1, 1)


def test_pages_cut_in_order_and_a_page_past_the_end_gives_the_last() -> None:
    rows = [f"Employeur {n:03d}" for n in range(120)]
    first = page_of(rows, query="", names=lambda n: (n,), page=1)
    assert first.items == rows[:50] and (first.total, first.pages) == (120, 3)
    assert page_of(rows, query="", names=lambda n: (n,), page=3).items == rows[100:]
    assert page_of(rows, query="", names=lambda n: (n,), page=99).page == 3
    assert page_of(rows, query="", names=lambda n: (n,), page=2, size=7).items == rows[7:14]
