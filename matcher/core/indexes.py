"""The names of the two search indices (aliases); every backend and every reader uses these."""

OFFERS = "offers"
CANDIDATES = "candidates"
