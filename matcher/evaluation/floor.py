"""Where candidate search says "nothing": its relevance floor, calibrated on a benchmark's labels.

Candidate search with words shows a profile when its words match it (BM25) or when the profile's vector is
at least ``search_min_cosine`` similar to the words'. This measures, for each candidate floor, the
precision of what the first page would show: each benchmark offer's title is typed as a recruiter would,
the profiles whose mobility area covers the workplace are searched as the service searches them (same
indexed text, same hybrid retrieval, first page of ``page_size``), and a profile counts as relevant when
the benchmark labels it so (built-in: code-derived, same ROME occupation or a mobility neighbour).

Profiles found by their words are shown whatever the floor; the floor only decides which profiles no word
matched are shown too. It is chosen as the lowest at which those are right at least ``share`` (one half) as
often as the profiles the words found, at that floor and every higher one: below it, the search would rather
say nothing. The level is relative to the words' precision so that it follows how strict the labels are.

The public job board applies the same floor to offers: :func:`board_pages` measures it the other way round, each
labelled profile's title typed as a seeker would, among the offers whose workplace lies in its mobility area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from indices.embedded import EmbeddedBackend
from indices.hybrid import hybrid_search
from indices.protocol import Document, Filter, GeoDistance, WithinReach
from matcher.core.progress import Progress
from matcher.evaluation.benchmark import Benchmark, structured_candidate, structured_offer
from matcher.indexing.documents import offer_text, offer_vectors

if TYPE_CHECKING:
    from matcher.runtime import Runtime

CORPUS = "corpus"
PAGE_SIZE = 20  # a page of candidate search
FLOORS = tuple(round(0.20 + 0.01 * step, 2) for step in range(61))  # 0.20 … 0.80
# A precision measured on fewer profiles shown on meaning alone is not trusted: on 50, its 95 % interval around a level
# of a third is ±0.13 already, and a dip on fewer (12 right of 39 at 0.44, French model of 1 December 2026) stopped
# the descent from above before any floor was judged.
MIN_SHOWN = 50


@dataclass(frozen=True)
class Shown:
    """One record (a profile; an offer on the job board) on a query's first page: found by its words or only by
    meaning, and whether it is relevant."""

    doc_id: str
    cosine: float
    by_words: bool
    relevant: bool


@dataclass(frozen=True)
class FloorRow:
    """What the first pages show at one floor, over every query."""

    floor: float
    shown: int
    precision: float  # of every profile shown
    by_meaning: int  # shown on meaning alone (no word matched)
    precision_by_meaning: float  # of those; nan when none
    empty: int  # queries answered "nothing"


@dataclass(frozen=True)
class Calibration:
    queries: int
    words_precision: float  # of the profiles found by words, shown whatever the floor
    level: float  # share × words_precision: what profiles shown on meaning alone must reach
    rows: list[FloorRow]
    chosen: float | None  # None: no floor reaches the level

    def table(self) -> str:
        """The rows as a Markdown table (French headers, as the CLI prints)."""
        lines = [
            "| seuil | montrés | précision | par le sens seul | précision (sens seul) | requêtes sans résultat |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            meaning = "—" if math.isnan(r.precision_by_meaning) else f"{r.precision_by_meaning:.3f}"
            mark = " ←" if r.floor == self.chosen else ""
            lines.append(
                f"| {r.floor:.2f}{mark} | {r.shown} | {r.precision:.3f} | {r.by_meaning} | {meaning} | {r.empty} |"
            )
        return "\n".join(lines)


def first_pages(
    rt: Runtime,
    benchmark: Benchmark,
    *,
    split: str | None = None,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> list[list[Shown]]:
    """For each labelled query (of ``split``, or of every split), the profiles candidate search would put on its
    first page with no floor, in order. Titles are the words typed; the workplace, when known, is the place."""
    labels: dict[str, dict[str, int]] = {}
    for name, split_labels in benchmark.qrels.items():
        if split is None or name == split:
            for query_id, grades in split_labels.items():
                labels.setdefault(query_id, {}).update(grades)
    ids = list(benchmark.corpus)
    texts = [_indexed_text(benchmark.corpus[i]) for i in ids]
    vectors = rt.embedder.embed(texts, progress=(lambda d, t: progress("profils", d, t)) if progress else None)
    backend = EmbeddedBackend()
    backend.ensure_index(CORPUS, dims=rt.embedder.dims)
    documents = []
    for doc_id, text, vector in zip(ids, texts, vectors, strict=True):
        profile = structured_candidate(benchmark.corpus[doc_id])
        places = list(rt.geography.points(profile.mobility.communes)) if profile else []
        reach = profile.mobility.radius_km if profile else None
        documents.append(Document(doc_id, 1, text, vector, points=places, reach_km=reach))
    backend.upsert(CORPUS, documents)
    query_ids = [q for q in benchmark.queries if q in labels and benchmark.queries[q].get("title", "").strip()]
    titles = [benchmark.queries[q]["title"].strip() for q in query_ids]
    query_vectors = rt.embedder.embed(titles, progress=(lambda d, t: progress("requêtes", d, t)) if progress else None)
    pages = []
    for query_id, title, vector in zip(query_ids, titles, query_vectors, strict=True):
        offer = structured_offer(benchmark.queries[query_id])
        point = rt.geography.coordinates(offer.commune_insee) if offer else None
        filters: list[Filter] = [WithinReach(*point)] if point else []
        hits = hybrid_search(backend, CORPUS, text=title, vector=vector, filters=filters, k=page_size)
        grades = labels[query_id]
        pages.append([Shown(h.id, float(h.cosine or 0.0), h.bm25 is not None, grades.get(h.id, 0) > 0) for h in hits])
    return pages


def board_pages(
    rt: Runtime,
    benchmark: Benchmark,
    *,
    split: str | None = None,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> list[list[Shown]]:
    """For each labelled profile with a title, the offers the job board would put on its first page with no floor:
    the title is the words typed, the profile's mobility area the place. Offers are indexed as the service indexes
    them (:func:`matcher.indexing.documents.offer_vectors`); only the benchmark's structured offers are."""
    labels: dict[str, dict[str, int]] = {}  # profile -> offer -> grade
    for name, split_labels in benchmark.qrels.items():
        if split is None or name == split:
            for query_id, grades in split_labels.items():
                for doc_id, grade in grades.items():
                    labels.setdefault(doc_id, {})[query_id] = grade
    offers = {q: offer for q in benchmark.queries if (offer := structured_offer(benchmark.queries[q])) is not None}
    ids = list(offers)
    texts = [offer_text(offers[q]) for q in ids]
    vectors = offer_vectors(
        rt.embedder,
        [offers[q].title for q in ids],
        texts,
        progress=(lambda d, t: progress("offres", d, t)) if progress else None,
    )
    backend = EmbeddedBackend()
    backend.ensure_index(CORPUS, dims=rt.embedder.dims)
    documents = []
    for offer_id, text, vector in zip(ids, texts, vectors, strict=True):
        point = rt.geography.coordinates(offers[offer_id].commune_insee)
        documents.append(Document(offer_id, 1, text, vector, points=[point] if point else []))
    backend.upsert(CORPUS, documents)
    profile_ids = [p for p in benchmark.corpus if p in labels and str(benchmark.corpus[p].get("title", "")).strip()]
    titles = [str(benchmark.corpus[p]["title"]).strip() for p in profile_ids]
    title_vectors = rt.embedder.embed(titles, progress=(lambda d, t: progress("requêtes", d, t)) if progress else None)
    pages = []
    for profile_id, title, vector in zip(profile_ids, titles, title_vectors, strict=True):
        profile = structured_candidate(benchmark.corpus[profile_id])
        places = tuple(rt.geography.points(profile.mobility.communes)) if profile else ()
        filters: list[Filter] = [GeoDistance(places, profile.mobility.radius_km)] if profile and places else []
        hits = hybrid_search(backend, CORPUS, text=title, vector=vector, filters=filters, k=page_size)
        grades = labels[profile_id]
        pages.append([Shown(h.id, float(h.cosine or 0.0), h.bm25 is not None, grades.get(h.id, 0) > 0) for h in hits])
    return pages


def _indexed_text(doc: dict[str, Any]) -> str:
    """What the service indexes of a profile: a structured one's text is already that (title first); otherwise the
    title and the text together."""
    if structured_candidate(doc) is not None:
        return str(doc.get("text", ""))
    return f"{doc.get('title', '')}. {doc.get('text', '')}".strip(". ")


def calibrate(
    pages: Sequence[Sequence[Shown]],
    *,
    share: float = 0.5,
    floors: Sequence[float] = FLOORS,
    min_shown: int = MIN_SHOWN,
) -> Calibration:
    """Precision of the first pages at each floor, and the lowest floor from which the profiles shown on meaning
    alone stay right at least ``share`` times as often as those found by words (only floors showing at least
    ``min_shown`` such profiles are judged; above the last of them, too few are shown to tell)."""
    words = [s for page in pages for s in page if s.by_words]
    words_precision = sum(s.relevant for s in words) / len(words) if words else math.nan
    level = share * words_precision
    rows = []
    for floor in sorted(floors):
        kept = [[s for s in page if s.by_words or s.cosine >= floor] for page in pages]
        shown = [s for page in kept for s in page]
        meaning = [s for s in shown if not s.by_words]
        rows.append(
            FloorRow(
                floor=floor,
                shown=len(shown),
                precision=sum(s.relevant for s in shown) / len(shown) if shown else math.nan,
                by_meaning=len(meaning),
                precision_by_meaning=sum(s.relevant for s in meaning) / len(meaning) if meaning else math.nan,
                empty=sum(not page for page in kept),
            )
        )
    judged = [r for r in rows if r.by_meaning >= min_shown]
    chosen = None
    for row in reversed(judged):  # from the highest floor down, while the level holds
        if row.precision_by_meaning < level:
            break
        chosen = row.floor
    return Calibration(len(pages), words_precision, level, rows, chosen)
