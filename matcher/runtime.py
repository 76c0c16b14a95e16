"""Everything heavy, created once per process and handed to routes, tasks and commands."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from indices.embedded import EmbeddedBackend
from indices.protocol import SearchBackend
from matcher.embedding import CachedEmbedder, Embedder, HashingEmbedder, SentenceTransformerEmbedder
from matcher.geo import Geography
from matcher.settings import MatcherSettings
from matcher.store.db import Store, make_engine, migrate
from matcher.taxonomy import Taxonomy

OFFERS = "offers"
CANDIDATES = "candidates"


def open_backend(settings: MatcherSettings) -> SearchBackend:
    """The search backend named by the settings; nothing else in the code knows which one runs."""
    if settings.search_backend == "elasticsearch":
        from indices.elasticsearch import ElasticsearchBackend
        from indices.settings import get_search_settings

        return ElasticsearchBackend(get_search_settings())
    return EmbeddedBackend(settings.index_dir, ann_threshold=settings.ann_threshold)


@dataclass
class Runtime:
    """The service's long-lived parts. Build with :meth:`open`; close with :meth:`close`."""

    settings: MatcherSettings
    store: Store
    embedder: CachedEmbedder
    backend: SearchBackend

    @classmethod
    def open(
        cls, settings: MatcherSettings, *, embedder: Embedder | None = None, backend: SearchBackend | None = None
    ) -> Runtime:
        engine = make_engine(settings.sqlalchemy_url)
        migrate(engine)
        store = Store(engine)
        if embedder is None:
            embedder = (
                HashingEmbedder()
                if settings.embedder == "hashing"
                else SentenceTransformerEmbedder(
                    settings.model_path,
                    batch_size=settings.embedding_batch_size,
                    threads=settings.embedding_threads,
                    precision=settings.embedding_precision,
                )
            )
        if backend is None:
            backend = open_backend(settings)
        runtime = cls(settings=settings, store=store, embedder=CachedEmbedder(embedder, store), backend=backend)
        return runtime

    def ensure_indices(self) -> None:
        for index in (OFFERS, CANDIDATES):
            self.backend.ensure_index(index, dims=self.embedder.dims)

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return Taxonomy(self.settings.reference_dir / "rome")

    @cached_property
    def geography(self) -> Geography:
        return Geography(self.settings.reference_dir / "geo")

    def close(self) -> None:
        self.backend.flush()
        self.store.engine.dispose()
