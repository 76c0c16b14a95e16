"""Reading the compact reference files shipped in ``data/``."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from indices.analysis import fold

_NOISE = re.compile(r"\b[hf]\s*/\s*[hf]\b|\([^)]*\)|[^\w]+")
# Feminine endings written inline: "Assistant.e", "administratif.ve", "Directeur/trice", "agent·e".
_INLINE_FEMININE = re.compile(r"(?<=\w)[.·/-](?:e|es|ve|ive|trice|rice|euse|ne|le|se|fe|re)\b", re.IGNORECASE)


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def normalize_label(text: str) -> str:
    """Key for label lookups: lower case, no accents, no 'H/F', single spaces."""
    text = _INLINE_FEMININE.sub("", fold(text.lower()))
    return " ".join(_NOISE.sub(" ", text).split())
