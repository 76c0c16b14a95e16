"""An occupation guess: a ROME code and how sure the guesser is (see :mod:`matcher.reference.classifier`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OccupationGuess:
    code: str
    score: float  # the classifier's probability (1.0 for a code a person gave)
    via: str  # who guessed: "modèle" (the classifier), "CV"…
