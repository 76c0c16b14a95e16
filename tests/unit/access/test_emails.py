"""E-mail identity: every spelling a person reads as one address is one address; lookalikes are refused."""

from __future__ import annotations

import pytest

from matcher.access.emails import InvalidEmail, normalise_email


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Camille@Example.FR", "camille@example.fr"),
        ("ｃａｍｉｌｌｅ＠ｅｘａｍｐｌｅ．ｆｒ", "camille@example.fr"),  # fullwidth
        ("ca\u200bmi\u200dlle\ufeff@exa\u00admple.fr", "camille@example.fr"),  # zero-width, BOM, soft hyphen
        ("camille@example.fr.", "camille@example.fr"),  # trailing dot of a fully qualified name
        ("camille@example.fr..", "camille@example.fr"),
        ("ſam@example.fr", "sam@example.fr"),  # long s
        ("eﬀe@example.fr", "effe@example.fr"),  # ligature
        ("  jean@exämple.fr ", "jean@xn--exmple-cua.fr"),  # IDNA: the domain in its ASCII form
        ("jean@EXÄMPLE.fr", "jean@xn--exmple-cua.fr"),
        ("иван@example.fr", "иван@example.fr"),  # one script per part is fine
        ("山田たろう@example.jp", "山田たろう@example.jp"),  # Japanese mixes its own scripts
    ],
)
def test_spellings_of_one_address_are_one_address(typed: str, canonical: str) -> None:
    assert normalise_email(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "cаmille@example.fr",  # Cyrillic а among Latin letters
        "camille@exаmple.fr",  # in the domain
        "camille@example.fr\x00",  # control character
        "camille",
        "camille@",
        "@example.fr",
        "camille@localhost",
        "cam ille@example.fr",
        "camille@exa..mple.fr",
        "a@b@example.fr",
        "x" * 250 + "@example.fr",
    ],
)
def test_lookalikes_and_malformed_addresses_are_refused(typed: str) -> None:
    with pytest.raises(InvalidEmail):
        normalise_email(typed)
