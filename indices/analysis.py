"""French text analysis shared by every backend.

Lowercase, elision (l', d', qu'…), stop words, accent folding, then Snowball French stemming.
Folding first makes "comptabilité" and "comptabilite" (as people type it) the same term.
Elasticsearch receives the tokens produced here (whitespace analyzer), so both backends score
exactly the same terms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ELISION = re.compile(r"\b(?:l|m|t|qu|n|s|j|d|c|jusqu|quoiqu|lorsqu|puisqu)['’]", re.IGNORECASE)

STOP_WORDS = frozenset(
    [
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "même",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "d",
        "j",
        "l",
        "à",
        "m",
        "n",
        "s",
        "t",
        "y",
        "été",
        "étée",
        "étées",
        "étés",
        "étant",
        "suis",
        "es",
        "est",
        "sommes",
        "êtes",
        "sont",
        "serai",
        "sera",
        "serons",
        "seront",
        "ai",
        "as",
        "avons",
        "avez",
        "ont",
        "aura",
        "avait",
        "être",
        "avoir",
        "fait",
        "faire",
        "cette",
        "cet",
        "afin",
        "ainsi",
        "dont",
        "ni",
        "si",
        "très",
        "tout",
        "tous",
        "toute",
        "toutes",
        "h",
        "f",
        "hf",
    ]
)

_stemmer = snowballstemmer.stemmer("french")

# Bump when analyze() changes: indexes built with another version re-analyse their texts.
ANALYZER_VERSION = 2


def fold(text: str) -> str:
    """Remove diacritics: 'Équipe' -> 'Equipe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_FOLDED_STOP_WORDS = frozenset(fold(w) for w in STOP_WORDS)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def analyze(text: str) -> list[str]:
    """Turn French text into index terms."""
    text = fold(_ELISION.sub(" ", text.lower()))
    return [_stem(w) for w in _TOKEN.findall(text) if w not in _FOLDED_STOP_WORDS and len(w) > 1]
