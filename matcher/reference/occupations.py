"""Which ROME occupation a text is about: job-title dictionary first, then hybrid search over titles.

1. The title, normalised (case, accents, 'H/F', gendered forms), is looked up among the 13,120 ROME
   job titles; the longest leading run of words that names a title also counts ("Jardinier
   polyvalent des espaces verts" → "Jardinier").
2. Otherwise, and to rank alternatives, the 13,120 titles are an index of their own: BM25 with the
   French analysis plus embedding nearest neighbours, fused by reciprocal rank; the occupations of
   the best titles are the guesses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indices.embedded import EmbeddedBackend
from indices.hybrid import hybrid_search
from indices.protocol import Document
from matcher.embedding.protocol import Embedder
from matcher.reference.files import normalize_label
from matcher.reference.taxonomy import Taxonomy

TITLES = "job_titles"


@dataclass(frozen=True)
class OccupationGuess:
    code: str
    score: float
    via: str  # "dictionnaire" | "recherche"


class OccupationInferer:
    """Guesses ROME codes for free-text titles. Build once per process (it embeds the ROME titles)."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self._index: tuple[EmbeddedBackend, list[str]] | None = None

    def _titles(self) -> tuple[EmbeddedBackend, list[str]]:
        """The ROME titles index, built on first use (embedding 14,700 short labels once)."""
        if self._index is None:
            titles = list(self.taxonomy.job_titles.values())
            labels = [t.label for t in titles] + [o.label for o in self.taxonomy.occupations.values()]
            codes = [t.rome for t in titles] + list(self.taxonomy.occupations)
            backend = EmbeddedBackend()
            backend.ensure_index(TITLES, dims=self.embedder.dims)
            backend.upsert(
                TITLES,
                [
                    Document(id=str(i), version=1, text=label, vector=vector)
                    for i, (label, vector) in enumerate(zip(labels, self.embedder.embed(labels), strict=True))
                ],
            )
            self._index = (backend, codes)
        return self._index

    def dictionary(self, title: str) -> str | None:
        """ROME code of the title, or of its longest leading words that form a ROME job title."""
        words = normalize_label(title).split()
        for end in range(len(words), 0, -1):
            code = self.taxonomy.rome_for_title(" ".join(words[:end]))
            if code:
                return code
        return None

    def infer(self, title: str, context: str = "", *, k: int = 3) -> list[OccupationGuess]:
        """Up to ``k`` distinct occupations, best first (``context``: e.g. the start of a description)."""
        return self.infer_many([title], [context], k=k)[0]

    def infer_many(
        self, titles: Sequence[str], contexts: Sequence[str] | None = None, *, k: int = 3
    ) -> list[list[OccupationGuess]]:
        contexts = contexts or [""] * len(titles)
        backend, codes = self._titles()
        vectors = self.embedder.embed([f"{t}. {c}".strip(". ") for t, c in zip(titles, contexts, strict=True)])
        out = []
        for title, vector in zip(titles, vectors, strict=True):
            guesses: dict[str, OccupationGuess] = {}
            exact = self.dictionary(title)
            if exact:
                guesses[exact] = OccupationGuess(exact, 1.0, "dictionnaire")
            for hit in hybrid_search(backend, TITLES, text=title, vector=vector, k=30, depth=50):
                code = codes[int(hit.id)]
                if code not in guesses:
                    guesses[code] = OccupationGuess(code, hit.score, "recherche")
                if len(guesses) >= k:
                    break
            out.append(list(guesses.values())[:k])
        return out
