"""Whether a text is written in French: the reference data (ROME, French ESCO labels) only reads French.

An occupation inferred from an English title by French character n-grams, or a French skill label found
in an English sentence by a shared word, is noise that the ranking would weigh as evidence. The test
counts function words that only one language uses (articles, prepositions, pronouns): these are frequent
in any sentence and say nothing about the subject. A text too short to tell (a bare job title) counts as
French, the service's language.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Function words of one language only (none shared with French, e.g. no "de", "la", "en", "que").
_FRENCH = frozenset(
    [
        *("le", "les", "des", "du", "et", "une", "pour", "avec", "dans", "sur", "au", "aux", "vous", "nous"),
        *("est", "sont", "qui", "cette", "ces", "ses", "leur", "leurs", "pas", "votre", "vos", "notre", "nos"),
        *("être", "sera", "êtes", "ont"),
    ]
)
# ("on", "an", "or", "il", "son" are French words too: left out.)
_OTHERS = {
    "en": frozenset(
        [
            *("the", "and", "of", "to", "for", "with", "is", "are", "you", "we", "our", "your", "be", "this"),
            *("that", "will", "from", "have", "has", "at"),
        ]
    ),
    "es": frozenset(["el", "los", "las", "y", "con", "para", "del", "por", "una", "su", "sus", "nuestro", "como"]),
    "de": frozenset(["der", "die", "das", "und", "mit", "für", "ist", "sind", "wir", "sie", "dem", "auf"]),
    "it": frozenset(["gli", "della", "delle", "e", "con", "per", "sono", "una", "nostro", "nostra", "che", "questo"]),
}
MIN_MARKERS = 3  # fewer function words of any language than this: too short to tell


def is_french(text: str) -> bool:
    """True unless the text's function words are clearly another language's (short texts count as French)."""
    words = [w.lower() for w in _WORD.findall(text[:3000])]
    french = sum(w in _FRENCH for w in words)
    other = max(sum(w in markers for w in words) for markers in _OTHERS.values())
    if french + other < MIN_MARKERS:
        return True
    return french >= other
