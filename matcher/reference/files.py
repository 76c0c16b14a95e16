"""Reading the compact reference files shipped in ``data/``."""

from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from indices.analysis import fold

_NOISE = re.compile(r"\b[hf]\s*/\s*[hf]\b|\([^)]*\)|[^\w]+")
# Feminine endings written inline, "Assistant.e", "administratif.ve", "Directeur/trice", "agent·e", or in brackets,
# "Agent(e)", "Directeur (trice)", "Chef (fe)". Matched before accents are folded, so that a place's "-Ré" or "-Né"
# ("Ars-en-Ré") is no "-re" or "-ne"; a hyphen after the ending makes it a word of a compound name ("Lons-le-Saunier").
_ENDINGS = r"(?:e|es|s|ve|ive|trice|rice|euse|[eè]re|i[eè]re|ne|nne|le|se|fe|re)"
_INLINE_FEMININE = re.compile(rf"(?<=\w)(?:[.·/-]{_ENDINGS}\b(?!-)|\s?\({_ENDINGS}\))", re.IGNORECASE)


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def normalize_label(text: str) -> str:
    """Key for label lookups: lower case, no accents, no gender mark ('H/F', 'Agent(e)'), single spaces."""
    text = fold(_INLINE_FEMININE.sub("", unicodedata.normalize("NFC", text.lower())))
    return " ".join(_NOISE.sub(" ", text).split())
