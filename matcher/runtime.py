"""Everything heavy, created once per process and handed to routes, tasks and commands."""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from threadpoolctl import threadpool_limits

from indices.embedded import EmbeddedBackend
from indices.protocol import SearchBackend
from matcher.catalog.corrections import corrected_occupations
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.settings import MatcherSettings
from matcher.cv.draft import CvReader
from matcher.embedding.cache import CachedEmbedder
from matcher.embedding.protocol import Embedder
from matcher.embedding.select import open_embedder
from matcher.ranking.scorer import LearnedScorer, LinearScorer, Scorer
from matcher.ranking.views import CandidateViews, OfferViews
from matcher.reference.classifier import MODEL_PATH as CLASSIFIER_PATH
from matcher.reference.classifier import OccupationClassifier, clean_title, load_manifest
from matcher.reference.geography import Geography
from matcher.reference.skills import VERSION as EXTRACTOR_VERSION
from matcher.reference.skills import SkillExtractor
from matcher.reference.taxonomy import Taxonomy
from matcher.store.db import Store, make_engine, migrate


# Reference data is read-only: one copy per process, whatever the number of runtimes.
@lru_cache(maxsize=4)
def load_taxonomy(folder: Path) -> Taxonomy:
    return Taxonomy(folder)


@lru_cache(maxsize=4)
def load_geography(folder: Path) -> Geography:
    return Geography(folder)


@lru_cache(maxsize=4)
def load_classifier(folder: Path, cache_dir: Path | None = None) -> OccupationClassifier:
    """The occupation classifier of the taxonomy in ``folder``, one per process (its vectorisers take seconds);
    ``cache_dir`` keeps the ROME titles' vectors for the next process."""
    return OccupationClassifier.load(load_taxonomy(folder), cache_dir=cache_dir)


OFFER_VIEWS_FILE = "offer-views.json"
# How often a process looks for occupation corrections recorded by another one (a read of a few rows).
CORRECTIONS_CHECK_S = 60.0


def settle_serving_process() -> None:
    """Tune a serving process (API server, run command) once its long-lived parts are loaded.

    One BLAS thread: the searches' matrix-vector products are memory-bound, several threads only contend
    (with the API's own threads and processes), and on a loaded machine they wait for each other: the
    1-bit kNN of a 100k shortlist took 8.8 ms with the default threads, 1.1 ms with one (load ~5, 2 cores).
    Then everything loaded so far (the index, reference data) is frozen out of the garbage collector's
    full passes, which otherwise pause requests for about a second with a 100k index in memory.
    """
    threadpool_limits(1, user_api="blas")
    gc.freeze()


@lru_cache(maxsize=4)
def load_extractor(reference_dir: Path) -> SkillExtractor:
    return SkillExtractor(load_taxonomy(reference_dir / "rome"), reference_dir / "esco")


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
    _corrections_read_at: float = field(default_factory=time.monotonic, repr=False)

    @classmethod
    def open(
        cls, settings: MatcherSettings, *, embedder: Embedder | None = None, backend: SearchBackend | None = None
    ) -> Runtime:
        engine = make_engine(settings.sqlalchemy_url)
        migrate(engine)
        store = Store(engine)
        if embedder is None:
            embedder = open_embedder(settings)
        if backend is None:
            backend = open_backend(settings)
        runtime = cls(settings=settings, store=store, embedder=CachedEmbedder(embedder, store), backend=backend)
        return runtime

    def ensure_indices(self) -> None:
        for index in (OFFERS, CANDIDATES):
            self.backend.ensure_index(index, dims=self.embedder.dims)

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(self.settings.reference_dir / "rome")

    @cached_property
    def geography(self) -> Geography:
        return load_geography(self.settings.reference_dir / "geo")

    @cached_property
    def classifier(self) -> OccupationClassifier:
        """The occupation model alone (matcher/models/occupations.json): what evaluation measures."""
        return load_classifier(self.settings.reference_dir / "rome", self.settings.cache_dir)

    @cached_property
    def inferer(self) -> OccupationClassifier:
        """ROME occupations of an offer with calibrated confidences: the model, and what recruiters corrected (read
        from the store once, then kept up to date)."""
        with self.store.read() as session:
            return self.classifier.with_corrections(corrected_occupations(session))

    def learn_occupation(self, offer_id: str, title: str, code: str | None) -> None:
        """A recruiter set an offer's occupation (``code``; None: the correction no longer stands): offers and profiles
        of the same title lean to it from now on. Their kept views, read without it, are dropped."""
        before = self.inferer.corrections.get(offer_id)
        if code is None:
            self.inferer.withdraw(offer_id)
        else:
            self.inferer.correct(offer_id, title, code)
        for stale in {clean_title(title), *([clean_title(before[0])] if before else [])}:
            self._offer_views.forget_titled(stale)
            self._candidate_views.forget_titled(stale)

    def refresh_corrections(self) -> None:
        """Take up the corrections other processes recorded (or took back) since this one read them."""
        with self.store.read() as session:
            stored = corrected_occupations(session)
        known = dict(self.inferer.corrections)
        for offer_id in known.keys() - stored.keys():
            self.learn_occupation(offer_id, known[offer_id][0], None)
        for offer_id, (title, code) in stored.items():
            if known.get(offer_id) != (title, code):
                self.learn_occupation(offer_id, title, code)

    def _corrections_checked(self) -> None:
        """Refresh the corrections when the last look is older than ``CORRECTIONS_CHECK_S`` (one cheap read)."""
        now = time.monotonic()
        if now - self._corrections_read_at >= CORRECTIONS_CHECK_S:
            self._corrections_read_at = now
            if "inferer" in self.__dict__:
                self.refresh_corrections()

    @cached_property
    def extractor(self) -> SkillExtractor:
        return load_extractor(self.settings.reference_dir)

    @cached_property
    def cv_reader(self) -> CvReader:
        """Reads CV text into a draft profile, with the same skills and occupations as offers."""
        return CvReader(
            taxonomy=self.taxonomy, geography=self.geography, extractor=self.extractor, inferer=self.inferer
        )

    @property
    def offer_views(self) -> OfferViews:
        """Offer views kept by version, read with the corrections recorded up to a minute ago in any process."""
        self._corrections_checked()
        return self._offer_views

    @cached_property
    def _offer_views(self) -> OfferViews:
        views = OfferViews(
            taxonomy=self.taxonomy,
            geography=self.geography,
            inferer=lambda: self.inferer,
            extractor=lambda: self.extractor,
        )
        views.load(self.settings.data_dir / OFFER_VIEWS_FILE, key=self.offer_views_key())
        return views

    def offer_views_key(self) -> str:
        """What the kept offer views were built from: reference files, the classifier's model file, the embedding model
        it reads titles with and the corrections it applies, the extractor."""
        digest = hashlib.sha256(f"skills extractor {EXTRACTOR_VERSION}\0".encode())
        reference = self.settings.reference_dir
        title_model = CLASSIFIER_PATH.parent / (load_manifest(CLASSIFIER_PATH).title_model or "-")
        files = [*(reference / "rome").rglob("*"), *(reference / "esco").rglob("*"), CLASSIFIER_PATH]
        for path in sorted([*files, *title_model.glob("*")]):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(path.anchor)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        for title, code in sorted(self._applied_corrections().values()):
            digest.update(f"{title}\0{code}\0".encode())
        return digest.hexdigest()

    def _applied_corrections(self) -> Mapping[str, tuple[str, str]]:
        """The corrections the inferer applies; read from the store while it is not built (kept views need no
        classifier)."""
        if "inferer" in self.__dict__:
            return self.inferer.corrections
        with self.store.read() as session:
            return corrected_occupations(session)

    def save_offer_views(self) -> int:
        """Persist the offer views built so far, so the next start need not rebuild them (nor their models)."""
        return self._offer_views.save(self.settings.data_dir / OFFER_VIEWS_FILE, key=self.offer_views_key())

    @property
    def candidate_views(self) -> CandidateViews:
        self._corrections_checked()
        return self._candidate_views

    @cached_property
    def _candidate_views(self) -> CandidateViews:
        return CandidateViews(taxonomy=self.taxonomy, geography=self.geography, inferer=lambda: self.inferer)

    @cached_property
    def scorer(self) -> Scorer:
        """The learned ranker when a model file exists, else the transparent hand-set weights."""
        path = self.settings.ranker_path
        return LearnedScorer.load(path) if path.exists() else LinearScorer()

    def close(self) -> None:
        self.backend.flush()
        self.store.engine.dispose()
