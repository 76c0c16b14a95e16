"""French text analysis shared by every backend.

Inclusive spellings reduced to the masculine form ("Agent·e", "Jardinier(ère)", "Directeur/trice",
"Jardinier / Jardinière" -> one word), lowercase, elision (l', d', qu'…), stop words, accent folding,
feminine job-title words to their masculine form, then Snowball French stemming. Folding first makes
"comptabilité" and "comptabilite" (as people type it) the same term; the gender steps make "Jardinière",
"Jardinier·ère" and "Jardinier" the same term, so that a person's sex, as their job title states it,
never changes a score.
Elasticsearch receives the tokens produced here (whitespace analyzer), so both backends score
exactly the same terms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

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

# A Snowball stemmer keeps the word being stemmed in itself: one shared by threads (the API's worker
# threads) mixes their words up and fails (IndexError). One per thread.
_stemmers = threading.local()


def _stemmer() -> Any:
    stemmer = getattr(_stemmers, "french", None)
    if stemmer is None:
        stemmer = _stemmers.french = snowballstemmer.stemmer("french")
    return stemmer


# Bump when analyze() changes: indexes built with another version re-analyse their texts.
ANALYZER_VERSION = 4
LEXICON = Path(__file__).parent / "lexicon" / "feminine-fr.tsv"  # from ROME job titles


def fold(text: str) -> str:
    """Remove diacritics: 'Équipe' -> 'Equipe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_FOLDED_STOP_WORDS = frozenset(fold(w) for w in STOP_WORDS)


@cache
def feminine_forms() -> dict[str, str]:
    """Feminine job-title word (lowercase, accented) -> its masculine form."""
    lines = LEXICON.read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t") for line in lines if line and not line.startswith("#"))


@cache
def _folded_forms() -> dict[str, str]:
    return {fold(f): fold(m) for f, m in feminine_forms().items()}


def _masculine(word: str, forms: dict[str, str]) -> str:
    if word in forms:
        return forms[word]
    if word.endswith("s") and word[:-1] in forms:  # plural: "jardinières" -> "jardiniers"
        return forms[word[:-1]] + "s"
    return word


# A feminine ending written inline after the masculine word: "Agent·e", "Agent.e.s", "Directeur/trice",
# "Jardinier-ère", "Jardinier(ère)", "Technicien(ne)".
_ENDING = r"(?:e|es|ve|ves|ive|ives|trices?|rices?|euses?|ères?|eres?|ne|nnes?|le|lles?|fe|tte)"
_INLINE_FEMININE = re.compile(
    rf"(?<=\w)(?:[.·•‧∙⋅/-]{_ENDING}(?:[.·•‧∙⋅]s)?|\({_ENDING}\)|\(s\))(?![\w-])", re.IGNORECASE
)
# Both forms written out: "Jardinier / Jardinière", "Animatrice/Animateur".
_BOTH_FORMS = re.compile(r"\b([^\W\d_]+)\s*/\s*([^\W\d_]+)\b")


def _one_form(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    forms = feminine_forms()
    if _masculine(second.lower(), forms) == first.lower():
        return first
    if _masculine(first.lower(), forms) == second.lower():
        return second
    return match.group(0)


def inclusive_to_masculine(text: str) -> str:
    """Inclusive spellings of a job word reduced to its masculine form ("Agent·e" -> "Agent").

    So that writing a title in inclusive form, in both forms or in the masculine never changes a score.
    """
    text = _INLINE_FEMININE.sub("", text)
    return _BOTH_FORMS.sub(_one_form, text) if "/" in text else text  # no slash, no "A / B" to look for


def masculine(text: str) -> str:
    """The text with feminine job-title words in their masculine form ("Cheffe de projet" -> "Chef de projet").

    For text that a model reads as it is (embeddings), so that it sees the same words for everyone.
    """
    forms = feminine_forms()
    text = inclusive_to_masculine(text)

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        found = _masculine(word.lower(), forms)
        if found == word.lower():
            return word
        return found.capitalize() if word[0].isupper() else found

    return _TOKEN.sub(swap, text)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(_masculine(word, _folded_forms())))


def analyze(text: str) -> list[str]:
    """Turn French text into index terms."""
    text = fold(_ELISION.sub(" ", inclusive_to_masculine(text).lower()))
    return [_stem(w) for w in _TOKEN.findall(text) if w not in _FOLDED_STOP_WORDS and len(w) > 1]
